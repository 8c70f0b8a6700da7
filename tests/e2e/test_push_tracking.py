"""Fixing an unshipped order from the desk, end to end: agent → outbox → platform → mirror.

The simulated warehouse shipped some orders without telling the shop: 17TRACK scans the parcel
while Shopify and WooCommerce still show the order in progress. An agent pushes the tracking
number (the ``push-tracking`` verb, on the same database file as the running daemon); the
daemon's outbox writes it to the platform over loopback HTTP, retrying after a refusal; the next
order sync reads the order back fulfilled with that number, and 17TRACK follows the parcel.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.agent_cli import push_tracking
from daemon.commands import run_daemon
from daemon.config import Config, Feed
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import OrderState, Shop
from daemon.simulator.shopify_rest_api import CallBucket
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET, woo_id
from sync.clock import VirtualClock
from sync.domain import OrderRow
from sync.store import Store
from tests.conftest import T0, daemon_started

ORDERS = 80


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def shop(clock: VirtualClock) -> Shop:
    return Shop(seed=5, orders=ORDERS, now=clock.now(), unrecorded_share=1.0)


@pytest.fixture
async def simulator(shop: Shop, clock: VirtualClock) -> AsyncIterator[RunningServer]:
    server = await serve(create_app(shop, clock=clock, calls=CallBucket(size=10**6, leak=1e6)))
    yield server
    await server.stop()


def config(tmp_path: Path, url: str) -> Config:
    rules = tmp_path / "rules.toml"
    rules.write_text("schema = 1\n")
    often = timedelta(seconds=0.3)
    shopify = {"url": url, "token": DEFAULT_TOKEN, "retries": "1"}
    woo = {"url": url, "key": DEFAULT_KEY, "secret": DEFAULT_SECRET, "retries": "1"}
    woo["status_map"] = "awaiting-pickup=in_progress"
    tracking = {"url": url, "token": DEFAULT_TOKEN, "requests_per_second": "100"}
    return Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(Feed("shop", "shopify", often, shopify), Feed("woo", "woocommerce", often, woo)),
        trackers=(Feed("17track", "17track", often, tracking),),
    )


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def unrecorded(shop: Shop, clock: VirtualClock) -> list[OrderState]:
    """Orders the courier carries while the shop shows them in progress, oldest first."""
    now = clock.now().timestamp()
    return [
        state
        for index in range(ORDERS)
        if (line := shop.timeline(index)).shipped is not None
        and line.shipped < now
        and line.cancelled is None
        and line.refunded is None
        and (state := shop.order_state(index, clock.now())) is not None
        and state.fulfillment_status == "IN_PROGRESS"
    ]


async def mirrored(store: Store, source: str, external_id: str) -> OrderRow | None:
    number = await store.db.scalar(
        "SELECT number FROM orders WHERE source = ? AND external_id = ?", (source, external_id)
    )
    return None if number is None else await store.order_by_number(number)


async def agent_pushes(database: Path, order: OrderRow, number: str, clock: VirtualClock) -> str:
    """``orderwatchd push-tracking ORDER --tracking NUMBER``, from its own connection."""
    store = await Store.open(database, durable=True)
    try:
        args = argparse.Namespace(order=order.number, tracking=number, carrier="")
        return await push_tracking(store, args, clock, "ana")
    finally:
        await store.close()


async def test_an_agent_fixes_unshipped_orders_on_both_platforms(
    simulator: RunningServer, shop: Shop, clock: VirtualClock, tmp_path: Path
) -> None:
    first, second = unrecorded(shop, clock)[:2]
    targets = {
        "shop": (f"gid://shopify/Order/{first.id}", first),
        "woo": (str(woo_id(second.index)), second),
    }
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    settings = config(tmp_path, simulator.url)
    task = asyncio.create_task(run_daemon(settings, clock, 120, started))
    daemon = await daemon_started(started, task)
    store = daemon.store

    async def synced() -> bool:
        return all([await mirrored(store, s, e) for s, (e, _) in targets.items()])

    await wait_for(synced)
    orders = {s: await mirrored(store, s, e) for s, (e, _) in targets.items()}
    assert {s: o.fulfillment_status for s, o in orders.items() if o} == {
        "shop": "in_progress",
        "woo": "in_progress",
    }
    writes = simulator.app.state
    writes.shopify_writes.faults.fail("refuse")  # Shopify says no to the first attempt
    for source, order in orders.items():
        assert order is not None
        said = await agent_pushes(
            settings.database, order, targets[source][1].details.tracking_number, clock
        )
        assert "queued" in said
    daemon.outbox.wake()  # the worker looks every 30 s; the test does not wait that long

    async def attempted() -> bool:
        kinds = [e.kind for o in orders.values() if o for e in await store.events(o.id)]
        return "push_attempt" in kinds and "push_done" in kinds

    await wait_for(attempted)
    clock.advance(timedelta(minutes=15))  # the refused push is due again
    daemon.outbox.wake()

    async def fixed() -> bool:
        for source, (external_id, state) in targets.items():
            order = await mirrored(store, source, external_id)
            if order is None or order.fulfillment_status != "fulfilled":
                return False
            numbers = [s.tracking_number for s in await store.shipments(order.id)]
            if numbers != [state.details.tracking_number]:
                return False
        return True

    await wait_for(fixed)
    shopify_order = orders["shop"]
    assert shopify_order is not None
    steps = [e.kind for e in await store.events(shopify_order.id) if e.subject_kind == "push"]
    assert steps == ["push_tracking", "push_attempt", "push_done"]

    async def followed() -> bool:
        for source, (external_id, _) in targets.items():
            order = await mirrored(store, source, external_id)
            assert order is not None
            parcels = await store.shipments(order.id)
            if not parcels or parcels[0].status in ("pending", "not_found"):
                return False
        return True

    await wait_for(followed)
    daemon.request_stop()
    await task
