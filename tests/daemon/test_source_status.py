"""What status shows of a source: its breaker, and a run's rows, total, rate and time left."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from daemon.commands import run_daemon
from daemon.config import Config, Feed
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.source_status import run_words, source_lines, sources_report
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0, daemon_started, note_page


async def test_a_run_in_flight_shows_rows_total_rate_and_time_left(store: Store) -> None:
    await store.start_run("shop", "woocommerce", T0, full=True)
    await note_page(
        store, "shop", "woocommerce", 1200, 5000, T0 + timedelta(seconds=4), finished=False
    )
    (source,) = await sources_report(store, T0 + timedelta(seconds=4))
    assert source["run"] == {
        "running": True,
        "full": True,
        "started_at": "2026-11-20T08:00:00Z",
        "finished_at": None,
        "rows": 1200,
        "total": 5000,
        "rows_per_second": 300.0,
        "seconds_left": 13,
    }
    assert run_words(source["run"]) == "full pass in progress: 1200 of 5000 rows, 300/s, 13s left"


async def test_a_run_without_a_total_shows_rows_and_rate(store: Store) -> None:
    await store.start_run("shop", "shopify", T0, full=False)
    await note_page(store, "shop", "shopify", 100, None, T0 + timedelta(seconds=10), finished=False)
    (source,) = await sources_report(store, T0 + timedelta(seconds=10))
    assert run_words(source["run"]) == "run in progress: 100 rows, 10/s"


async def test_a_finished_full_pass_is_the_last_reconciliation(store: Store) -> None:
    await store.start_run("shop", "shopify-rest", T0, full=True)
    await note_page(
        store, "shop", "shopify-rest", 50, 80, T0 + timedelta(seconds=1), finished=False
    )
    await note_page(
        store, "shop", "shopify-rest", 30, None, T0 + timedelta(seconds=2), finished=True
    )
    (source,) = await sources_report(store, T0 + timedelta(minutes=5))
    assert source["reconciled_at"] == "2026-11-20T08:00:00Z"
    assert source_lines(source) == [
        "  last full pass: 80 of 80 rows, 40/s, done 2026-11-20T08:00:02Z",
        "  last full reconciliation 2026-11-20T08:00:00Z",
    ]


async def test_an_open_breaker_is_shown(store: Store) -> None:
    assert await store.record_breaker("shop", "shopify", "open", T0)
    assert not await store.record_breaker("shop", "shopify", "open", T0)  # no change, no write
    (source,) = await sources_report(store, T0)
    assert source_lines(source)[0] == "  ! circuit breaker open since 2026-11-20T08:00:00Z"


async def test_the_daemon_records_a_source_breaker_opening(tmp_path: Path) -> None:
    clock = VirtualClock(T0)
    shop = Shop(seed=3, orders=20, now=T0)
    simulator = await serve(create_app(shop, clock=clock, faults="500:1"))
    rules = tmp_path / "rules.toml"
    rules.write_text("schema = 1\n")
    settings = {
        "url": simulator.url,
        "token": DEFAULT_TOKEN,
        "retries": "1",
        "breaker_failures": "1",
    }
    config = Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(Feed("shop", "shopify-rest", timedelta(seconds=1), settings),),
    )
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, clock, 30, started))
    daemon = await daemon_started(started, task)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while loop.time() < deadline:
            progress = await daemon.store.source_progress("shop")
            if progress is not None and progress.breaker_state == "open":
                break
            await asyncio.sleep(0.05)
        saved = await daemon.store.source("shop")
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, timeout=15)
        await simulator.stop()
    assert progress is not None and progress.breaker_state == "open"
    assert saved is not None and "HTTP 500" in saved.last_error
