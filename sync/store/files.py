"""Whole-file operations on a database: online copies, integrity, checkpoints, the WAL's size.

These run on their own short-lived ``sqlite3`` connections (call them from a thread), never on the
daemon's connection, so a slow copy or a checkpoint waiting for a reader never holds up a write.

Copies use SQLite's online backup API in one step: the source is read inside one read
transaction, so the copy is one consistent snapshot while writers go on (in WAL mode readers and
the writer do not block each other). Copying the file with ``cp`` while the daemon writes is the
classic way to corrupt a SQLite database; this is the safe one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sync.errors import StoreError

BUSY_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The outcome of ``PRAGMA wal_checkpoint``."""

    busy: bool
    """A reader or writer kept the checkpoint from finishing."""
    wal_frames: int
    checkpointed: int

    @property
    def complete(self) -> bool:
        return not self.busy and self.checkpointed >= self.wal_frames


@contextlib.contextmanager
def connection(path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to an existing database file, closed on exit."""
    if not path.is_file():
        raise StoreError(f"{path}: no database here")
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database: {exc}") from exc
    try:
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: {exc}") from exc
    finally:
        conn.close()


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def wal_size(path: Path) -> int:
    """Bytes in the database's write-ahead log (0 when there is none)."""
    try:
        return wal_path(path).stat().st_size
    except FileNotFoundError:
        return 0


def checkpoint(path: Path, mode: str = "PASSIVE", *, busy_timeout: float = 0.0) -> Checkpoint:
    """Copy the WAL back into the database; TRUNCATE also empties the WAL file when it can."""
    if mode not in {"PASSIVE", "FULL", "RESTART", "TRUNCATE"}:
        raise ValueError(mode)
    with connection(path, busy_timeout=busy_timeout) as conn:
        row = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    busy, frames, done = (int(v) for v in row)
    return Checkpoint(busy=bool(busy), wal_frames=max(frames, 0), checkpointed=max(done, 0))


def integrity_problems(path: Path, *, quick: bool = False, limit: int = 20) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong; empty when the database is sound."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        with connection(path) as conn:
            rows = conn.execute(f"PRAGMA {pragma}({int(limit)})").fetchall()
    except StoreError as exc:
        return [str(exc)]
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def schema_version(path: Path) -> int:
    with connection(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def change_counter(path: Path) -> int:
    with connection(path) as conn:
        row = conn.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
    return 0 if row is None else int(row[0])


def copy_database(source: Path, target: Path, *, wal: bool = False) -> int:
    """Copy ``source`` into a new file ``target`` with the backup API; returns its size.

    The copy is written beside ``target`` and renamed into place only once complete, so a
    failed copy never leaves a half file under the real name. ``wal=False`` leaves the copy in
    rollback-journal mode: one self-contained file.
    """
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    # Created private before SQLite opens it: the copy holds customers' personal data.
    os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with connection(source) as src, connection(part) as dst:
            src.backup(dst)
            if not wal:
                dst.execute("PRAGMA journal_mode = DELETE")
        with part.open("rb") as written:
            os.fsync(written.fileno())
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def overwrite_database(source: Path, live: Path) -> None:
    """Replace the content of ``live`` with ``source``'s, in one step, through SQLite.

    Other connections to ``live`` (a running daemon, consoles) stay valid: the backup API takes
    the write lock like any writer, and each reader sees the new content from its next read.
    """
    with connection(source) as src, connection(live) as dst:
        src.backup(dst)


def stamp_everything(path: Path, stamp: int) -> int:
    """Set the change counter to ``stamp`` and stamp every row that carries a change_seq.

    After a restore this makes every reader that follows ``change_seq`` (the consoles, the rules
    engine) see every row as changed and read it again. Returns the rows stamped.
    """
    with connection(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p "
                "WHERE m.type = 'table' AND p.name = 'change_seq' ORDER BY m.name"
            )
        ]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("UPDATE change_counter SET value = ? WHERE id = 1", (stamp,))
            stamped = 0
            for table in tables:
                stamped += conn.execute(f"UPDATE {table} SET change_seq = ?", (stamp,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return stamped


@dataclass(frozen=True, slots=True)
class Summary:
    """What a database file holds, in a line: for backup and restore reports."""

    schema: int
    orders: int
    escalations: int
    change_seq: int


def summary(path: Path) -> Summary:
    """The schema version, counts and change stamp of an orderwatch database."""
    with connection(path) as conn:
        schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        try:
            orders = int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
            escalations = int(conn.execute("SELECT count(*) FROM escalations").fetchone()[0])
            seq = int(conn.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()[0])
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{path}: not an orderwatch database ({exc})") from exc
    return Summary(schema=schema, orders=orders, escalations=escalations, change_seq=seq)
