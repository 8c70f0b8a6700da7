"""Whole-file operations: online copies, integrity, checkpoints and the WAL's size."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sync.errors import StoreError
from sync.store import Store
from sync.store.files import (
    change_counter,
    checkpoint,
    copy_database,
    integrity_problems,
    overwrite_database,
    stamp_everything,
    wal_path,
    wal_size,
)
from tests.conftest import T0, OrderFactory


def _writer(path: Path, stop: threading.Event, rows: int = 100_000) -> threading.Thread:
    """Commits small rows one transaction at a time until stopped."""

    def run() -> None:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS load (id INTEGER PRIMARY KEY, body TEXT)")
        for _ in range(rows):
            if stop.is_set():
                break
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO load (body) VALUES (?)", ("x" * 500,))
            conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def test_a_copy_taken_during_writes_is_sound_and_self_contained(
    store: Store, tmp_path: Path
) -> None:
    live = store.db.path
    stop = threading.Event()
    writer = _writer(live, stop)
    try:
        copy = tmp_path / "copy.db"
        size = copy_database(live, copy)
    finally:
        stop.set()
        writer.join()

    assert size > 0
    assert integrity_problems(copy) == []
    assert not wal_path(copy).exists()
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert (copy.stat().st_mode & 0o077) == 0  # customers' data: private to its owner


def test_a_copy_of_a_missing_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database here"):
        copy_database(tmp_path / "none.db", tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "none.db").exists()


def test_integrity_problems_names_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 200)

    assert integrity_problems(junk)


async def test_truncate_checkpoint_empties_the_wal_beside_an_idle_autocommit_reader(
    store: Store, make_order: OrderFactory
) -> None:
    live = store.db.path
    reader = sqlite3.connect(live, isolation_level=None)  # a console polling data_version
    reader.execute("PRAGMA data_version").fetchone()
    for n in range(50):
        await store.save_order_page("shop", "shopify", [make_order(n)], str(n), T0)
    assert wal_size(live) > 0

    done = checkpoint(live, "TRUNCATE", busy_timeout=1.0)

    assert done.complete
    assert wal_size(live) == 0
    reader.close()


async def test_a_reader_inside_a_transaction_keeps_the_checkpoint_from_finishing(
    store: Store, make_order: OrderFactory
) -> None:
    live = store.db.path
    reader = sqlite3.connect(live, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM orders").fetchone()
    for n in range(50):
        await store.save_order_page("shop", "shopify", [make_order(n)], str(n), T0)

    stuck = checkpoint(live, "PASSIVE")

    assert not stuck.complete
    reader.execute("COMMIT")
    assert checkpoint(live, "TRUNCATE", busy_timeout=1.0).complete
    reader.close()


async def test_stamp_everything_moves_every_row_past_the_stamp(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "c", T0)
    copy = tmp_path / "copy.db"
    copy_database(store.db.path, copy)

    stamped = stamp_everything(copy, 1_000)

    conn = sqlite3.connect(copy)
    assert {row[0] for row in conn.execute("SELECT change_seq FROM orders")} == {1_000}
    conn.close()
    assert stamped >= 2
    assert change_counter(copy) == 1_000


async def test_overwrite_replaces_the_content_under_an_open_connection(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "c", T0)
    copy = tmp_path / "copy.db"
    copy_database(store.db.path, copy)
    await store.save_order_page("shop", "shopify", [make_order(2), make_order(3)], "c", T0)

    overwrite_database(copy, store.db.path)

    assert await store.order_count() == 1
    assert integrity_problems(store.db.path) == []
