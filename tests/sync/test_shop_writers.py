"""The shop writers: against the simulator over loopback HTTP, and against the vendors' samples."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import OrderState, Shop
from sync.clock import VirtualClock
from sync.connectors import SHOP_WRITERS
from sync.connectors.shop_writer import ShopWriter
from sync.errors import ConfigError, SourceError, WriteRefused
from sync.pushes import TrackingPush
from tests.sync.apisim import KINDS, external_id, make_source, run_pages, settings_for, start_vendor

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = {"url": "https://shop.example", "token": "t"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=8, orders=200, now=NOW, unrecorded_share=1.0)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
async def sim(shop: Shop, clock: VirtualClock) -> AsyncIterator[tuple[str, Any]]:
    """The simulator serving ``shop``: its address and its app's state."""
    server, scripted = await start_vendor(shop, clock)
    try:
        yield server.url, scripted.app.state
    finally:
        await server.stop()


def unshipped(shop: Shop, nth: int = 0) -> OrderState:
    """An order the courier carries while the shop shows it in progress."""
    found = [
        state
        for index in range(shop.orders)
        if (line := shop.timeline(index)).shipped is not None
        and line.shipped < NOW.timestamp()
        and line.cancelled is None
        and (state := shop.order_state(index, NOW)) is not None
    ]
    state = found[nth]
    assert state.fulfillments == () and state.fulfillment_status == "IN_PROGRESS"
    return state


def push_for(kind: str, state: OrderState, number: str = "") -> TrackingPush:
    return TrackingPush(
        order_id=1,
        source="shop",
        external_id=external_id(kind, state),
        number=state.name,
        tracking_number=number or state.details.tracking_number,
        company=state.details.company,
        url="https://courier.example/track?n=" + state.details.tracking_number,
        shipped_on="2025-03-01",
    )


def writer(kind: str, url: str, client: httpx.AsyncClient, **extra: str) -> ShopWriter:
    return SHOP_WRITERS[kind]("shop", client, settings_for(kind, url, **extra))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_push_makes_the_next_sync_read_the_order_fulfilled_with_its_tracking(
    kind: str, shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, _app = sim
    pushed = await writer(kind, url, http).push_tracking(push_for(kind, state))
    clock.advance(timedelta(seconds=5))
    orders, _ = await run_pages(make_source(kind, url, http), "")
    (order,) = [o for o in orders if o.external_id == external_id(kind, state)]
    assert pushed.created
    assert order.fulfillment_status == "fulfilled"
    assert [s.tracking_number for s in order.shipments] == [state.details.tracking_number]


@pytest.mark.parametrize("kind", KINDS)
async def test_pushing_the_same_number_twice_writes_it_once(
    kind: str, shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, _app = sim
    shop_writer = writer(kind, url, http)
    first = await shop_writer.push_tracking(push_for(kind, state))
    again = await shop_writer.push_tracking(push_for(kind, state))
    after = shop.order_state(state.index, clock.now())
    assert (first.created, again.created) == (True, False)
    assert after is not None and len(after.fulfillments) == 1


@pytest.mark.parametrize("kind", ["shopify", "shopify-rest"])
async def test_shopify_refuses_a_second_number_for_an_order_it_shows_fulfilled(
    kind: str, shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, _app = sim
    shop_writer = writer(kind, url, http)
    await shop_writer.push_tracking(push_for(kind, state))
    with pytest.raises(WriteRefused, match="no fulfillment order left"):
        await shop_writer.push_tracking(push_for(kind, state, number="OTHER123"))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_refusal_is_raised_with_the_platforms_words(
    kind: str, shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, app = sim
    faults = app.woo_writes.faults if kind == "woocommerce" else app.shopify_writes.faults
    faults.fail("refuse")
    with pytest.raises(WriteRefused, match=r"[Ss]imulated refusal"):
        await writer(kind, url, http).push_tracking(push_for(kind, state))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_platform_that_keeps_failing_is_a_source_error_not_a_refusal(
    kind: str, shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, app = sim
    faults = app.woo_writes.faults if kind == "woocommerce" else app.shopify_writes.faults
    faults.fail(503, times=10)
    with pytest.raises(SourceError) as raised:
        await writer(kind, url, http, retries="2").push_tracking(push_for(kind, state))
    assert not isinstance(raised.value, WriteRefused)
    assert "503" in str(raised.value)


async def test_woocommerce_adds_no_second_item_when_only_the_status_update_failed(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, app = sim
    shop_writer = writer("woocommerce", url, http, retries="1")
    app.woo_writes.faults.fail("pass")  # the tracking item goes in ...
    app.woo_writes.faults.fail(503)  # ... the status update fails
    with pytest.raises(SourceError):
        await shop_writer.push_tracking(push_for("woocommerce", state))
    again = await shop_writer.push_tracking(push_for("woocommerce", state))
    after = shop.order_state(state.index, clock.now())
    assert after is not None and len(after.fulfillments) == 1 and after.status_set == "completed"
    assert not again.created


def test_writer_settings_are_checked() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ConfigError, match="push_notify_customer"):
        SHOP_WRITERS["shopify"]("s", client, {**TOKEN, "push_notify_customer": "maybe"})
    with pytest.raises(ConfigError, match="push_attempts"):
        SHOP_WRITERS["shopify"]("s", client, {**TOKEN, "push_attempts": "0"})
    built = SHOP_WRITERS["shopify-rest"]("s", client, {**TOKEN, "push_retry_seconds": "60"})
    assert (built.attempts, built.retry_every) == (5, timedelta(seconds=60))


# ----- the vendors' own samples, and what the writers send -----


class Vendor:
    """A small app answering each (method, path) with a recorded body; keeps what it was sent."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any]]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any]] = []

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        self.sent.append((request.method, request.url.path, json.loads(raw) if raw else None))
        status, body = self.answers[(request.method, request.url.path)]
        return JSONResponse(body, status_code=status)

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PUT"])]
        )


Serving = Callable[[Vendor], Awaitable[RunningServer]]


@pytest.fixture
async def serving() -> AsyncIterator[Serving]:
    """Serve a :class:`Vendor` on loopback; every one started is stopped after the test."""
    started: list[RunningServer] = []

    async def start(vendor: Vendor) -> RunningServer:
        started.append(await serve(vendor.app()))
        return started[-1]

    yield start
    for server in started:
        await server.stop()


GRAPHQL = "/admin/api/2025-01/graphql.json"


class GraphQLVendor(Vendor):
    async def handle(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.sent.append(("POST", request.url.path, body))
        name = "mutation" if "fulfillmentCreate" in body["query"] else "query"
        status, answer = self.answers[("POST", name)]
        return JSONResponse(answer, status_code=status)


async def test_graphql_sends_fulfillment_create_with_the_open_fulfillment_orders(
    http: httpx.AsyncClient, serving: Serving
) -> None:
    vendor = GraphQLVendor(
        {
            ("POST", "query"): (200, fixture("shopify_graphql_fulfillment_orders.json")),
            ("POST", "mutation"): (200, fixture("shopify_graphql_fulfillment_create.json")),
        }
    )
    url = (await serving(vendor)).url
    push = TrackingPush(1, "s", "gid://shopify/Order/450789469", "#1001", "1Z001985YW99744790",
                        "UPS", "https://ups.example/1Z")  # fmt: skip
    pushed = await writer("shopify", url, http).push_tracking(push)
    variables = vendor.sent[1][2]["variables"]["fulfillment"]
    assert vendor.sent[0][2]["variables"] == {"id": "gid://shopify/Order/450789469"}
    assert variables == {
        "lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000823"}
        ],
        "trackingInfo": {
            "number": "1Z001985YW99744790",
            "company": "UPS",
            "url": "https://ups.example/1Z",
        },
        "notifyCustomer": False,
    }
    assert pushed.detail == "fulfillment gid://shopify/Fulfillment/1069019884 created on Shopify"


async def test_graphql_user_errors_are_a_refusal_in_shopifys_words(
    http: httpx.AsyncClient, serving: Serving
) -> None:
    vendor = GraphQLVendor(
        {
            ("POST", "query"): (200, fixture("shopify_graphql_fulfillment_orders.json")),
            ("POST", "mutation"): (200, fixture("shopify_graphql_fulfillment_create_refused.json")),
        }
    )
    url = (await serving(vendor)).url
    push = TrackingPush(1, "s", "gid://shopify/Order/450789469", "#1001", "1Z9")
    with pytest.raises(WriteRefused, match="unfulfillable status= closed"):
        await writer("shopify", url, http).push_tracking(push)


async def test_rest_creates_the_fulfillment_from_fulfillment_orders(
    http: httpx.AsyncClient, serving: Serving
) -> None:
    orders = fixture("shopify_rest_fulfillment_orders.json")
    orders["fulfillment_orders"][0]["supported_actions"] = ["create_fulfillment", "hold"]
    vendor = Vendor(
        {
            ("GET", "/admin/api/2025-01/orders/450789469.json"): (200, {"order": {"id": 1}}),
            ("GET", "/admin/api/2025-01/orders/450789469/fulfillment_orders.json"): (200, orders),
            ("POST", "/admin/api/2025-01/fulfillments.json"): (
                201,
                fixture("shopify_rest_fulfillment_create.json"),
            ),
        }
    )
    url = (await serving(vendor)).url
    link = "https://www.my-shipping-company.com?tracking_number=MS1562678"
    push = TrackingPush(1, "s", "gid://shopify/Order/450789469", "#1001", "MS1562678", "", link)
    pushed = await writer("shopify-rest", url, http, push_notify_customer="true").push_tracking(
        push
    )
    assert vendor.sent[-1][2] == {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000823}],
            "tracking_info": {
                "number": "MS1562678",
                "url": link,
            },
            "notify_customer": True,
        }
    }
    assert pushed.detail == "fulfillment 1069019884 created on Shopify"


async def test_rest_leaves_alone_an_order_handed_to_a_fulfillment_service(
    http: httpx.AsyncClient, serving: Serving
) -> None:
    vendor = Vendor(
        {
            ("GET", "/admin/api/2025-01/orders/450789469.json"): (200, {"order": {"id": 1}}),
            ("GET", "/admin/api/2025-01/orders/450789469/fulfillment_orders.json"): (
                200,
                fixture("shopify_rest_fulfillment_orders.json"),
            ),
        }
    )
    url = (await serving(vendor)).url
    push = TrackingPush(1, "s", "gid://shopify/Order/450789469", "#1001", "MS1562678")
    with pytest.raises(WriteRefused, match="no fulfillment order left"):
        await writer("shopify-rest", url, http).push_tracking(push)
    assert [method for method, _, _ in vendor.sent] == ["GET", "GET"]


async def test_woocommerce_posts_the_tracking_item_then_completes_the_order(
    http: httpx.AsyncClient, serving: Serving
) -> None:
    base = "/wp-json/wc-shipment-tracking/v3/orders/645/shipment-trackings"
    vendor = Vendor(
        {
            ("GET", base): (200, []),
            ("POST", base): (201, fixture("woocommerce_shipment_tracking_item.json")),
            ("PUT", "/wp-json/wc/v3/orders/645"): (200, {"id": 645, "status": "completed"}),
        }
    )
    url = (await serving(vendor)).url
    push = TrackingPush(1, "s", "645", "645", "9400111899560000000000", "USPS", "",
                        shipped_on="2026-07-10")  # fmt: skip
    pushed = await writer("woocommerce", url, http).push_tracking(push)
    assert vendor.sent[1][2] == {
        "tracking_number": "9400111899560000000000",
        "date_shipped": "2026-07-10",
        "tracking_provider": "USPS",
    }
    assert vendor.sent[2][2] == {"status": "completed"}
    assert pushed.created


async def test_the_simulators_tracking_item_has_the_documented_fields(
    shop: Shop, http: httpx.AsyncClient, sim: tuple[str, Any]
) -> None:
    state = unshipped(shop)
    url, _app = sim
    await writer("woocommerce", url, http).push_tracking(push_for("woocommerce", state))
    response = await http.get(
        f"{url}/wp-json/wc-shipment-tracking/v3/orders/{external_id('woocommerce', state)}"
        "/shipment-trackings",
        auth=("ck_demo", "cs_demo"),
    )
    (item,) = response.json()
    assert set(item) == set(fixture("woocommerce_shipment_tracking_item.json"))
