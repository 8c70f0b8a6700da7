"""The daemon against the simulator over real loopback HTTP and a real SQLite file."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.demo import demo_config
from daemon.reload import RULES_ERROR, RULES_VERSION
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_cost import CostModel
from sync.clock import VirtualClock
from sync.connectors import ORDER_SOURCES
from sync.engine import sync_orders
from sync.store import Store
from tests.conftest import T0, daemon_started

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
async def simulator(clock: VirtualClock) -> AsyncIterator[RunningServer]:
    shop = Shop(seed=3, orders=400, now=clock.now())
    server = await serve(create_app(shop, clock=clock, shopify_cost=CostModel.CURRENT))
    yield server
    await server.stop()


async def _rows(store: Store) -> list[tuple[object, ...]]:
    rows = await store.db.fetchall(
        "SELECT o.*, (SELECT group_concat(tracking_number) FROM shipments s "
        "WHERE s.order_id = o.id) AS parcels FROM orders o ORDER BY id"
    )
    return [tuple(row) for row in rows]


async def test_syncing_twice_gives_the_same_rows(
    simulator: RunningServer, store: Store, clock: VirtualClock
) -> None:
    settings = {"url": simulator.url, "token": DEFAULT_TOKEN, "page_size": "50"}
    async with httpx.AsyncClient() as client:
        source = ORDER_SOURCES["shopify"]("shop", client, settings)
        first = await sync_orders(store, source, clock)
        rows = await _rows(store)
        events = await store.db.scalar("SELECT count(*) FROM events")
        second = await sync_orders(store, source, clock)
    assert len(first) == 400
    assert second == []
    assert await _rows(store) == rows
    assert await store.db.scalar("SELECT count(*) FROM events") == events


async def _wait_for(predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_daemon_raises_escalations_and_survives_a_bad_rules_edit(
    simulator: RunningServer, clock: VirtualClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    shutil.copy(ROOT / "rules.toml", rules)
    config = demo_config(tmp_path / "orderwatch.db", rules, simulator.url)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, clock, stop_after=30, started=started))
    daemon = await daemon_started(started, task)
    store = daemon.store

    async def escalated() -> bool:
        return bool(await store.open_escalations())

    await _wait_for(escalated)
    version = await store.get_state(RULES_VERSION)
    assert version

    rules.write_text(rules.read_text() + "\n[[rules]]\nid = 'broken'\ntimeout = 'soon'\n")

    async def rejected() -> bool:
        return bool(await store.get_state(RULES_ERROR))

    await _wait_for(rejected)
    assert "rules.toml:" in await store.get_state(RULES_ERROR)
    assert await store.get_state(RULES_VERSION) == version
    assert await escalated()  # the old rules kept running

    # An editor's save: write a temporary file, then rename it over the old one.
    fixed = tmp_path / ".rules.toml.swp"
    fixed.write_text((ROOT / "rules.toml").read_text().replace('timeout = "4h"', 'timeout = "5h"'))
    fixed.replace(rules)

    async def reloaded() -> bool:
        return await store.get_state(RULES_VERSION) != version

    await _wait_for(reloaded)
    assert await store.get_state(RULES_ERROR) == ""
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=10)


def test_headless_demo_fills_a_database(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon",
            "demo",
            "--no-console",
            "--for",
            "6",
            "--orders",
            "300",
            "--db",
            str(db),
            "--rules",
            str(ROOT / "rules.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    status = subprocess.run(
        [sys.executable, "-m", "daemon", "status", "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert '"orders": 3' in status.stdout
    assert '"firing":' in status.stdout
