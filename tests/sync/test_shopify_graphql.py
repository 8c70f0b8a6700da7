from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.faults import Faults
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from sync.connectors import ORDER_SOURCES
from sync.connectors.base import OrderPage
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.connectors.shopify_graphql_parse import parse_orders
from sync.connectors.shopify_query import LARGEST_PAGE, page_cost
from sync.domain import FulfillmentStatus, Lifecycle, OrderRecord, PaymentStatus
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError, SourceRateLimited

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "shpat_test"
Start = Callable[..., Awaitable[RunningServer]]


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=21, orders=300, now=NOW)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def start(shop: Shop, clock: VirtualClock) -> AsyncIterator[Start]:
    servers: list[RunningServer] = []

    async def starter(**options: Any) -> RunningServer:
        options.setdefault("token", TOKEN)
        options.setdefault("bucket", Bucket(maximum=1e6, restore_rate=1e6))
        server = await serve(create_app(shop, clock=clock, **options))
        servers.append(server)
        return server

    yield starter
    for server in servers:
        await server.stop()


async def no_wait(_seconds: float) -> None:
    """Retries in these tests do not really wait (the waits are asserted where they matter)."""


def source(
    server: RunningServer | str, http: httpx.AsyncClient, **settings: str
) -> ShopifyGraphQLSource:
    url = server if isinstance(server, str) else server.url
    return ShopifyGraphQLSource(
        "shop", http, {"url": url, "token": TOKEN, **settings}, sleep=no_wait
    )


async def run(shopify: ShopifyGraphQLSource, cursor: str) -> tuple[list[OrderRecord], str, int]:
    """Pages until caught up: (orders, the cursor to resume from, pages fetched)."""
    orders: list[OrderRecord] = []
    pages = 0
    while True:
        page: OrderPage = await shopify.fetch_page(cursor)
        orders += page.orders
        cursor = page.cursor
        pages += 1
        assert pages < 200, "the source never caught up"
        if not page.more:
            return orders, cursor, pages


def mock_client(
    body: dict[str, Any], seen: list[httpx.Request], status: int = 200
) -> httpx.AsyncClient:
    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(reply))


def test_the_registry_knows_shopify() -> None:
    assert ORDER_SOURCES["shopify"] is ShopifyGraphQLSource


async def test_first_sync_pages_through_every_order(start: Start, http: httpx.AsyncClient) -> None:
    orders, _, pages = await run(source(await start(), http, page_size="10"), "")
    assert len(orders) == len({o.external_id for o in orders}) == 300
    assert pages == 30


async def test_orders_arrive_oldest_change_first(start: Start, http: httpx.AsyncClient) -> None:
    orders, _, _ = await run(source(await start(), http, page_size="100"), "")
    stamps = [order.updated_at for order in orders]
    assert stamps == sorted(stamps)


async def test_a_finished_run_resumes_from_the_high_water_mark_less_overlap(
    start: Start, http: httpx.AsyncClient
) -> None:
    orders, cursor, _ = await run(source(await start(), http, page_size="100"), "")
    saved = json.loads(cursor)
    high = max(order.updated_at for order in orders)
    assert saved["after"] is None
    assert saved["high"] == high.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert saved["since"] == (high - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_resume_fetches_what_changed_later(
    start: Start, http: httpx.AsyncClient, clock: VirtualClock, shop: Shop
) -> None:
    shopify = source(await start(), http, page_size="40")
    _, cursor, _ = await run(shopify, "")
    clock.advance(timedelta(hours=6))
    later, _, _ = await run(shopify, cursor)
    fetched = {order.external_id: order.updated_at for order in later}
    expected = {
        f"gid://shopify/Order/{state.id}": state.updated_at
        for i in range(shop.count_at(clock.now()))
        if (state := shop.order_state(i, clock.now())) and state.updated_at > NOW
    }
    assert expected and len(expected) > 60  # six hours: new orders and moving old ones
    assert {key: fetched.get(key) for key in expected} == expected


async def test_resume_brings_nothing_new_when_nothing_changed(
    start: Start, http: httpx.AsyncClient
) -> None:
    shopify = source(await start(), http, page_size="100")
    first, cursor, _ = await run(shopify, "")
    again, _, _ = await run(shopify, cursor)
    known = {(order.external_id, order.updated_at) for order in first}
    assert {(order.external_id, order.updated_at) for order in again} <= known
    assert len(again) < 10  # only the overlap window is asked for again


async def test_resume_sends_the_updated_at_filter_sorted_by_update() -> None:
    seen: list[httpx.Request] = []
    body = fixture("shopify_orders_page.json")
    cursor = json.dumps({"since": "2025-01-13T09:00:00Z", "after": None, "high": None})
    async with mock_client(body, seen) as client:
        await source("http://shop.test", client).fetch_page(cursor)
    sent = json.loads(seen[0].content)
    assert sent["variables"]["query"] == "updated_at:>='2025-01-13T09:00:00Z'"
    assert "sortKey: UPDATED_AT" in sent["query"]
    assert seen[0].headers["X-Shopify-Access-Token"] == TOKEN
    assert seen[0].url.path == "/admin/api/2025-01/graphql.json"


async def test_a_page_with_more_follows_the_end_cursor() -> None:
    body = fixture("shopify_orders_page.json")
    async with mock_client(body, []) as client:
        page = await source("http://shop.test", client).fetch_page("")
    assert page.more
    assert json.loads(page.cursor) == {
        "since": None,
        "after": body["data"]["orders"]["pageInfo"]["endCursor"],
        "high": "2025-01-13T11:20:45Z",
        "last": ["2025-01-13T11:20:45Z", "gid://shopify/Order/5812345679022"],
    }


def test_fixture_paid_order_maps_to_the_three_axes() -> None:
    orders, more, _ = parse_orders(fixture("shopify_orders_page.json"), "shop")
    paid = orders[0]
    assert more
    assert (paid.payment_status, paid.fulfillment_status, paid.lifecycle) == (
        PaymentStatus.PAID,
        FulfillmentStatus.PARTIALLY_FULFILLED,
        Lifecycle.OPEN,
    )
    assert (paid.payment_raw, paid.fulfillment_raw) == ("PAID", "PARTIALLY_FULFILLED")
    assert paid.paid_at == datetime(2025, 1, 10, 3, 16, 5, tzinfo=UTC)


def test_fixture_order_keeps_customer_address_and_items() -> None:
    paid = parse_orders(fixture("shopify_orders_page.json"), "shop")[0][0]
    assert (paid.number, paid.customer_name, paid.phone) == ("#1042", "李娜", "+8613812345678")
    assert (paid.address, paid.city, paid.province, paid.country) == (
        "南山区科技园路88号, 3栋1201",
        "深圳市",
        "广东省",
        "CN",
    )
    assert (paid.total, paid.currency, paid.tags, paid.channel) == (
        "564.00",
        "CNY",
        ("VIP", "repeat"),
        "online_store",
    )
    assert [(i.sku, i.quantity, i.price) for i in paid.line_items] == [
        ("TEA-LJ-250", 2, "168.00"),
        ("CUP-CER-01", 1, "228.00"),
    ]


def test_fixture_tracking_becomes_a_shipment_with_a_known_carrier() -> None:
    paid = parse_orders(fixture("shopify_orders_page.json"), "shop")[0][0]
    (shipment,) = paid.shipments  # the cancelled fulfillment is left out
    assert (shipment.tracking_number, shipment.carrier, shipment.carrier_raw) == (
        "SF1402236517810",
        "sf",
        "顺丰速运",
    )
    assert shipment.shipped_at == datetime(2025, 1, 11, 8, 2, 55, tzinfo=UTC)


def test_fixture_cancelled_wins_over_closed() -> None:
    refunded = parse_orders(fixture("shopify_orders_page.json"), "shop")[0][1]
    assert (refunded.lifecycle, refunded.lifecycle_raw) == (Lifecycle.CANCELLED, "cancelledAt")
    assert refunded.payment_status is PaymentStatus.REFUNDED
    assert refunded.customer_name == "Emma Wilson"
    assert refunded.channel == "draft_order"


def test_an_unknown_financial_status_is_kept_raw() -> None:
    body = fixture("shopify_orders_page.json")
    body["data"]["orders"]["edges"][0]["node"]["displayFinancialStatus"] = "PARTIALLY_AUTHORIZED"
    order = parse_orders(body, "shop")[0][0]
    assert (order.payment_status, order.payment_raw) == (
        PaymentStatus.PENDING,
        "PARTIALLY_AUTHORIZED",
    )


def test_a_node_without_updated_at_is_a_payload_error() -> None:
    body = fixture("shopify_orders_page.json")
    del body["data"]["orders"]["edges"][0]["node"]["updatedAt"]
    with pytest.raises(PayloadError, match="updatedAt"):
        parse_orders(body, "shop")


async def test_fixture_throttled_body_raises_rate_limited_with_the_bucket_wait() -> None:
    async with mock_client(fixture("shopify_throttled.json"), []) as client:
        with pytest.raises(SourceRateLimited) as caught:
            await source("http://shop.test", client).fetch_page("")
    assert caught.value.retry_after == pytest.approx((252 - 52) / 50.0)


async def test_an_empty_bucket_raises_rate_limited(start: Start, http: httpx.AsyncClient) -> None:
    server = await start(bucket=Bucket(maximum=50, restore_rate=10, monotonic=lambda: 0.0))
    with pytest.raises(SourceRateLimited) as caught:
        await source(server, http).fetch_page("")
    assert caught.value.retry_after == pytest.approx((page_cost(LARGEST_PAGE) - 50) / 10)


async def test_429_with_retry_after_raises_rate_limited(
    start: Start, http: httpx.AsyncClient
) -> None:
    server = await start(faults=Faults("429:1", retry_after=7))
    with pytest.raises(SourceRateLimited) as caught:
        await source(server, http).fetch_page("")
    assert caught.value.retry_after == 7


async def test_a_garbage_body_raises_payload_error(start: Start, http: httpx.AsyncClient) -> None:
    server = await start(faults="garbage:1")
    with pytest.raises(PayloadError, match="not JSON"):
        await source(server, http).fetch_page("")


async def test_a_server_error_raises_source_error(start: Start, http: httpx.AsyncClient) -> None:
    server = await start(faults="503:1")
    with pytest.raises(SourceError, match="HTTP 503"):
        await source(server, http).fetch_page("")


async def test_a_stalled_server_raises_source_error(start: Start, http: httpx.AsyncClient) -> None:
    server = await start(faults=Faults("stall:1", stall_seconds=2))
    with pytest.raises(SourceError, match="no answer"):
        await source(server, http, timeout_seconds="0.2").fetch_page("")


async def test_a_wrong_token_raises_auth_error(start: Start, http: httpx.AsyncClient) -> None:
    server = await start(token="another")
    with pytest.raises(SourceAuthError, match="401"):
        await source(server, http).fetch_page("")


async def test_an_unreachable_shop_raises_source_error(http: httpx.AsyncClient) -> None:
    with pytest.raises(SourceError):
        await source("http://127.0.0.1:9", http).fetch_page("")


async def test_pacing_waits_for_the_bucket_to_refill(start: Start, http: httpx.AsyncClient) -> None:
    moment = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        moment[0] += seconds

    bucket = Bucket(maximum=1200, restore_rate=100, monotonic=lambda: moment[0])
    server = await start(bucket=bucket)
    shopify = ShopifyGraphQLSource(
        "shop", http, {"url": server.url, "token": TOKEN}, sleep=sleep, monotonic=lambda: moment[0]
    )
    first = await shopify.fetch_page("")
    left = int(bucket.available)  # what the first page's actual cost left in the bucket
    second = await shopify.fetch_page(first.cursor)
    assert slept == [pytest.approx((page_cost(LARGEST_PAGE) - left) / 100)]
    assert second.orders


@pytest.mark.parametrize(
    "settings",
    [
        {"token": TOKEN},
        {"url": "http://x"},
        {"url": "http://x", "token": TOKEN, "page_size": "0"},
        {"url": "http://x", "token": TOKEN, "page_size": "many"},
    ],
)
def test_bad_settings_raise_config_error(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        ShopifyGraphQLSource(
            "shop",
            httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(500))),
            settings,
        )


async def test_an_unreadable_cursor_raises_source_error(http: httpx.AsyncClient) -> None:
    with pytest.raises(SourceError, match="cursor"):
        await source("http://shop.test", http).fetch_page("{not json")
