"""The Shopify GraphQL source sizes its pages by what the shop itself charges for them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import CostModel, parse, requested_cost
from sync.clock import VirtualClock
from sync.connectors.base import OrderPage
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.connectors.shopify_query import (
    LARGEST_PAGE,
    MAX_QUERY_COST,
    MOST_ORDERS,
    ORDER_COST,
    SAFE_SHARE,
    PageSizer,
    page_cost,
)
from sync.engine import sync_orders
from sync.store import Store
from tests.sync.apisim import truth

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = DEFAULT_TOKEN


class Counting(ShopifyGraphQLSource):
    """A source that keeps the id of every order its pages hand over."""

    def __init__(self, url: str, client: httpx.AsyncClient, **settings: str) -> None:
        super().__init__("shop", client, {"url": url, "token": TOKEN, **settings})
        self.handed: list[str] = []

    async def fetch_page(self, cursor: str) -> OrderPage:
        page = await super().fetch_page(cursor)
        self.handed += [order.external_id for order in page.orders]
        return page


class Exchanges:
    """Every ``orders`` query sent (its variables) and the shop's answer to it."""

    def __init__(self, model: dict[str, CostModel]) -> None:
        self.model = model
        self.asked: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.priced: list[int] = []
        """What each query costs by the shop's pricing at the time it was sent."""

    def client(self) -> httpx.AsyncClient:
        async def sent(request: httpx.Request) -> None:
            body = json.loads(request.content)
            if "Orders(" in body["query"]:
                self.asked.append(body["variables"])
                tree = parse(body["query"])
                self.priced.append(requested_cost(tree, body["variables"], self.model["now"]))

        async def answered(response: httpx.Response) -> None:
            if json.loads(response.request.content)["query"].startswith("query Orders("):
                await response.aread()
                self.answers.append(response.json())

        return httpx.AsyncClient(
            timeout=10, event_hooks={"request": [sent], "response": [answered]}
        )

    @property
    def sizes(self) -> list[int]:
        return [int(variables["first"]) for variables in self.asked]

    def refusals(self) -> int:
        codes = [e["extensions"]["code"] for a in self.answers for e in a.get("errors") or ()]
        return codes.count("MAX_COST_EXCEEDED")


async def sync_all(source: ShopifyGraphQLSource, cursor: str = "") -> None:
    while True:
        page = await source.fetch_page(cursor)
        cursor = page.cursor
        if not page.more:
            return


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


def tied_shop(orders: int = 900) -> Shop:
    """Orders on a ten-minute grid, so pages of any size end inside ties."""
    return Shop(seed=17, orders=orders, now=NOW, history=timedelta(hours=6), tick=600)


@pytest.fixture
async def vendor(clock: VirtualClock) -> AsyncIterator[tuple[str, Any, Shop]]:
    shop = tied_shop()
    app = create_app(shop, clock=clock, bucket=Bucket(maximum=1e9, restore_rate=1e9))
    server = await serve(app)
    yield server.url, app.state.shopify, shop
    await server.stop()


# -- the arithmetic ---------------------------------------------------------------------------


def test_a_run_starts_at_what_the_published_rule_proves_safe() -> None:
    assert PageSizer(MOST_ORDERS).size == LARGEST_PAGE == 13
    assert PageSizer(5).size == 5


def test_a_shop_pricing_by_the_published_rule_keeps_13_orders_a_page() -> None:
    pages = PageSizer(MOST_ORDERS)
    pages.priced(13, page_cost(13))
    assert pages.size == 13  # 990 points is over 90% of 1000, but the rule proves it safe
    assert pages.predicted_cost == page_cost(13)


def test_a_cheap_shop_grows_pages_twofold_up_to_the_safe_share() -> None:
    pages, sizes = PageSizer(MOST_ORDERS), []
    for _ in range(6):
        first = pages.size
        pages.priced(first, 2 + 4 * first)  # 4 points an order
        sizes.append(pages.size)
    assert sizes == [26, 52, 104, 208, 224, 224]
    assert 2 + 4 * 224 <= SAFE_SHARE * MAX_QUERY_COST < 2 + 4 * 225


def test_pages_never_pass_the_configured_page_size() -> None:
    pages = PageSizer(40)
    pages.priced(13, 2)
    pages.priced(pages.size, 2)
    assert pages.size == 40


def test_one_odd_price_only_doubles_the_page() -> None:
    pages = PageSizer(MOST_ORDERS)
    pages.priced(13, 0.001)
    assert pages.size == 26


@pytest.mark.parametrize("stated", [None, "many", True, float("nan"), -5])
def test_a_missing_or_unreadable_price_keeps_the_size(stated: object) -> None:
    pages = PageSizer(MOST_ORDERS)
    pages.priced(13, stated)
    assert (pages.size, pages.per_order) == (13, ORDER_COST)


def test_a_refusal_shrinks_by_the_stated_price_with_margin() -> None:
    pages = PageSizer(MOST_ORDERS)
    assert pages.refused(13, 2 + 13 * 150, 1000)
    assert pages.size == (900 - 2) // 150 == 5
    pages.priced(5, 2 + 5 * 150)
    assert pages.size == 5  # the refused size no longer counts as proven


def test_a_refusal_without_a_price_halves_the_page() -> None:
    pages = PageSizer(MOST_ORDERS)
    assert pages.refused(13, None, None)
    assert pages.size == 6


def test_a_refused_page_of_one_order_cannot_shrink() -> None:
    pages = PageSizer(MOST_ORDERS)
    assert not pages.refused(1, 5000, 1000)


def test_a_new_run_forgets_the_last_runs_prices() -> None:
    pages = PageSizer(MOST_ORDERS)
    pages.refused(13, 9000, 1000)
    pages.start()
    assert (pages.size, pages.proven, pages.per_order) == (13, 13, ORDER_COST)


@given(
    most=st.integers(1, 300),
    prices=st.lists(st.floats(0.0, 500.0), min_size=1, max_size=12),
)
def test_a_page_sized_from_a_steady_price_fits_or_is_proven(most: int, prices: list[float]) -> None:
    pages = PageSizer(min(most, MOST_ORDERS))
    for price in prices:
        first = pages.size
        pages.priced(first, 2 + price * first)
        assert 1 <= pages.size <= min(most, MOST_ORDERS, 2 * first)
        fits = 2 + price * pages.size <= SAFE_SHARE * MAX_QUERY_COST
        assert fits or pages.size <= pages.proven


# -- against the simulated shop ----------------------------------------------------------------


async def test_a_shop_pricing_as_today_gets_pages_up_to_250(vendor: tuple[str, Any, Shop]) -> None:
    url, admin, shop = vendor
    admin.cost_model = model = CostModel.CURRENT
    exchanges = Exchanges({"now": model})
    async with exchanges.client() as client:
        source = Counting(url, client)
        await sync_all(source)
    assert exchanges.sizes[:6] == [13, 26, 52, 104, 208, 250]
    assert exchanges.refusals() == 0
    assert max(exchanges.priced) <= SAFE_SHARE * MAX_QUERY_COST
    assert sorted(source.handed) == sorted(truth(shop, NOW, "shopify"))


async def test_growth_stops_at_the_configured_page_size(vendor: tuple[str, Any, Shop]) -> None:
    url, admin, _ = vendor
    admin.cost_model = CostModel.CURRENT
    exchanges = Exchanges({"now": CostModel.CURRENT})
    async with exchanges.client() as client:
        await sync_all(Counting(url, client, page_size="60"))
    assert exchanges.sizes[:4] == [13, 26, 52, 60]
    assert set(exchanges.sizes[3:-1]) == {60}


async def test_a_shop_pricing_by_the_published_rule_stays_at_13(
    vendor: tuple[str, Any, Shop],
) -> None:
    url, _, shop = vendor
    exchanges = Exchanges({"now": CostModel.CLASSIC})
    async with exchanges.client() as client:
        source = Counting(url, client)
        await sync_all(source)
    assert set(exchanges.sizes) == {13}
    assert exchanges.refusals() == 0
    assert len(source.handed) == len(set(source.handed)) == len(truth(shop, NOW, "shopify"))


async def test_a_dearer_shop_shrinks_the_page_and_asks_the_same_place_again(
    vendor: tuple[str, Any, Shop],
) -> None:
    url, admin, shop = vendor
    admin.cost_model = CostModel.STRICT
    exchanges = Exchanges({"now": CostModel.STRICT})
    async with exchanges.client() as client:
        source = Counting(url, client)
        first = await source.fetch_page("")
        await sync_all(source, first.cursor)
    assert exchanges.refusals() == 1  # once, on the first page; the run then knows the price
    refused, again = exchanges.asked[:2]
    assert (refused["first"], refused["after"]) == (13, None)
    assert again["after"] is None and again["first"] == len(first.orders) < 13
    assert max(exchanges.priced[1:]) <= MAX_QUERY_COST
    assert sorted(source.handed) == sorted(truth(shop, NOW, "shopify"))
    assert len(source.handed) == len(set(source.handed))


async def test_pages_changing_size_mid_run_hand_over_every_order_once(
    vendor: tuple[str, Any, Shop],
) -> None:
    url, admin, shop = vendor
    model = {"now": CostModel.CURRENT}
    admin.cost_model = model["now"]
    exchanges = Exchanges(model)
    async with exchanges.client() as client:
        source = Counting(url, client)
        cursor, pages = "", 0
        while True:
            if pages in (4, 9):  # dearer from the fifth page, cheap again from the tenth
                model["now"] = admin.cost_model = (
                    CostModel.STRICT if pages == 4 else CostModel.CURRENT
                )
            page = await source.fetch_page(cursor)
            cursor, pages = page.cursor, pages + 1
            if not page.more:
                break
    sizes = exchanges.sizes
    assert sizes[4] == 208 and sizes[5] < 13  # 208 refused, asked again smaller
    assert exchanges.refusals() == 1
    assert max(sizes[6:]) > sizes[5]  # and grown again once cheap
    assert len(source.handed) == len(set(source.handed))
    assert set(source.handed) == set(truth(shop, NOW, "shopify"))


async def test_a_run_stopped_between_pages_of_new_sizes_resumes_losing_nothing(
    store: Store, clock: VirtualClock, vendor: tuple[str, Any, Shop]
) -> None:
    url, admin, shop = vendor
    admin.cost_model = CostModel.CURRENT
    stop = asyncio.Event()

    class Stopping(Counting):
        async def fetch_page(self, cursor: str) -> OrderPage:
            page = await super().fetch_page(cursor)
            if len(self.handed) > 200:
                stop.set()
            return page

    async with httpx.AsyncClient(timeout=10) as client:
        cut = await sync_orders(store, Stopping(url, client), clock, stop=stop)
        resumed = Counting(url, client)  # a new process: its first page is 13 again
        rest = await sync_orders(store, resumed, clock)
    everything = truth(shop, NOW, "shopify")
    assert LARGEST_PAGE < len(cut) < len(everything)  # stopped after pages had grown
    assert resumed.pages.size > LARGEST_PAGE  # the resumed run grew its pages too
    assert set(cut).isdisjoint(rest) and len(cut) + len(rest) == len(everything)
    rows = await store.db.fetchall("SELECT external_id, updated_at FROM orders")
    mirrored = {r["external_id"]: datetime.fromisoformat(r["updated_at"]) for r in rows}
    assert mirrored == everything
