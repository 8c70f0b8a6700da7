"""Orders too big for one page's nested lists still arrive whole from the Shopify GraphQL source."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.people import Item
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Details, OrderState, Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.timeline import Timeline
from sync.clock import VirtualClock
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.domain import OrderRecord
from sync.store.page import ORDER_FIELDS, order_values
from tests.sync.apisim import more_parcels

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "nested-token"
ORDERS = 40


class BigOrders(Shop):
    """Every 7th order has 25 line items (a page's 10, then one follow-up), every 20th 230
    (three follow-ups), and every 3rd shipped order 8 parcels (more than a page's 5)."""

    def details(self, index: int, line: Timeline | None = None) -> Details:
        details = super().details(index, line)
        count = 230 if index % 20 == 0 else 25 if index % 7 == 0 else 0
        if not count:
            return details
        items = tuple(
            Item(14_000_000_000_000 + index * 1000 + n, f"SKU-{n}", f"Part {n}", 1, "9.90")
            for n in range(count)
        )
        return replace(details, items=items)

    def order_state(self, index: int, at: datetime) -> OrderState | None:
        state = super().order_state(index, at)
        if state is None or not state.fulfillments or index % 3:
            return state
        return more_parcels(state, index, 8)


@pytest.fixture
def shop() -> BigOrders:
    return BigOrders(seed=23, orders=ORDERS, now=NOW)


@pytest.fixture
async def server(shop: BigOrders) -> AsyncIterator[RunningServer]:
    bucket = Bucket(maximum=1e6, restore_rate=1e6)
    running = await serve(create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=bucket))
    yield running
    await running.stop()


async def synced(url: str, sent: list[str]) -> dict[str, OrderRecord]:
    """Every order of a first sync by external id; ``sent`` gets each query's name."""

    async def keep(request: httpx.Request) -> None:
        sent.append(str(json.loads(request.content)["query"]).split()[1].split("(")[0])

    orders: dict[str, OrderRecord] = {}
    async with httpx.AsyncClient(event_hooks={"request": [keep]}) as client:
        shopify = ShopifyGraphQLSource("shop", client, {"url": url, "token": TOKEN})
        cursor = ""
        while True:
            page = await shopify.fetch_page(cursor)
            orders |= {order.external_id: order for order in page.orders}
            cursor = page.cursor
            if not page.more:
                return orders


def expected(shop: Shop) -> dict[str, OrderState]:
    states = (shop.order_state(index, NOW) for index in range(ORDERS))
    return {f"gid://shopify/Order/{s.id}": s for s in states if s is not None}


async def test_every_line_item_of_a_long_order_arrives(server: RunningServer, shop: Shop) -> None:
    orders = await synced(server.url, [])
    states = expected(shop)
    assert max(len(state.details.items) for state in states.values()) == 230
    assert {key: [i.external_id for i in order.line_items] for key, order in orders.items()} == {
        key: [f"gid://shopify/LineItem/{i.line_id}" for i in state.details.items]
        for key, state in states.items()
    }


async def test_every_parcel_of_an_order_with_many_fulfillments_arrives(
    server: RunningServer, shop: Shop
) -> None:
    orders = await synced(server.url, [])
    states = expected(shop)
    assert max(len(state.fulfillments) for state in states.values()) == 8
    assert {key: len(order.shipments) for key, order in orders.items()} == {
        key: len(state.fulfillments) for key, state in states.items()
    }


async def test_long_line_items_are_paged_by_follow_up_queries(server: RunningServer) -> None:
    sent: list[str] = []
    await synced(server.url, sent)
    # orders 0 and 20 need three pages of 100 beyond the first 10; 7, 14, 21, 28, 35 one each
    assert sent.count("OrderLines") == 2 * 3 + 5


async def test_orders_that_fit_a_page_need_no_follow_up() -> None:
    shop = Shop(seed=23, orders=ORDERS, now=NOW)
    bucket = Bucket(maximum=1e6, restore_rate=1e6)
    running = await serve(create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=bucket))
    sent: list[str] = []
    try:
        orders = await synced(running.url, sent)
    finally:
        await running.stop()
    assert len(orders) == ORDERS
    assert set(sent) == {"Orders", "OrdersCount"}


async def test_orders_keep_the_text_the_shop_sent_unless_completed(server: RunningServer) -> None:
    pages: list[bytes] = []
    completed: set[str] = set()

    async def requested(request: httpx.Request) -> None:
        sent = json.loads(request.content)
        if "id" in sent.get("variables", {}):  # a follow-up query about one order
            completed.add(sent["variables"]["id"])

    async def answered(response: httpx.Response) -> None:
        await response.aread()
        if b'"edges"' in response.content:
            pages.append(response.content)

    hooks = {"request": [requested], "response": [answered]}
    orders: list[OrderRecord] = []
    async with httpx.AsyncClient(event_hooks=hooks) as client:  # type: ignore[arg-type]
        shopify = ShopifyGraphQLSource("shop", client, {"url": server.url, "token": TOKEN})
        cursor, more = "", True
        while more:
            page = await shopify.fetch_page(cursor)
            orders += page.orders
            cursor, more = page.cursor, page.more
    assert len(orders) == ORDERS
    assert 5 < len(completed) < ORDERS
    raw = ORDER_FIELDS.index("raw")
    for order in orders:
        stored = str(order_values(order)[raw])
        assert json.loads(stored) == order.raw
        if order.external_id in completed:  # more than the page said: encoded again
            assert order.raw_text is None
        else:
            assert any(stored.encode() in page for page in pages)
