"""``orderwatchd backup PATH`` and ``orderwatchd restore PATH``.

**Backup** is online: SQLite's backup API copies one consistent snapshot while the daemon and the
consoles keep writing (never ``cp`` a live database: a copy taken mid-write can be corrupt). The
copy is written beside the target and renamed into place when complete, checked with
``PRAGMA integrity_check``, made private to its owner (it holds customers' personal data), and
left as one self-contained file.

**Restore** works with the daemon running or stopped; both are safe:

1. the backup is checked first (integrity, and a schema this orderwatch knows); nothing is
   touched when it fails;
2. it is copied aside and brought up to this version's schema;
3. every row in it gets a change stamp above the live database's, so the running daemon re-plans
   every timer and every open console re-reads every row it shows;
4. the live database is copied to ``<db>.before-restore-<time>`` (a mistaken restore is undone
   by restoring that file);
5. the content of the live file is replaced through SQLite in one step: the running daemon's and
   consoles' connections stay valid and see the restored data from their next read.

After a restore the daemon syncs the sources again from the restored cursors, so orders that
changed since the backup come back by themselves; agents' actions taken after the backup are
lost (they are in the kept copy).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from daemon.config import load_config
from daemon.errors import DaemonError, UsageError
from sync.store import Store
from sync.store.files import (
    copy_database,
    integrity_problems,
    overwrite_database,
    stamp_everything,
    summary,
    wal_path,
)
from sync.store.migrations import MIGRATIONS

STAMP_GAP = 1_000_000
"""How far above the live change stamp the restored rows go: more commits than the daemon can
make while a restore runs, so no reader ever sees the stamp move backwards."""


SHARED_MODE = 0o660
"""A database the daemon and the agents' group both write (see README, permissions)."""


def database_path(db: Path | None, config: Path) -> Path:
    """``--db``, or the database the config file names."""
    if db is not None:
        return db
    if not config.exists():
        raise UsageError(f"{config}: no config file; pass --db PATH or --config PATH")
    return load_config(config).database


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


async def backup(target: Path, db: Path) -> int:
    if not db.is_file():
        raise UsageError(f"{db}: no database here (has the daemon run?)")
    if target.is_dir():
        target = target / f"{db.stem}-{_stamp()}.db"
    if target.exists():
        raise UsageError(f"{target}: already exists; choose a new name or move it away")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    began = time.monotonic()
    size = await asyncio.to_thread(copy_database, db, target)
    problems = await asyncio.to_thread(integrity_problems, target)
    if problems:
        raise DaemonError(
            f"{target}: the copy fails integrity_check ({problems[0]}); the database itself "
            "may be damaged: run orderwatchd doctor"
        )
    held = summary(target)
    print(
        f"{target}: {size / 1e6:.1f} MB, schema {held.schema}, {held.orders} orders, "
        f"{held.escalations} escalations, integrity ok ({time.monotonic() - began:.1f}s)"
    )
    return 0


def _check_backup(source: Path) -> None:
    if not source.is_file():
        raise UsageError(f"{source}: no such backup file")
    problems = integrity_problems(source)
    if problems:
        raise DaemonError(f"{source}: not a sound database ({problems[0]}); nothing was restored")
    held = summary(source)  # raises when it is not an orderwatch database
    latest = MIGRATIONS[-1][0]
    if held.schema > latest:
        raise DaemonError(
            f"{source}: schema {held.schema} is newer than this orderwatch ({latest}); "
            "restore it with the version that wrote it"
        )


async def _prepare(source: Path, live: Path) -> Path:
    """A migrated, re-stamped copy of ``source`` next to ``live``."""
    staging = live.with_name(live.name + ".restoring")
    _remove(staging)
    await asyncio.to_thread(copy_database, source, staging, wal=True)
    store = await Store.open(staging)  # brings an older backup up to this schema
    await store.close()
    above = summary(live).change_seq if live.exists() else 0
    await asyncio.to_thread(stamp_everything, staging, above + STAMP_GAP)
    return staging


def _remove(database: Path) -> None:
    for path in (database, wal_path(database), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)


async def restore(source: Path, live: Path) -> int:
    await asyncio.to_thread(_check_backup, source)
    if not live.parent.is_dir():
        raise UsageError(f"{live.parent}: no such folder")
    staging = await _prepare(source, live)
    try:
        kept = ""
        if live.exists():
            keep = live.with_name(f"{live.name}.before-restore-{_stamp()}")
            await asyncio.to_thread(copy_database, live, keep)
            kept = f"; the database as it was is kept in {keep}"
            await asyncio.to_thread(overwrite_database, staging, live)
        else:
            await asyncio.to_thread(copy_database, staging, live, wal=True)
            live.chmod(SHARED_MODE)  # the agents' group writes it too
    finally:
        _remove(staging)
    problems = await asyncio.to_thread(integrity_problems, live, quick=True)
    if problems:
        raise DaemonError(f"{live}: check after restore failed: {problems[0]}{kept}")
    held = summary(live)
    print(f"{live}: restored from {source}, {held.orders} orders, integrity ok{kept}")
    return 0
