"""The daemon with a WooCommerce and a Shopify REST source against the simulator, webhooks on.

Real loopback HTTP both ways (the daemon polls the simulator; the simulator posts signed
webhooks, some repeated and some out of order, to the daemon's endpoint) and a real SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.config import Config, Feed, HttpConfig
from daemon.engine import PLANNED_SEQ
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import Faults
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_rest_api import CallBucket
from daemon.simulator.webhooks import WebhookSender
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET
from sync.clock import VirtualClock
from sync.errors import ConfigError
from sync.store import Store
from tests.conftest import T0, daemon_started
from tests.sync.apisim import truth

ORDERS = 300
SECRET = "e2e-webhook-secret"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def shop(clock: VirtualClock) -> Shop:
    return Shop(seed=41, orders=ORDERS, now=clock.now())


@pytest.fixture
async def simulator(shop: Shop, clock: VirtualClock) -> AsyncIterator[RunningServer]:
    server = await serve(create_app(shop, clock=clock, calls=CallBucket(size=10**6, leak=1e6)))
    yield server
    await server.stop()


def config(tmp_path: Path, url: str) -> Config:
    rules = tmp_path / "rules.toml"
    rules.write_text("schema = 1\n")  # no rules: this test is about the mirror
    hour = timedelta(hours=1)  # polls once at start; later changes come by webhook
    woo = {"url": url, "key": DEFAULT_KEY, "secret": DEFAULT_SECRET, "webhook_secret": SECRET}
    woo["status_map"] = "awaiting-pickup=in_progress"
    rest = {"url": url, "token": DEFAULT_TOKEN, "webhook_secret": SECRET, "page_size": "100"}
    return Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(
            Feed("woo", "woocommerce", hour, woo, reconcile=timedelta(hours=24)),
            Feed("rest", "shopify-rest", hour, rest, reconcile=timedelta(hours=24)),
        ),
        http=HttpConfig("127.0.0.1", 0),
    )


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def mirrored(store: Store, source: str) -> dict[str, str]:
    rows = await store.db.fetchall(
        "SELECT external_id, updated_at FROM orders WHERE source = ?", (source,)
    )
    return {r["external_id"]: r["updated_at"] for r in rows}


def delivery_key(headers: dict[str, str]) -> str:
    return headers.get("X-Shopify-Webhook-Id") or headers["X-WC-Webhook-Delivery-ID"]


def as_text(expected: dict[str, object]) -> dict[str, str]:
    return {key: stamp.strftime("%Y-%m-%dT%H:%M:%SZ") for key, stamp in expected.items()}  # type: ignore[attr-defined]


async def test_polls_then_webhooks_keep_both_shops_mirrored(
    simulator: RunningServer, shop: Shop, clock: VirtualClock, tmp_path: Path
) -> None:
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config(tmp_path, simulator.url), clock, 60, started))
    daemon = await daemon_started(started, task)
    store = daemon.store
    assert daemon.http is not None

    async def first_syncs_done() -> bool:
        runs = [await store.source_progress(name) for name in ("woo", "rest")]
        return all(run is not None and run.run_finished_at is not None for run in runs)

    await wait_for(first_syncs_done)
    assert await mirrored(store, "woo") == as_text(truth(shop, clock.now(), "woocommerce"))
    assert await mirrored(store, "rest") == as_text(truth(shop, clock.now(), "shopify-rest"))

    async def replanned() -> bool:
        newest = await store.db.scalar("SELECT max(change_seq) FROM orders")
        return int(await store.get_state(PLANNED_SEQ, "0")) >= newest

    await wait_for(replanned)
    clock.advance(timedelta(hours=2))
    quirks = Faults("dup:0.3,reorder:0.3", seed=9)
    async with httpx.AsyncClient(timeout=10) as http:
        senders = [
            WebhookSender(
                shop,
                clock,
                http,
                url=f"{daemon.http.url}/webhooks/{vendor}/{name}",
                vendor=vendor,
                secret=SECRET,
                faults=quirks,
                since=T0,
            )
            for vendor, name in (("woocommerce", "woo"), ("shopify", "rest"))
        ]
        for sender in senders:
            assert await sender.deliver() > 0
            assert set(sender.answers) == {200}

    async def applied() -> bool:
        return (await store.webhook_counts())["waiting"] == 0

    await wait_for(applied)
    # Every change arrived by webhook, repeats and older copies included; none of those won.
    assert await mirrored(store, "woo") == as_text(truth(shop, clock.now(), "woocommerce"))
    assert await mirrored(store, "rest") == as_text(truth(shop, clock.now(), "shopify-rest"))
    unique = sum(len({delivery_key(d.headers) for d in s.sent}) for s in senders)
    assert (await store.webhook_counts())["applied"] == unique < sum(len(s.sent) for s in senders)

    await wait_for(replanned)  # the rules engine was woken for the webhook's orders
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=15)


async def test_status_shows_breaker_and_runs(
    simulator: RunningServer, clock: VirtualClock, tmp_path: Path
) -> None:
    settings = config(tmp_path, simulator.url)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(settings, clock, 60, started))
    daemon = await daemon_started(started, task)

    async def synced() -> bool:
        run = await daemon.store.source_progress("rest")
        return run is not None and run.run_finished_at is not None

    await wait_for(synced)
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=15)
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "status", "--db", str(settings.database), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    report = json.loads(result.stdout)
    rest = next(s for s in report["sources"] if s["name"] == "rest")
    assert rest["breaker"]["state"] == "closed"
    assert rest["run"]["rows"] == rest["run"]["total"] == ORDERS
    assert rest["run"]["full"] is True and rest["reconciled_at"]
    text = subprocess.run(
        [sys.executable, "-m", "daemon", "status", "--db", str(settings.database)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert f"last full pass: {ORDERS} of {ORDERS} rows" in text


async def test_a_taken_port_is_one_readable_error(
    simulator: RunningServer, clock: VirtualClock, tmp_path: Path
) -> None:
    taken = config(tmp_path, simulator.url)
    busy = Config(
        database=taken.database,
        rules=taken.rules,
        sources=taken.sources,
        http=HttpConfig("127.0.0.1", simulator.port),
    )
    with pytest.raises(ConfigError, match="cannot listen"):
        await run_daemon(busy, clock, 5)
