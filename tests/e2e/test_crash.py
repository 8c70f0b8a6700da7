"""Kill -9 the daemon again and again during a big first sync; the mirror must come out exact.

The shop is frozen in time (a virtual clock), so the exact expected mirror is known: a clean sync
into a second database. While the daemon runs and after every kill, the committed cursor must
not claim more than the committed rows; after the last restart the mirror must equal the
reference, row for row.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from sync.engine import FAULT_SWITCH
from tests.conftest import T0
from tests.e2e.shopfloor import (
    DAEMON,
    count,
    cursor_within_data,
    daemon_env,
    mirror,
    reference,
    write_config,
)

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 20_000
KILLS = 20

pytestmark = pytest.mark.slow


@pytest.fixture
async def simulator() -> AsyncIterator[RunningServer]:
    shop = Shop(seed=11, orders=ORDERS, now=T0)
    app = create_app(shop, clock=VirtualClock(T0), bucket=Bucket(maximum=1e9, restore_rate=1e9))
    server = await serve(app)
    yield server
    await server.stop()


async def _kill_and_restart(folder: Path, config: Path, env: dict[str, str]) -> list[bool]:
    rng = random.Random(20261122)
    checks: list[bool] = []
    progress: list[int] = []
    for _ in range(KILLS):
        before = count(folder / "orderwatch.db")
        daemon = subprocess.Popen(
            [*DAEMON, "--config", str(config)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Start-up takes a while; strike once pages are flowing, at a random moment.
        for _ in range(1500):
            if count(folder / "orderwatch.db") > before:
                break
            await asyncio.sleep(0.02)
        # Until the kill, every committed state is checked too: a crash could happen in any.
        strike = asyncio.get_running_loop().time() + rng.uniform(0.0, 0.4)
        while asyncio.get_running_loop().time() < strike:
            checks.append(cursor_within_data(folder / "orderwatch.db"))
            await asyncio.sleep(0.01)
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait()
        checks.append(cursor_within_data(folder / "orderwatch.db"))
        progress.append(count(folder / "orderwatch.db"))
    # The test proves something only if the kills land in the middle of the sync.
    assert sum(0 < done < ORDERS for done in progress) >= KILLS // 2, progress
    return checks


async def _finish(folder: Path, config: Path, env: dict[str, str]) -> None:
    """A last run, undisturbed, until the source reports it caught up."""
    log = (folder / "last-run.log").open("wb")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "daemon", "run", "--config", str(config)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        for _ in range(600):
            await asyncio.sleep(0.1)
            con = sqlite3.connect(folder / "orderwatch.db")
            try:
                done = con.execute("SELECT count(*) FROM orders").fetchone()[0] >= ORDERS
            except sqlite3.OperationalError:
                done = False
            finally:
                con.close()
            if done:
                await asyncio.sleep(1.5)  # one more pass: late pages settle
                break
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        log.close()


async def _crash_run(folder: Path, url: str, fault: str | None) -> tuple[list[bool], Path]:
    env = daemon_env()
    env.pop(FAULT_SWITCH, None)
    if fault:
        env[FAULT_SWITCH] = fault
    config = write_config(folder, url, page_size=100)
    checks = await _kill_and_restart(folder, config, env)
    env.pop(FAULT_SWITCH, None)  # the last run is the fixed program, as after an upgrade
    await _finish(folder, config, env)
    return checks, folder / "orderwatch.db"


async def test_kill_9_during_sync_loses_and_duplicates_nothing(
    simulator: RunningServer, tmp_path: Path
) -> None:
    expected = await reference(tmp_path / "reference.db", simulator.url, page_size=100)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    checks, db = await _crash_run(crashed, simulator.url, None)
    assert all(checks), "a cursor ran ahead of its rows after a kill"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert len(expected) == ORDERS
    assert mirror(db) == expected  # none lost, none duplicated, none stale


async def test_the_crash_test_catches_a_cursor_saved_before_its_data(
    simulator: RunningServer, tmp_path: Path
) -> None:
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    checks, _db = await _crash_run(crashed, simulator.url, "cursor-before-data")
    # Kills between the cursor's commit and its rows' commit leave the cursor ahead of the data.
    assert checks.count(False) >= 1, checks
