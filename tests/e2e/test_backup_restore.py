"""A backup taken while the daemon writes is sound, and restores into the running daemon."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.config import Config, Feed, HttpConfig
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import CostModel
from sync.clock import VirtualClock
from sync.store.files import integrity_problems, summary
from tests.conftest import T0, daemon_started
from tests.e2e.shopfloor import ROOT, caught_up, count, mirror

ORDERS = 3000


@pytest.fixture
async def simulator() -> AsyncIterator[RunningServer]:
    shop = Shop(seed=5, orders=ORDERS, now=T0)
    # A query budget that lets the first sync last several seconds (a page of 50 costs 102),
    # however quickly the daemon writes: the backup must be taken while it runs.
    app = create_app(
        shop,
        clock=VirtualClock(T0),
        bucket=Bucket(maximum=1000, restore_rate=400),
        shopify_cost=CostModel.CURRENT,
    )
    server = await serve(app)
    yield server
    await server.stop()


async def _until(check: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def _orderwatchd(*args: str) -> tuple[int, str]:
    """The admin command as its own process (the daemon keeps running in this one)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daemon",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return int(process.returncode or 0), out.decode()


async def test_a_backup_under_write_load_is_sound_and_restores_into_the_running_daemon(
    simulator: RunningServer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    shutil.copy(ROOT / "rules.toml", rules)
    db = tmp_path / "orderwatch.db"
    settings = {"url": simulator.url, "token": DEFAULT_TOKEN, "page_size": "50"}
    config = Config(
        database=db,
        rules=rules,
        sources=(Feed("shop", "shopify", timedelta(seconds=1), settings),),
        http=HttpConfig("127.0.0.1", 0),
    )
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, VirtualClock(T0), started=started))
    daemon = await daemon_started(started, task)
    assert daemon.http is not None
    try:
        await _until(lambda: count(db) >= 300)
        saved = tmp_path / "saved.db"
        code, out = await _orderwatchd("backup", str(saved), "--db", str(db))
        assert code == 0, out
        held = summary(saved).orders
        assert 0 < held < ORDERS, "the backup must be taken while the first sync writes"
        assert integrity_problems(saved) == []

        await _until(lambda: count(db) >= ORDERS and caught_up(db))
        expected = mirror(db)  # the whole shop, as the daemon mirrored it
        code, out = await _orderwatchd("restore", str(saved), "--db", str(db))
        assert code == 0, out
        assert "restored from" in out

        assert not task.done()  # the daemon carried on
        async with httpx.AsyncClient(base_url=daemon.http.url) as client:
            assert (await client.get("/healthz")).status_code == 200
        assert integrity_problems(db) == []
        # It syncs again from the backup's cursor and ends up with the whole shop, exactly.
        await _until(lambda: count(db) >= ORDERS and caught_up(db))
        got = mirror(db)
        assert len(got) == len(expected)
        assert got == expected
        assert list(tmp_path.glob("orderwatch.db.before-restore-*"))
    finally:
        daemon.request_stop()
        await asyncio.wait_for(task, timeout=30)
