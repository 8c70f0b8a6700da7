"""A first Shopify GraphQL sync knows its total from ``ordersCount``, for its progress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from sync.connectors.shopify_graphql import ShopifyGraphQLSource

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "count-token"
PAGE: dict[str, Any] = {
    "data": {"orders": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
}


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=31, orders=120, now=NOW)


@pytest.fixture
async def server(shop: Shop) -> AsyncIterator[RunningServer]:
    app = create_app(
        shop, clock=VirtualClock(NOW), token=TOKEN, bucket=Bucket(maximum=1e6, restore_rate=1e6)
    )
    running = await serve(app)
    yield running
    await running.stop()


def connector(url: str, client: httpx.AsyncClient, **settings: str) -> ShopifyGraphQLSource:
    return ShopifyGraphQLSource("shop", client, {"url": url, "token": TOKEN, **settings})


def counting(count: int, precision: str, asked: list[str]) -> httpx.AsyncClient:
    """A shop that answers an empty page, and ``ordersCount`` with ``count`` and ``precision``."""

    def reply(request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        asked.append(query)
        if "ordersCount" in query:
            return httpx.Response(
                200, json={"data": {"ordersCount": {"count": count, "precision": precision}}}
            )
        return httpx.Response(200, json=PAGE)

    return httpx.AsyncClient(transport=httpx.MockTransport(reply))


async def test_the_first_page_of_a_first_sync_carries_the_total(
    server: RunningServer, shop: Shop
) -> None:
    async with httpx.AsyncClient() as client:
        shopify = connector(server.url, client, page_size="50")
        first = await shopify.fetch_page("")
        second = await shopify.fetch_page(first.cursor)
    assert first.total == shop.count_at(NOW) == 120
    assert second.total is None  # asked once, as the run starts


async def test_an_incremental_run_asks_no_count(server: RunningServer) -> None:
    async with httpx.AsyncClient() as client:
        shopify = connector(server.url, client)
        cursor = ""
        while True:
            page = await shopify.fetch_page(cursor)
            cursor = page.cursor
            if not page.more:
                break
        again = await shopify.fetch_page(cursor)
    assert again.total is None


async def test_a_capped_count_is_no_total_but_a_floor() -> None:
    asked: list[str] = []
    async with counting(10_000, "AT_LEAST", asked) as client:
        page = await connector("http://shop.test", client).fetch_page("")
    assert page.total is None
    assert page.at_least == 10_000
    assert "limit: null" not in asked[-1]  # API 2025-01 has no uncapped count


async def test_recent_api_versions_ask_for_an_uncapped_count() -> None:
    asked: list[str] = []
    async with counting(48_213, "EXACT", asked) as client:
        page = await connector("http://shop.test", client, api_version="2025-07").fetch_page("")
    assert (page.total, page.at_least) == (48_213, None)
    assert "ordersCount(limit: null)" in asked[-1]


async def test_a_count_that_fails_leaves_the_page_alone() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if b"ordersCount" in request.content:
            return httpx.Response(200, json={"errors": [{"message": "Field 'ordersCount' ..."}]})
        return httpx.Response(200, json=PAGE)

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
        page = await connector("http://shop.test", client).fetch_page("")
    assert page.total is None and page.at_least is None and not page.more
