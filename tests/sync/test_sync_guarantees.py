"""The sync guarantees, the same for every API source, through the engine into a real database.

Each test runs the Shopify GraphQL, Shopify REST and WooCommerce connectors against the
simulator over loopback HTTP, and compares the mirror with what the shop really holds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from daemon.simulator.shop import Shop
from daemon.simulator.shopify_rest_api import rest_order
from daemon.simulator.woocommerce_api import woo_order
from sync.clock import VirtualClock
from sync.connectors.base import OrderSource
from sync.engine import sync_orders
from sync.errors import PayloadError
from sync.store import Store
from tests.sync.apisim import KINDS, PAGE_SIZE, external_id, make_source, start_vendor, truth

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def mirror(store: Store) -> dict[str, datetime]:
    rows = await store.db.fetchall("SELECT external_id, updated_at FROM orders")
    held = {r["external_id"]: datetime.fromisoformat(r["updated_at"]) for r in rows}
    assert len(held) == len(rows)
    return held


def tied_shop() -> Shop:
    """300 orders in two hours on a ten-minute grid: pages end inside ties."""
    return Shop(seed=13, orders=300, now=NOW, history=timedelta(hours=2), tick=600)


@pytest.mark.parametrize("kind", KINDS)
async def test_equal_timestamps_across_pages_lose_nothing(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = tied_shop()
    stamps = list(truth(shop, NOW, kind).values())
    assert len(set(stamps)) < len(stamps) / 10  # the shop really is full of ties
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http)
        first = await sync_orders(store, source, clock)
        again = await sync_orders(store, source, clock)
    finally:
        await server.stop()
    assert len(first) == len(stamps)
    assert again == []
    assert await mirror(store) == truth(shop, NOW, kind)


@pytest.mark.parametrize("kind", ["shopify", "shopify-rest"])
async def test_a_refused_page_position_resumes_from_the_last_saved_order(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = tied_shop()
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http)
        cursor = ""
        for _ in range(3):  # three pages saved, then the daemon stops
            page = await source.fetch_page(cursor)
            await store.save_order_page("shop", kind, page.orders, page.cursor, clock.now())
            cursor = page.cursor
        stale = {**json.loads(cursor), "after": "eyJleHBpcmVkIjp0cnVlfQ=="}
        await store.save_cursor("shop", kind, json.dumps(stale), clock.now())
        events = await store.db.scalar("SELECT count(*) FROM events")
        changed = await sync_orders(store, source, clock)
    finally:
        await server.stop()
    expected = truth(shop, NOW, kind)
    saved = 3 * int(PAGE_SIZE[kind])  # three pages saved first: not lost, not written again
    assert len(changed) == len(expected) - saved
    assert await store.db.scalar("SELECT count(*) FROM events") > events


async def step_through(
    store: Store, source: OrderSource, clock: VirtualClock, steps: int, every: timedelta
) -> None:
    for _ in range(steps):
        clock.advance(every)
        await sync_orders(store, source, clock)


def stale_orders(held: dict[str, datetime], expected: dict[str, datetime]) -> list[str]:
    return [key for key, stamp in expected.items() if held.get(key) != stamp]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_lookback_longer_than_the_lag_catches_late_updates(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=17, orders=300, now=NOW, late_share=0.4, late_by=600)
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http, lookback_seconds="900")
        await sync_orders(store, source, clock)
        await step_through(store, source, clock, steps=12, every=timedelta(minutes=5))
        await step_through(store, source, clock, steps=3, every=timedelta(minutes=5))
    finally:
        await server.stop()
    assert stale_orders(await mirror(store), truth(shop, clock.now(), kind)) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_without_lookback_late_updates_wait_for_the_reconciliation(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=17, orders=300, now=NOW, late_share=0.4, late_by=600)
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http, lookback_seconds="0")
        await sync_orders(store, source, clock)
        await step_through(store, source, clock, steps=15, every=timedelta(minutes=5))
        missed = stale_orders(await mirror(store), truth(shop, clock.now(), kind))
        progress = await store.source_progress("shop")
        assert progress is not None and progress.reconciled_at == NOW
        clock.advance(timedelta(hours=24))
        await sync_orders(store, source, clock, reconcile=timedelta(hours=24))
    finally:
        await server.stop()
    assert missed  # the test can fail: an incremental cursor alone misses late updates
    assert stale_orders(await mirror(store), truth(shop, clock.now(), kind)) == []
    progress = await store.source_progress("shop")
    assert progress is not None and progress.run_full and progress.reconciled_at == clock.now()


@pytest.mark.parametrize("kind", KINDS)
async def test_reconciliation_waits_for_its_interval(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=19, orders=120, now=NOW, arrivals_per_hour=6)
    server, vendor = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http)
        await sync_orders(store, source, clock, reconcile=timedelta(hours=24))
        hits = len(vendor.hits)
        clock.advance(timedelta(hours=1))
        await sync_orders(store, source, clock, reconcile=timedelta(hours=24))
        incremental = len(vendor.hits) - hits
        after_hour = await store.source_progress("shop")
    finally:
        await server.stop()
    assert after_hour is not None and not after_hour.run_full
    assert after_hour.reconciled_at == NOW
    assert incremental < hits  # an hour's changes, not everything again


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault", ["garbage", "html"])
async def test_a_malformed_page_writes_nothing_and_advances_nothing(
    kind: str, fault: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=23, orders=150, now=NOW)
    server, _ = await start_vendor(shop, clock, [None, None, fault], listings=True)
    try:
        source = make_source(kind, server.url, http)
        with pytest.raises(PayloadError):
            await sync_orders(store, source, clock)
        saved = await store.source("shop")
        held = await mirror(store)
        assert saved is not None
        assert len(held) == 2 * int(PAGE_SIZE[kind])  # pages one and two, not a row of the third
        position = json.loads(saved.cursor)
        assert position["after"] is not None
        await sync_orders(store, source, clock)
    finally:
        await server.stop()
    assert await mirror(store) == truth(shop, NOW, kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_older_version_never_overwrites_a_newer(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=29, orders=200, now=NOW, late_share=1.0, late_by=7200)
    server, _ = await start_vendor(shop, clock)
    try:
        source = make_source(kind, server.url, http, lookback_seconds="0")
        await sync_orders(store, source, clock)
        clock.advance(timedelta(hours=1))
        newest = {}
        for index in range(shop.count_at(clock.now())):
            state = shop.order_state(index, clock.now())
            if state is None or state.updated_at <= NOW:
                continue
            body = rest_order(state) if kind != "woocommerce" else woo_order(state)
            records = source.parse_push(
                "orders/updated" if kind != "woocommerce" else "order.updated",
                json.dumps(body).encode(),
            )
            await store.apply_webhook(0, "shop", records, clock.now())
            newest[external_id(kind, state)] = state.updated_at
        await sync_orders(store, source, clock, reconcile=timedelta(0))  # lists the old copies
    finally:
        await server.stop()
    held = await mirror(store)
    listed = truth(shop, clock.now(), kind)
    assert newest and any(listed[key] < stamp for key, stamp in newest.items())
    assert {key: held[key] for key in newest} == newest
