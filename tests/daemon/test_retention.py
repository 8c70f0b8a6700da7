"""Retention of raw payloads and a WAL that stays bounded."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta

import pytest

import sync.store.db
from daemon import retention
from daemon.retention import JOURNAL_LIMIT, Retention
from daemon.vitals import Vitals
from sync.clock import VirtualClock
from sync.store import Store
from sync.store.files import wal_size
from tests.conftest import T0, OrderFactory


def _retention(store: Store, clock: VirtualClock, days: int = 90) -> Retention:
    return Retention(store, store.db.path, clock, Vitals(), days)


async def _load(store: Store, make_order: OrderFactory, batch: int, size: int = 200) -> None:
    """One page of orders with a few kB of raw payload each."""
    orders = [
        make_order(batch * size + n, raw={"blob": "x" * 3000, "n": batch * size + n})
        for n in range(size)
    ]
    await store.save_order_page("shop", "shopify", orders, str(batch), T0)


async def test_payloads_older_than_the_retention_are_pruned(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "c", T0)
    clock = VirtualClock(T0 + timedelta(days=89))
    keeper = _retention(store, clock, days=90)

    assert await keeper.prune() == 0
    clock.advance(timedelta(days=2))
    assert await keeper.prune() == 1
    assert keeper.vitals.pruned == 1
    assert await store.db.scalar("SELECT raw FROM orders") == "{}"


async def test_zero_days_keeps_payloads_forever(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "c", T0)
    keeper = _retention(store, VirtualClock(T0 + timedelta(days=3650)), days=0)

    assert await keeper.prune() == 0
    assert await store.db.scalar("SELECT raw FROM orders") != "{}"


async def test_the_wal_is_emptied_beside_an_idle_console(
    store: Store, make_order: OrderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store copies back after every commit, so its copy is often still running when the
    # upkeep checkpoints: the upkeep must still empty the WAL every time.
    monkeypatch.setattr(sync.store.db, "COPY_BACK_EVERY", 0.0)
    keeper = _retention(store, VirtualClock(T0))
    console = sqlite3.connect(store.db.path, isolation_level=None)  # autocommit, as the console
    largest = 0
    for batch in range(20):
        console.execute("PRAGMA data_version").fetchone()  # its poll, between our writes
        await _load(store, make_order, batch)
        largest = max(largest, wal_size(store.db.path))
        await keeper.checkpoint()
        assert wal_size(store.db.path) == 0
    console.close()
    assert keeper.vitals.checkpoints == {"complete": 20, "busy": 0}
    assert largest < 4 * 1024 * 1024
    assert store.db.path.stat().st_size > 10 * 1024 * 1024  # far more went through the WAL


async def test_a_reader_pinning_a_snapshot_is_reported_once(
    store: Store, make_order: OrderFactory, caplog: pytest.LogCaptureFixture
) -> None:
    keeper = _retention(store, VirtualClock(T0))
    shell = sqlite3.connect(store.db.path, isolation_level=None)
    shell.execute("BEGIN")  # a sqlite3 shell left inside a transaction
    shell.execute("SELECT count(*) FROM orders").fetchone()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(retention, "STUCK_WAL", 1024 * 1024)
        with caplog.at_level(logging.WARNING, logger="orderwatch.retention"):
            for batch in range(6):
                await _load(store, make_order, batch)
                await keeper.checkpoint()
    grown = wal_size(store.db.path)
    shell.execute("COMMIT")
    shell.close()

    assert grown > 1024 * 1024
    assert keeper.vitals.checkpoints["busy"] == 6
    warnings = [r for r in caplog.records if "holds an old snapshot" in r.getMessage()]
    assert len(warnings) == 1
    await keeper.checkpoint()  # the reader is gone: the WAL empties again
    assert wal_size(store.db.path) == 0


async def test_the_loop_limits_the_journal_and_stops_when_asked(store: Store) -> None:
    keeper = _retention(store, VirtualClock(T0))
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, timeout=5)

    assert await store.db.scalar("PRAGMA journal_size_limit") == JOURNAL_LIMIT
    assert keeper.vitals.checkpoints["complete"] == 1
