"""The WooCommerce connector: the documented samples, and the simulator over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import ORDER_SOURCES
from sync.connectors.woocommerce import (
    WooCommerceSource,
    parse_status_map,
    parse_woocommerce_payload,
    woo_order_record,
)
from sync.domain import FulfillmentStatus, Lifecycle, PaymentStatus
from sync.errors import ConfigError, PayloadError, SourceAuthError
from tests.sync.apisim import make_source, run_pages, start_vendor, truth

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
P, F, L = PaymentStatus, FulfillmentStatus, Lifecycle


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def order(**changes: Any) -> dict[str, Any]:
    node: dict[str, Any] = fixture("woocommerce_order.json")
    node.update(changes)
    return node


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=8, orders=230, now=NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def test_the_registry_knows_woocommerce() -> None:
    assert ORDER_SOURCES["woocommerce"] is WooCommerceSource


@pytest.mark.parametrize(
    ("status", "axes"),
    [
        ("pending", (P.PENDING, F.UNFULFILLED, L.OPEN)),
        ("processing", (P.PAID, F.UNFULFILLED, L.OPEN)),
        ("on-hold", (P.PAID, F.ON_HOLD, L.OPEN)),  # the sample has date_paid_gmt
        ("completed", (P.PAID, F.FULFILLED, L.CLOSED)),
        ("cancelled", (P.VOIDED, F.UNFULFILLED, L.CANCELLED)),
        ("refunded", (P.REFUNDED, F.UNFULFILLED, L.CLOSED)),
        ("failed", (P.FAILED, F.UNFULFILLED, L.OPEN)),
        ("trash", (P.PAID, F.UNFULFILLED, L.DELETED)),
    ],
)
def test_core_statuses_map_to_the_three_axes(
    status: str, axes: tuple[PaymentStatus, FulfillmentStatus, Lifecycle]
) -> None:
    paid = None if status == "pending" else "2017-03-22T19:28:08"
    record = woo_order_record(order(status=status, date_paid_gmt=paid), "shop", {})
    assert (record.payment_status, record.fulfillment_status, record.lifecycle) == axes
    assert record.payment_raw == record.fulfillment_raw == record.lifecycle_raw == status


def test_on_hold_without_payment_is_pending() -> None:
    record = woo_order_record(order(status="on-hold", date_paid_gmt=None), "shop", {})
    assert record.payment_status is P.PENDING


def test_a_custom_status_is_kept_raw_and_read_from_the_order() -> None:
    record = woo_order_record(order(status="shipped"), "shop", {})
    assert (record.payment_status, record.fulfillment_status, record.lifecycle) == (
        P.PAID,
        F.UNFULFILLED,
        L.OPEN,
    )
    assert record.fulfillment_raw == "shipped"


def test_a_custom_status_follows_the_status_map() -> None:
    custom = parse_status_map("wc-awaiting-pickup=in_progress, shipped=paid+fulfilled", "shop")
    waiting = woo_order_record(order(status="awaiting-pickup"), "shop", custom)
    shipped = woo_order_record(order(status="wc-shipped", date_paid_gmt=None), "shop", custom)
    assert waiting.fulfillment_status is F.IN_PROGRESS
    assert (shipped.payment_status, shipped.fulfillment_status) == (P.PAID, F.FULFILLED)


@pytest.mark.parametrize("spec", ["shipped", "shipped=", "shipped=teleported", "=paid"])
def test_a_bad_status_map_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="status_map"):
        parse_status_map(spec, "source shop")


def test_gmt_fields_are_read_as_utc() -> None:
    (sample,) = parse_woocommerce_payload(fixture("woocommerce_order.json"), "shop")
    assert sample.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert sample.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert sample.paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def test_a_completed_order_with_refunds_is_partially_refunded() -> None:
    _, completed = parse_woocommerce_payload(fixture("woocommerce_orders.json"), "shop")
    assert (completed.payment_status, completed.fulfillment_status) == (
        P.PARTIALLY_REFUNDED,
        F.FULFILLED,
    )
    assert completed.closed_at == datetime(2017, 3, 21, 19, 54, 51, tzinfo=UTC)
    assert completed.customer_name == "João Silva"


def test_shipment_tracking_items_become_shipments() -> None:
    (record,) = parse_woocommerce_payload(fixture("woocommerce_webhook_order_updated.json"), "shop")
    assert [(s.tracking_number, s.carrier, s.carrier_raw) for s in record.shipments] == [
        ("9400111899223197428490", "usps", "usps"),
        ("SF1402236517810", "sf", "顺丰速运"),
    ]
    assert record.shipments[0].shipped_at == datetime(2017, 3, 21, tzinfo=UTC)
    assert record.shipments[0].external_id == "723/5d1cb8a4a1b3c2f0e7b9d1a2c3e4f5a6"


def test_a_missing_gmt_time_is_a_payload_error() -> None:
    node = order()
    del node["date_created_gmt"]
    with pytest.raises(PayloadError, match="date_created_gmt"):
        woo_order_record(node, "shop", {})


def test_an_error_body_is_a_payload_error() -> None:
    body = {"code": "woocommerce_rest_cannot_view", "message": "Sorry.", "data": {"status": 401}}
    with pytest.raises(PayloadError, match="cannot_view"):
        parse_woocommerce_payload(body, "shop")


async def test_first_sync_pages_through_every_order_once(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, _ = await start_vendor(shop, clock)
    try:
        orders, cursor = await run_pages(make_source("woocommerce", server.url, http), "")
    finally:
        await server.stop()
    assert {o.external_id: o.updated_at for o in orders} == truth(shop, NOW, "woocommerce")
    assert json.loads(cursor)["high"] == max(o.updated_at for o in orders).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


async def test_pages_go_by_id_and_tell_the_total(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, _ = await start_vendor(shop, clock)
    try:
        page = await make_source("woocommerce", server.url, http).fetch_page("")
    finally:
        await server.stop()
    ids = [int(o.external_id) for o in page.orders]
    assert ids == sorted(ids) and len(ids) == 25
    assert page.total == 230 and page.more


async def test_resume_asks_modified_after_in_gmt_a_second_early(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    seen: list[httpx.URL] = []

    async def note(request: httpx.Request) -> None:
        seen.append(request.url)

    server, _ = await start_vendor(shop, clock)
    http.event_hooks["request"] = [note]
    try:
        source = make_source("woocommerce", server.url, http, lookback_seconds="0")
        _, cursor = await run_pages(source, "")
        clock.advance(timedelta(hours=3))
        later, _ = await run_pages(source, cursor)
    finally:
        await server.stop()
    high = datetime.fromisoformat(json.loads(cursor)["high"].replace("Z", "+00:00"))
    asked = seen[-1].params
    assert asked["dates_are_gmt"] == "true"
    assert asked["modified_after"] == (high - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    changed = {k: v for k, v in truth(shop, clock.now(), "woocommerce").items() if v >= high}
    assert {o.external_id: o.updated_at for o in later} == changed


async def test_query_string_auth_for_hosts_that_strip_the_header(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    seen: list[httpx.Request] = []

    async def note(request: httpx.Request) -> None:
        seen.append(request)

    server, _ = await start_vendor(shop, clock)
    http.event_hooks["request"] = [note]
    try:
        page = await make_source("woocommerce", server.url, http, auth="query").fetch_page("")
    finally:
        await server.stop()
    assert page.orders
    assert "authorization" not in seen[0].headers
    assert seen[0].url.params["consumer_key"] == "ck_demo"


async def test_a_wrong_secret_fails_fast(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, vendor = await start_vendor(shop, clock, woo_secret="other")
    try:
        with pytest.raises(SourceAuthError, match="consumer key or secret refused"):
            await make_source("woocommerce", server.url, http).fetch_page("")
    finally:
        await server.stop()
    assert len(vendor.hits) == 1


@pytest.mark.parametrize(
    "settings",
    [
        {"url": "http://x", "key": "k"},
        {"url": "http://x", "key": "k", "secret": "s", "page_size": "101"},
        {"url": "http://x", "key": "k", "secret": "s", "auth": "oauth"},
    ],
)
def test_bad_settings_raise_config_error(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        WooCommerceSource("shop", httpx.AsyncClient(), settings)
