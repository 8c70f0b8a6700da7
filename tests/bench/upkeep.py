"""The upkeep benchmark: an online backup under write load, a /metrics scrape, a retention pass.

The backup is measured against SQLite's own ``VACUUM INTO`` of the same file in the same run, and
a writer commits small transactions the whole time the backup runs: its worst commit shows
whether a backup ever holds up the daemon.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from daemon.config import Config
from daemon.http.metrics import exposition
from daemon.rules.loader import load_rules
from daemon.runner import Daemon
from sync.clock import SystemClock
from sync.store import Store
from sync.store.files import copy_database, integrity_problems

ROOT = Path(__file__).resolve().parents[2]
Report = Callable[..., None]


class Writer:
    """Commits one small row per transaction until stopped, timing each commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_load (id INTEGER PRIMARY KEY, at TEXT)")
        while not self._stop.is_set():
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bench_load (at) VALUES (?)", (datetime.now(UTC).isoformat(),))
            conn.execute("COMMIT")
            self.latencies.append(time.perf_counter() - began)
        conn.close()

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _vacuum_into(source: Path, target: Path) -> None:
    conn = sqlite3.connect(source)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()


async def _scrape(path: Path) -> float:
    """Milliseconds for one /metrics exposition on this database (the best of five)."""
    rules = load_rules(ROOT / "rules.toml")
    store = await Store.open(path)
    best = float("inf")
    try:
        async with httpx.AsyncClient() as client:
            daemon = Daemon(
                Config(database=path, rules=ROOT / "rules.toml"),
                store,
                SystemClock(),
                client,
                rules,
            )
            for _ in range(5):
                began = time.perf_counter()
                await exposition(daemon)
                best = min(best, time.perf_counter() - began)
    finally:
        await store.close()
    return best * 1000


async def _prune(path: Path) -> float:
    store = await Store.open(path)
    try:
        began = time.perf_counter()
        await store.prune_payloads(datetime.now(UTC))
        return time.perf_counter() - began
    finally:
        await store.close()


async def upkeep(big: Path, orders: int, report: Report) -> None:
    folder = big.parent
    size_mb = big.stat().st_size / 1e6
    baseline = folder / "vacuum-into.db"
    began = time.perf_counter()
    await asyncio.to_thread(_vacuum_into, big, baseline)
    vacuum_s = time.perf_counter() - began
    baseline.unlink()

    copy = folder / "backup.db"
    with Writer(big) as writer:
        await asyncio.sleep(0.2)  # the load is running before the backup starts
        before = len(writer.latencies)
        began = time.perf_counter()
        await asyncio.to_thread(copy_database, big, copy)
        backup_s = time.perf_counter() - began
        during = writer.latencies[before:]
    sound = not await asyncio.to_thread(integrity_problems, copy, quick=True)
    copy.unlink()

    figures: dict[str, Any] = {
        "orders": orders,
        "db_mb": round(size_mb, 1),
        "backup_s": round(backup_s, 3),
        "backup_mb_per_s": round(size_mb / backup_s, 1),
        "vacuum_into_s": round(vacuum_s, 3),
        "ratio_vs_vacuum_into": round(vacuum_s / backup_s, 2),
        "writes_during_backup": len(during),
        "max_write_ms_during_backup": round(max(during, default=0.0) * 1000, 2),
        "backup_integrity_ok": sound,
        "metrics_scrape_ms": round(await _scrape(big), 1),
        "retention_pass_s": round(await _prune(big), 3),
    }
    report("upkeep", **figures)
