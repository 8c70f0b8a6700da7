"""The daemon picks up exports dropped in a watched folder and times warehouse stages."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from daemon.commands import run_daemon
from daemon.config import Config, Feed
from daemon.runner import Daemon
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "sync" / "fixtures" / "exports"
RULE = "packed_still_in_the_warehouse"
PACKED_RULE = """
[[rules]]
id = "packed_still_in_the_warehouse"
subject = "order"
starts_at = "order.packed_at"
active_while = "not is_set(order.handed_over_at) and order.lifecycle == 'open'"
timeout = "2h"
summary = "Order {order.number} packed {elapsed} ago, still in the warehouse"
"""


async def _wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def _drop(source: Path, folder: Path) -> None:
    """Copy under a temporary name, then rename into place (as a careful exporter does)."""
    partial = folder / f".{source.name}.part"
    shutil.copy(source, partial)
    partial.rename(folder / source.name)


async def test_the_daemon_imports_dropped_exports_and_times_their_stages(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text((ROOT / "rules.toml").read_text(encoding="utf-8") + PACKED_RULE)
    orders_folder, stages_folder = tmp_path / "drops" / "taobao", tmp_path / "drops" / "wms"

    def source(name: str, folder: Path, profile: str) -> Feed:
        settings = {"folder": str(folder), "profile": profile, "settle": "1s"}
        return Feed(name=name, kind="csv", interval=timedelta(minutes=1), settings=settings)

    config = Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(
            source("taobao", orders_folder, "taobao"),
            source("wms", stages_folder, "warehouse"),
        ),
    )
    clock = VirtualClock(T0)  # 2026-11-20 08:00 UTC = 16:00 in Shanghai
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, clock, stop_after=60, started=started))
    await asyncio.wait({started, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # the daemon could not start: show why
    daemon = started.result()
    store: Store = daemon.store

    async def folders_ready() -> bool:
        return orders_folder.is_dir() and stages_folder.is_dir()

    await _wait_for(folders_ready)
    _drop(FIXTURES / "taobao_orders.csv", orders_folder)

    async def imported() -> bool:
        return await store.order_count() == 8

    await _wait_for(imported)
    _drop(FIXTURES / "warehouse_stages.csv", stages_folder)

    async def escalated() -> bool:
        return any(e.rule_id == RULE for e in await store.open_escalations())

    await _wait_for(escalated)
    (escalation,) = [e for e in await store.open_escalations() if e.rule_id == RULE]
    assert escalation.order_number == "3871204419020561234"  # 3871…240 was handed over
    assert {q.where for q in await store.quarantined(source="wms")} == {
        "warehouse_stages.csv:4",
        "warehouse_stages.csv:5",
    }
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=10)
