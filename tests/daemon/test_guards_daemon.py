"""The order guards in a running daemon: a sync from the simulated shop raises flags, and a rule
on a guard field escalates them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.commands import run_daemon
from daemon.demo import demo_config
from daemon.runner import Daemon
from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0, daemon_started

ROOT = Path(__file__).resolve().parents[2]

GUARD_RULE = """
[[rules]]
id = "held_after_payment"
title = "Paid, not released to the warehouse"
subject = "order"
fires_when = "guard.not_released"
severity = "warning"
summary = "Order {order.number} is paid and waits for the warehouse"
"""


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
async def simulator(clock: VirtualClock) -> AsyncIterator[RunningServer]:
    server = await serve(create_app(Shop(seed=3, orders=400, now=clock.now()), clock=clock))
    yield server
    await server.stop()


async def _eventually(check: object, timeout: float = 30.0) -> None:
    assert callable(check)
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.05)


async def test_a_sync_raises_guard_flags_and_a_guard_rule_escalates_them(
    simulator: RunningServer, clock: VirtualClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    shutil.copy(ROOT / "rules.toml", rules)
    rules.write_text(rules.read_text(encoding="utf-8") + GUARD_RULE, encoding="utf-8")
    config = demo_config(tmp_path / "orderwatch.db", rules, simulator.url)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, clock, stop_after=60, started=started))
    daemon = await daemon_started(started, task)
    store: Store = daemon.store

    async def flagged() -> bool:
        count = await store.db.scalar(
            "SELECT count(*) FROM guard_flags WHERE check_name = 'not_released'"
        )
        return bool(count)

    async def escalated() -> bool:
        return any(e.rule_id == "held_after_payment" for e in await store.open_escalations())

    try:
        await _eventually(flagged)
        await _eventually(escalated)
        (order_id,) = await store.db.column(
            "SELECT order_id FROM guard_flags WHERE check_name = 'not_released' LIMIT 1"
        )
        timeline = [(e.actor, e.kind, e.field) for e in await store.events(order_id)]
        assert ("daemon", "guard", "not_released") in timeline
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, timeout=20)
