"""orderwatchd backup and restore, on real database files."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from daemon.backup import backup, restore
from daemon.errors import DaemonError, UsageError
from sync.store import Store
from sync.store.files import change_counter, integrity_problems, summary
from sync.store.migrations import MIGRATIONS
from tests.conftest import T0, OrderFactory


async def _orders(store: Store, make_order: OrderFactory, numbers: range) -> None:
    await store.save_order_page("shop", "shopify", [make_order(n) for n in numbers], "c", T0)


async def test_a_backup_is_a_sound_private_copy(
    store: Store, make_order: OrderFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _orders(store, make_order, range(1, 6))
    target = tmp_path / "copy.db"

    assert await backup(target, store.db.path) == 0

    assert integrity_problems(target) == []
    assert summary(target).orders == 5
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "5 orders" in capsys.readouterr().out


async def test_a_backup_into_a_folder_gets_a_dated_name(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()

    await backup(folder, store.db.path)

    [made] = list(folder.iterdir())
    assert made.name.startswith("orderwatch-2") and made.suffix == ".db"


async def test_a_backup_never_overwrites(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    target.write_text("keep me")

    with pytest.raises(UsageError, match="already exists"):
        await backup(target, store.db.path)
    assert target.read_text() == "keep me"


async def test_a_backup_of_no_database_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no database here"):
        await backup(tmp_path / "copy.db", tmp_path / "missing.db")


async def test_restore_replaces_the_content_under_an_open_connection(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await _orders(store, make_order, range(1, 4))
    saved = tmp_path / "saved.db"
    await backup(saved, store.db.path)
    await _orders(store, make_order, range(4, 10))
    before = await store.change_seq()

    assert await restore(saved, store.db.path) == 0

    assert await store.order_count() == 3  # the daemon's own connection sees the backup
    stamps = await store.db.column("SELECT change_seq FROM orders")
    assert min(stamps) > before  # every reader following change_seq reads every row again
    assert await store.change_seq() > before
    await _orders(store, make_order, range(20, 21))  # and it still writes
    [kept] = list(tmp_path.glob("orderwatch.db.before-restore-*"))
    assert summary(kept).orders == 9
    assert not list(tmp_path.glob("*.restoring*"))


async def test_restore_refuses_a_file_that_is_not_a_database(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await _orders(store, make_order, range(1, 3))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 1000)

    with pytest.raises(DaemonError, match="nothing was restored"):
        await restore(junk, store.db.path)
    assert await store.order_count() == 2
    assert not list(tmp_path.glob("orderwatch.db.before-restore-*"))


async def test_restore_refuses_a_newer_schema(store: Store, tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    await backup(newer, store.db.path)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()

    with pytest.raises(DaemonError, match="schema 999 is newer"):
        await restore(newer, store.db.path)


async def test_restore_brings_an_older_backup_up_to_this_schema(tmp_path: Path) -> None:
    older = tmp_path / "older.db"
    conn = sqlite3.connect(older)
    for number, sql in MIGRATIONS[:-1]:
        conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.close()
    live = tmp_path / "live.db"
    store = await Store.open(live)  # a running daemon on this version
    try:
        await restore(older, live)
        assert summary(live).schema == MIGRATIONS[-1][0]
        assert await store.order_count() == 0
    finally:
        await store.close()


async def test_restore_onto_a_new_box_creates_a_shared_database(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await _orders(store, make_order, range(1, 4))
    saved = tmp_path / "saved.db"
    await backup(saved, store.db.path)
    fresh = tmp_path / "new-box" / "orderwatch.db"
    fresh.parent.mkdir()

    await restore(saved, fresh)

    assert summary(fresh).orders == 3
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o660
    assert change_counter(fresh) > 0
