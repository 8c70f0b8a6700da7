"""The Shopify REST connector: the documented samples, and the simulator over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.shop import Shop
from daemon.simulator.shopify_rest_api import CallBucket
from sync.clock import VirtualClock
from sync.connectors import ORDER_SOURCES
from sync.connectors.shopify_rest import (
    ShopifyRestSource,
    next_page_info,
    parse_rest_payload,
    rest_order_record,
)
from sync.domain import FulfillmentStatus, Lifecycle, PaymentStatus
from sync.errors import ConfigError, PayloadError, SourceAuthError
from tests.sync.apisim import Waits, make_source, run_pages, start_vendor, truth

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=5, orders=240, now=NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def test_the_registry_knows_shopify_rest() -> None:
    assert ORDER_SOURCES["shopify-rest"] is ShopifyRestSource


def test_sample_order_maps_to_the_three_axes() -> None:
    (order,) = parse_rest_payload(fixture("shopify_rest_orders.json"), "shop")
    assert (order.payment_status, order.fulfillment_status, order.lifecycle) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        FulfillmentStatus.UNFULFILLED,
        Lifecycle.OPEN,
    )
    assert (order.payment_raw, order.fulfillment_raw) == ("partially_refunded", "")


def test_sample_times_with_an_offset_become_utc() -> None:
    (order,) = parse_rest_payload(fixture("shopify_rest_order.json"), "shop")
    assert order.created_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert order.paid_at == order.created_at  # processed_at stands in for the payment time


def test_sample_keeps_customer_address_and_items() -> None:
    (order,) = parse_rest_payload(fixture("shopify_rest_order.json"), "shop")
    assert (order.number, order.customer_name, order.email) == (
        "#1001",
        "Bob Norman",
        "bob.norman@mail.example.com",
    )
    assert (order.city, order.province, order.country) == ("Louisville", "Kentucky", "US")
    assert [(i.sku, i.quantity, i.price) for i in order.line_items] == [
        ("IPOD2008GREEN", 1, "199.00"),
        ("IPOD2008RED", 1, "199.00"),
        ("IPOD2008BLACK", 1, "199.00"),
    ]
    assert order.total == "598.94"


def test_sample_failed_fulfillment_is_no_shipment() -> None:
    (order,) = parse_rest_payload(fixture("shopify_rest_order.json"), "shop")
    assert order.shipments == ()


def test_each_tracking_number_of_a_fulfillment_is_a_shipment() -> None:
    (order,) = parse_rest_payload(fixture("shopify_rest_order_fulfilled.json"), "shop")
    assert order.fulfillment_status is FulfillmentStatus.FULFILLED
    assert [(s.external_id, s.tracking_number, s.carrier) for s in order.shipments] == [
        ("gid://shopify/Fulfillment/1069019890", "1Z999AA10123456784", "ups"),
        ("gid://shopify/Fulfillment/1069019890#2", "1Z999AA10123456795", "ups"),
    ]
    assert order.shipments[1].tracking_url.endswith("1Z999AA10123456795")


def test_a_closed_order_webhook_is_closed() -> None:
    (order,) = parse_rest_payload(fixture("shopify_webhook_orders_updated.json"), "shop")
    assert (order.lifecycle, order.lifecycle_raw) == (Lifecycle.CLOSED, "closed_at")


def test_a_zone_less_time_is_a_payload_error() -> None:
    node = fixture("shopify_rest_order.json")["order"]
    node["updated_at"] = "2008-01-10T11:00:00"
    with pytest.raises(PayloadError, match="no zone"):
        rest_order_record(node, "shop")


def test_the_next_link_gives_the_page_info() -> None:
    link = (
        '<https://shop.test/admin/api/2025-01/orders.json?limit=3&page_info=abc>; rel="previous", '
        '<https://shop.test/admin/api/2025-01/orders.json?limit=3&page_info=def>; rel="next"'
    )
    assert next_page_info(link) == "def"
    assert next_page_info('<https://x/orders.json?page_info=abc>; rel="previous"') is None
    assert next_page_info(None) is None


async def test_first_sync_pages_through_every_order_once(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, vendor = await start_vendor(shop, clock)
    try:
        orders, _ = await run_pages(make_source("shopify-rest", server.url, http), "")
    finally:
        await server.stop()
    assert {o.external_id: o.updated_at for o in orders} == truth(shop, NOW, "shopify-rest")
    assert len(orders) == 240
    assert vendor.hits.count("/admin/api/2025-01/orders/count.json") == 1


async def test_only_the_first_page_carries_filters(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    seen: list[httpx.URL] = []

    async def note(request: httpx.Request) -> None:
        seen.append(request.url)

    http.event_hooks["request"] = [note]
    server, _ = await start_vendor(shop, clock)
    try:
        await run_pages(make_source("shopify-rest", server.url, http), "")
    finally:
        await server.stop()
    listings = [url for url in seen if url.path.endswith("/orders.json")]
    assert listings[0].params["status"] == "any"
    assert listings[0].params["order"] == "updated_at asc"
    assert all(set(url.params) == {"limit", "page_info"} for url in listings[1:])


async def test_a_first_page_tells_the_run_total(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, _ = await start_vendor(shop, clock)
    try:
        page = await make_source("shopify-rest", server.url, http).fetch_page("")
    finally:
        await server.stop()
    assert page.total == 240


async def test_resume_fetches_what_changed_later(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source("shopify-rest", server.url, http)
        _, cursor = await run_pages(source, "")
        clock.advance(timedelta(hours=6))
        later, _ = await run_pages(source, cursor)
    finally:
        await server.stop()
    changed = {k: v for k, v in truth(shop, clock.now(), "shopify-rest").items() if v > NOW}
    assert changed
    assert {o.external_id: o.updated_at for o in later if o.external_id in changed} == changed


async def test_a_full_call_bucket_makes_the_connector_wait(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    moment = [0.0]
    waits = Waits()

    async def sleep(seconds: float) -> None:
        await waits(seconds)
        moment[0] += seconds

    bucket = CallBucket(size=4, leak=2.0, monotonic=lambda: moment[0])
    server, _ = await start_vendor(shop, clock, calls=bucket)
    try:
        source = ShopifyRestSource(
            "shop",
            http,
            {"url": server.url, "token": "demo-token", "page_size": "100"},
            sleep=sleep,
            monotonic=lambda: moment[0],
        )
        await run_pages(source, "")
    finally:
        await server.stop()
    assert waits.asked and all(wait > 0 for wait in waits.asked)
    assert bucket.used <= bucket.size


async def test_429_waits_for_retry_after_then_goes_on(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    waits = Waits()
    server, vendor = await start_vendor(shop, clock, script=[429])
    try:
        page = await make_source("shopify-rest", server.url, http, sleep=waits).fetch_page("")
    finally:
        await server.stop()
    assert page.orders
    assert waits.asked == [3.0]
    assert vendor.hits[:2] == ["/admin/api/2025-01/orders.json"] * 2


async def test_a_refused_token_fails_fast_with_the_status(
    shop: Shop, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    server, vendor = await start_vendor(shop, clock, token="another")
    try:
        with pytest.raises(SourceAuthError, match="401"):
            await make_source("shopify-rest", server.url, http).fetch_page("")
    finally:
        await server.stop()
    assert len(vendor.hits) == 1


@pytest.mark.parametrize(
    "settings",
    [{"token": "t"}, {"url": "http://x"}, {"url": "http://x", "token": "t", "page_size": "251"}],
)
def test_bad_settings_raise_config_error(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        ShopifyRestSource("shop", httpx.AsyncClient(), settings)
