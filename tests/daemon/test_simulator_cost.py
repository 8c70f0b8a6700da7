"""The simulated Shopify prices GraphQL queries as Shopify does (or by a model of how live shops
price them), refuses what costs over 1000 points, and charges its bucket only for what it
returned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import ORDER_ID_BASE, Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import CostModel, parse, requested_cost
from sync.clock import VirtualClock
from sync.connectors.shopify_query import LARGEST_PAGE, ORDERS_QUERY

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "sim-cost-token"
GRAPHQL = "/admin/api/2025-01/graphql.json"
SMALL = """query Small($first: Int!) {
  orders(first: $first) {
    edges { cursor node { id customer { email } lineItems(first: 4) { nodes { id } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LINES = """query Lines($id: ID!, $after: String) {
  order(id: $id) {
    id lineItems(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
  }
}"""


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=41, orders=60, now=NOW)


@pytest.fixture
def bucket() -> Bucket:
    return Bucket(maximum=2000, restore_rate=100, monotonic=lambda: 0.0)


@pytest.fixture
async def client(shop: Shop, bucket: Bucket) -> AsyncIterator[httpx.AsyncClient]:
    server = await serve(create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=bucket))
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}
    ) as http:
        yield http
    await server.stop()


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(GRAPHQL, json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_requested_cost_multiplies_nested_sizes_by_the_outer_first() -> None:
    # orders: 2 + 3 × (order 1 + customer 1 + lineItems (2 + 4 × 1))
    assert requested_cost(parse(SMALL), {"first": 3}) == 2 + 3 * (1 + 1 + 2 + 4) == 26


def test_scalars_cost_nothing_and_objects_one() -> None:
    assert requested_cost(parse("{ shop { name currencyCode billingAddress { city } } }"), {}) == 2


async def test_a_query_over_1000_points_is_refused_as_shopify_does(
    client: httpx.AsyncClient, bucket: Bucket
) -> None:
    body = await ask(client, ORDERS_QUERY, first=250)
    (error,) = body["errors"]
    assert error["message"].startswith(
        "Query cost is 19002, which exceeds the single query max cost limit (1000)."
    )
    assert error["extensions"] | {"documentation": ""} == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 19002,
        "maxCost": 1000,
        "documentation": "",
    }
    assert "data" not in body and "extensions" not in body
    assert bucket.available == 2000  # nothing taken


async def test_a_query_at_the_limit_is_answered(client: httpx.AsyncClient) -> None:
    body = await ask(client, ORDERS_QUERY, first=LARGEST_PAGE)
    assert len(body["data"]["orders"]["edges"]) == LARGEST_PAGE
    assert body["extensions"]["cost"]["requestedQueryCost"] == 990


async def test_the_bucket_keeps_only_the_actual_cost(
    client: httpx.AsyncClient, bucket: Bucket
) -> None:
    body = await ask(client, SMALL, first=5)
    cost = body["extensions"]["cost"]
    nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    actual = 2 + sum(1 + 1 + 2 + len(node["lineItems"]["nodes"]) for node in nodes)
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (2 + 5 * 8, actual)
    assert actual < 2 + 5 * 8
    assert bucket.available == cost["throttleStatus"]["currentlyAvailable"] == 2000 - actual


async def test_nested_lists_hold_no_more_than_first(client: httpx.AsyncClient, shop: Shop) -> None:
    body = await ask(client, SMALL, first=60)
    counts = [len(e["node"]["lineItems"]["nodes"]) for e in body["data"]["orders"]["edges"]]
    baskets = [len(shop.details(index).items) for index in range(60)]
    assert max(baskets) == 4 and counts  # the shop's baskets hold up to 4 lines
    assert sorted(counts) == sorted(min(n, 4) for n in baskets)


async def test_an_orders_line_items_page_by_cursor(client: httpx.AsyncClient, shop: Shop) -> None:
    index = next(i for i in range(60) if len(shop.details(i).items) >= 3)
    gid = f"gid://shopify/Order/{ORDER_ID_BASE + index}"
    seen: list[str] = []
    after = None
    while True:
        lines = (await ask(client, LINES, id=gid, after=after))["data"]["order"]["lineItems"]
        seen += [node["id"] for node in lines["nodes"]]
        if not lines["pageInfo"]["hasNextPage"]:
            break
        after = lines["pageInfo"]["endCursor"]
    assert seen == [f"gid://shopify/LineItem/{item.line_id}" for item in shop.details(index).items]


async def test_an_unknown_order_is_null(client: httpx.AsyncClient) -> None:
    body = await ask(client, LINES, id="gid://shopify/Order/1")
    assert body["data"] == {"order": None}


async def test_an_unreadable_query_gets_a_graphql_error(client: httpx.AsyncClient) -> None:
    body = await ask(client, "query { orders(first: 2) { edges { node { id } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "PARSE_ERROR"


THREAD = """query getVariantsInventoryItem($id: ID!) {
  product(id: $id) { variants(first: 250) { nodes { inventoryItem { id tracked } } } }
}"""


def test_the_current_model_prices_the_threads_query_near_what_shopify_answered() -> None:
    tree = parse(THREAD)
    assert requested_cost(tree, {"id": "x"}, CostModel.CLASSIC) == 1 + 2 + 250 * 2 == 503
    assert requested_cost(tree, {"id": "x"}, CostModel.CURRENT) == 1 + 2 + 500 // 20 == 28  # 25


def test_the_current_model_lets_250_orders_fit_one_query() -> None:
    tree = parse(ORDERS_QUERY)
    assert requested_cost(tree, {"first": LARGEST_PAGE}, CostModel.CURRENT) == 2 + 10 == 12
    assert requested_cost(tree, {"first": 250}, CostModel.CURRENT) == 2 + 188 == 190


def test_the_strict_model_marks_the_published_rule_up_by_half() -> None:
    tree = parse(ORDERS_QUERY)
    assert requested_cost(tree, {"first": LARGEST_PAGE}, CostModel.STRICT) == 1485


async def test_the_shop_prices_and_charges_by_its_cost_model(shop: Shop) -> None:
    app = create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=Bucket(1e6, 1e6))
    app.state.shopify.cost_model = CostModel.CURRENT
    server = await serve(app)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}
    ) as client:
        cost = (await ask(client, ORDERS_QUERY, first=60))["extensions"]["cost"]
        app.state.shopify.cost_model = CostModel.STRICT
        refused = await ask(client, ORDERS_QUERY, first=LARGEST_PAGE)
    await server.stop()
    assert cost["requestedQueryCost"] == 2 + 45
    assert 2 < cost["actualQueryCost"] <= cost["requestedQueryCost"]
    assert refused["errors"][0]["extensions"]["cost"] == 1485


async def pages_of(app: Any, sizes: list[int]) -> list[dict[str, Any]]:
    """The pages of a first sync, each as many orders as ``sizes`` says (the last size again
    when it runs out), with their cost figures."""
    server = await serve(app)
    pages: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}
        ) as client:
            after = None
            while True:
                first = sizes[min(len(pages), len(sizes) - 1)]
                body = await ask(client, ORDERS_QUERY, first=first, after=after)
                cost = body["extensions"]["cost"]["actualQueryCost"]
                pages.append(body["data"] | {"cost": cost})
                info = body["data"]["orders"]["pageInfo"]
                if not info["hasNextPage"]:
                    return pages
                after = info["endCursor"]
    finally:
        await server.stop()


@pytest.mark.parametrize(
    ("model", "sizes"),
    [
        (CostModel.CLASSIC, [13, 7, 1, 10]),
        (CostModel.CURRENT, [13, 26, 5, 250]),
        (CostModel.STRICT, [8, 3, 1, 6]),
    ],
)
async def test_orders_drawn_ahead_answer_pages_of_any_size_as_drawn(
    model: CostModel, sizes: list[int]
) -> None:
    apps = []
    for _ in range(2):
        shop = Shop(seed=41, orders=330, now=NOW)
        app = create_app(shop, clock=VirtualClock(NOW), token=TOKEN, bucket=Bucket(1e9, 1e9))
        app.state.shopify.cost_model = model
        apps.append(app)
    assert apps[1].state.shopify.prerender(sizes[0], ORDERS_QUERY) == -(-330 // sizes[0])
    drawn, kept = await pages_of(apps[0], sizes), await pages_of(apps[1], sizes)
    assert kept == drawn
    counts = [len(page["orders"]["edges"]) for page in kept]
    assert counts[:4] == sizes and sum(counts) == 330
