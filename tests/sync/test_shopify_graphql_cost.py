"""The Shopify GraphQL source keeps every query within Shopify's single-query cost limit."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import max_cost_body, parse, requested_cost
from sync.clock import VirtualClock
from sync.connectors.shopify_graphql import QueryTooCostly, ShopifyGraphQLSource
from sync.connectors.shopify_query import (
    LARGEST_PAGE,
    ORDER_COST,
    ORDER_LINES_COST,
    ORDER_LINES_QUERY,
    ORDER_LISTS_COST,
    ORDER_LISTS_QUERY,
    ORDERS_QUERY,
    Field,
    page_cost,
)
from sync.errors import SourceRateLimited
from tests.sync.test_shopify_graphql_nested import BigOrders

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "cost-token"


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    shop = BigOrders(seed=23, orders=40, now=NOW)
    bucket = Bucket(maximum=1e6, restore_rate=1e6)
    running = await serve(create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=bucket))
    yield running
    await running.stop()


def recording(sent: list[dict[str, Any]]) -> httpx.AsyncClient:
    """A client that keeps the JSON body of every request it makes."""

    async def keep(request: httpx.Request) -> None:
        sent.append(json.loads(request.content))

    return httpx.AsyncClient(event_hooks={"request": [keep]})


def connector(url: str, client: httpx.AsyncClient, **settings: str) -> ShopifyGraphQLSource:
    return ShopifyGraphQLSource("shop", client, {"url": url, "token": TOKEN, **settings})


async def sync_all(shopify: ShopifyGraphQLSource) -> int:
    cursor, orders = "", 0
    while True:
        page = await shopify.fetch_page(cursor)
        orders += len(page.orders)
        cursor = page.cursor
        if not page.more:
            return orders


def test_a_field_costs_one_plus_first_times_its_nodes() -> None:
    tracking = Field("trackingInfo", ("number",), first=3)
    fulfillments = Field("fulfillments", ("id", tracking), first=4)
    assert tracking.cost == 2 + 3 * 1
    assert fulfillments.cost == 2 + 4 * (1 + 5)
    assert Field("customer", ("email",)).cost == 1


def test_an_order_costs_76_points() -> None:
    money, customer, address = 2, 1, 1
    lines = 2 + 10 * (1 + 2)  # each line item and its price set
    fulfillments = 2 + 5 * (1 + 2 + 3 * 1)  # each with its trackingInfo(first: 3)
    transactions = 2 + 5 * 1
    assert ORDER_COST == 1 + money + customer + address + lines + fulfillments + transactions == 76


def test_the_largest_page_is_the_most_orders_under_1000_points() -> None:
    assert (LARGEST_PAGE, page_cost(LARGEST_PAGE)) == (13, 2 + 13 * 76) == (13, 990)
    assert page_cost(LARGEST_PAGE + 1) > 1000


def test_follow_up_queries_cost_what_was_reckoned() -> None:
    assert ORDER_LINES_COST == 1 + 2 + 100 * 3 == 303
    assert ORDER_LISTS_COST == 1 + (2 + 50 * (1 + 2 + 10)) + (2 + 100) == 755


@pytest.mark.parametrize("first", [1, LARGEST_PAGE, 250])
def test_the_simulated_shop_prices_the_orders_query_as_the_source_does(first: int) -> None:
    assert requested_cost(parse(ORDERS_QUERY), {"first": first}) == page_cost(first)


def test_the_simulated_shop_prices_the_follow_ups_as_the_source_does() -> None:
    assert requested_cost(parse(ORDER_LINES_QUERY), {"id": "x"}) == ORDER_LINES_COST
    assert requested_cost(parse(ORDER_LISTS_QUERY), {"id": "x"}) == ORDER_LISTS_COST


def test_a_page_size_over_250_is_lowered_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.connectors.shopify_graphql"):
        shopify = connector("http://shop.test", httpx.AsyncClient(), page_size="5000")
    assert shopify.page_size == 250
    (line,) = caplog.messages
    assert "page_size 5000" in line and "asking at most 250" in line


def test_a_page_size_up_to_250_is_kept_and_a_run_starts_at_13(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.connectors.shopify_graphql"):
        shopify = connector("http://shop.test", httpx.AsyncClient(), page_size="250")
    assert (shopify.page_size, shopify.pages.size) == (250, LARGEST_PAGE)
    assert caplog.messages == []


def test_a_page_size_under_13_is_where_a_run_starts() -> None:
    shopify = connector("http://shop.test", httpx.AsyncClient(), page_size="5")
    assert (shopify.page_size, shopify.pages.size) == (5, 5)


@pytest.mark.parametrize("page_size", ["1", "13", "14", "250", "5000"])
async def test_no_query_sent_costs_over_1000_points(server: RunningServer, page_size: str) -> None:
    sent: list[dict[str, Any]] = []
    async with recording(sent) as client:
        assert await sync_all(connector(server.url, client, page_size=page_size)) == 40
    costs = [requested_cost(parse(body["query"]), body.get("variables") or {}) for body in sent]
    assert any("OrderLines" in str(body["query"]) for body in sent)  # follow-ups were sent too
    assert max(costs) <= 1000


async def test_max_cost_exceeded_at_one_order_is_one_line_and_not_a_rate_limit() -> None:
    sent: list[dict[str, Any]] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["variables"])
        return httpx.Response(200, json=max_cost_body(5000))

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(QueryTooCostly) as caught:
            await connector("http://shop.test", client).fetch_page("")
    message = str(caught.value)
    assert not isinstance(caught.value, SourceRateLimited)
    assert "\n" not in message
    assert "orders query of 1 order as too costly: 5000 points, most 1000 a query" in message
    assert [(asked["first"], asked["after"]) for asked in sent] == [
        (13, None),
        (2, None),
        (1, None),
    ]
