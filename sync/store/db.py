"""The database connection: pragmas, migrations, and the one way to write.

Every writing transaction starts with ``BEGIN IMMEDIATE`` (a deferred transaction that later writes
fails with "database is locked" whatever the timeout) and takes the next ``change_seq``. Reads run
in autocommit mode so nobody sits idle inside a read transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
from array import array
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from sync.errors import StoreError
from sync.store.files import Checkpoint, checkpoint
from sync.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
MIRROR_AUTOCHECKPOINT = 8192
"""WAL pages (32 MB) after which a commit of the daemon's connection copies the WAL back itself,
instead of SQLite's 1000. Copying back is mostly done beside the writes (:data:`COPY_BACK_EVERY`);
this bound is what lets the WAL start over from its beginning during a long sync (a background
copy rarely finds no commit in its way), and by the time it is reached there is little left to
copy. It keeps the WAL well under the 64 MB the upkeep and ``doctor`` treat as stuck. The
daemon's upkeep still checkpoints and truncates the WAL every minute."""

MIRROR_CACHE_KIB = 32 * 1024
"""The daemon's page cache (SQLite's default is 2 MiB). A first sync writes thousands of orders a
transaction (:data:`sync.engine.GROUP`), each dirtying some 8 KiB of table and index pages: with
the default cache most of them were spilled to the WAL and read back before the commit."""

COPY_BACK_EVERY = 0.25
"""Seconds between background checkpoints while the daemon's connection commits. Each runs on its
own short-lived connection in a worker thread (a passive checkpoint never stops the writer), so
the copy back into the database and its fsyncs no longer sit inside a commit: at 100k orders a
first sync's commits took some 40% less time."""

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_YEARS = {year: str(year) for year in range(1970, 2200)}


def to_db(instant: datetime | None) -> str | None:
    """An instant as stored: fixed-width UTC text to the second, so string order is time order."""
    if instant is None:
        return None
    if instant.tzinfo is not UTC:
        offset = instant.utcoffset()
        if offset is None:
            raise ValueError("zone-less datetimes are never stored")
        if offset:
            instant = instant.astimezone(UTC)
    year = _YEARS.get(instant.year)
    if year is None:  # isoformat zero-pads the year, which keeps text order time order
        return instant.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    # Put together from a table: isoformat (then cut) took three times as long, and a page of
    # orders stores thousands of instants.
    two = _TWO_DIGITS
    return (
        f"{year}-{two[instant.month]}-{two[instant.day]}"
        f"T{two[instant.hour]}:{two[instant.minute]}:{two[instant.second]}Z"
    )


def from_db(text: str | None) -> datetime | None:
    # fromisoformat reads the stored "…Z" form as UTC, some twenty times faster than strptime
    # (a full re-plan reads millions of these).
    if text is None:
        return None
    return datetime.fromisoformat(text)


def from_db_required(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Transaction:
    """A writing transaction in progress; ``seq`` is its change stamp."""

    def __init__(self, conn: aiosqlite.Connection, seq: int) -> None:
        self.conn = conn
        self.seq = seq

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        return await self.conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` called with the bare connection on the database's own thread: a batch of
        many statements costs one trip there, not one per statement."""
        return await _on_thread(self.conn, work)


async def _on_thread(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    result: T = await conn._execute(lambda: work(conn._conn))  # type: ignore[no-untyped-call]
    return result


class _BeginFailed(Exception):
    def __init__(self, error: sqlite3.OperationalError) -> None:
        super().__init__(str(error))
        self.error = error


def _rollback_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _begin(conn: sqlite3.Connection) -> int:
    """``BEGIN IMMEDIATE`` and the transaction's change stamp, in one trip to the thread."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _BeginFailed(exc) from exc
    try:
        (value,) = conn.execute(
            "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
        ).fetchone()
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(value)


class Database:
    """One aiosqlite connection with orderwatch's pragmas and a lock around its use.

    ``durable=True`` (the console's agent actions) sets ``synchronous=FULL``: an agent's note cannot
    be fetched again. The daemon's mirror uses ``NORMAL``.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._copy_back = False
        """Whether commits are copied back in the background (the daemon's mirror on disk)."""
        self._copying: asyncio.Task[Checkpoint] | None = None
        self._copied_at = -math.inf  # monotonic time can start near zero at boot
        self._held = 0

    @classmethod
    async def open(cls, path: Path | str, *, durable: bool = False) -> Database:
        path = Path(path)
        if str(path) != ":memory:" and not path.parent.is_dir():
            raise StoreError(f"{path}: the folder {path.parent} does not exist")
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, path)
        try:
            await db._configure(durable)
            await db._migrate()
        except sqlite3.Error as exc:
            await conn.close()
            raise StoreError(f"{path}: {exc}") from exc
        return db

    async def _configure(self, durable: bool) -> None:
        await self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode_row = await (await self.conn.execute("PRAGMA journal_mode = WAL")).fetchone()
        if mode_row is None or str(mode_row[0]).lower() not in {"wal", "memory"}:
            raise StoreError(f"{self.path}: the database cannot use WAL mode")
        await self.conn.execute("PRAGMA foreign_keys = ON")
        await self.conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        if not durable:
            await self.conn.execute(f"PRAGMA wal_autocheckpoint = {MIRROR_AUTOCHECKPOINT}")
            await self.conn.execute(f"PRAGMA cache_size = -{MIRROR_CACHE_KIB}")
            self._copy_back = str(self.path) != ":memory:"

    async def _migrate(self) -> None:
        row = await (await self.conn.execute("PRAGMA user_version")).fetchone()
        current = int(row[0]) if row else 0
        latest = MIGRATIONS[-1][0]
        if current > latest:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this orderwatch ({latest})"
            )
        if current == latest:
            return
        # A migration may rebuild a table (SQLite cannot drop a NOT NULL): with foreign keys on,
        # dropping the old table would cascade into the rows that point at it. So they are off
        # while migrations run (the pragma is ignored inside a transaction), and each migration
        # is checked for broken references before it commits.
        await self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number, sql in MIGRATIONS:
                if number > current:
                    await self._apply(number, sql)
        finally:
            await self.conn.execute("PRAGMA foreign_keys = ON")

    async def _apply(self, number: int, sql: str) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            # executescript would commit; run statement by statement inside our transaction.
            for statement in _split_sql(sql):
                await self.conn.execute(statement)
            broken = list(await self.conn.execute_fetchall("PRAGMA foreign_key_check"))
            if broken:
                table, rowid, parent, _ = tuple(broken[0])
                raise StoreError(
                    f"{self.path}: migration {number} leaves {table} row {rowid} pointing at a "
                    f"missing {parent} row"
                )
            await self.conn.execute(f"PRAGMA user_version = {number}")
            await self.conn.execute("COMMIT")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        async with self.copy_back_held():  # a copy still running ends first
            await self.conn.close()

    @asynccontextmanager
    async def copy_back_held(self) -> AsyncIterator[None]:
        """No background copy back while inside, and none still running on entry: a checkpoint
        of one's own (the upkeep's, which also empties the WAL) then never finds SQLite's
        checkpoint lock taken by this connection's copy."""
        self._held += 1
        try:
            if self._copying is not None:
                with contextlib.suppress(Exception):
                    await self._copying
            yield
        finally:
            self._held -= 1

    def _copy_back_soon(self) -> None:
        """After a commit: start a passive checkpoint in a worker thread unless one is running
        or one started less than :data:`COPY_BACK_EVERY` ago. A failed one is left to the
        upkeep's checkpoint, which reports its problems."""
        if not self._copy_back or self._held:
            return
        if self._copying is not None and not self._copying.done():
            return
        now = time.monotonic()
        if now - self._copied_at < COPY_BACK_EVERY:
            return
        self._copied_at = now
        copying = asyncio.ensure_future(asyncio.to_thread(checkpoint, self.path))
        copying.add_done_callback(_forget)
        self._copying = copying

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """A ``BEGIN IMMEDIATE`` transaction stamped with the next change_seq."""
        async with self._lock:
            # One trip to the database thread per statement: a short write (an audit row) is
            # mostly these trips, so the stamp is taken in the same trip as the BEGIN.
            try:
                seq = await _on_thread(self.conn, _begin)
            except _BeginFailed as exc:
                raise StoreError(f"{self.path}: cannot start a write: {exc.error}") from exc.error
            except BaseException:
                # Cancelled on the way: the thread still runs the BEGIN (it works in order), so
                # the transaction is undone after it rather than left open on the connection.
                await asyncio.shield(_on_thread(self.conn, _rollback_open))
                raise
            try:
                yield Transaction(self.conn, seq)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")
            self._copy_back_soon()

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._read(sql, params, sqlite3.Cursor.fetchone)
        return row

    async def column(self, sql: str, params: Params = ()) -> list[Any]:
        """The first column of every row: plain tuples, no Row objects (id lists are long)."""
        return [row[0] for row in await self.tuples(sql, params)]

    async def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Every row as a plain tuple (no Row objects: for long scans)."""
        rows: list[tuple[Any, ...]] = await self._read(
            sql, params, sqlite3.Cursor.fetchall, plain=True
        )
        return rows

    async def _read(
        self, sql: str, params: Params, take: Callable[[sqlite3.Cursor], T], *, plain: bool = False
    ) -> T:
        """``take`` of the statement's cursor (rows as plain tuples when ``plain``), in one trip
        to the database's thread (a re-plan asks a few thousand of these)."""

        def work(conn: sqlite3.Connection) -> T:
            cursor = conn.execute(sql, params)
            try:
                if plain:
                    cursor.row_factory = None
                return take(cursor)
            finally:
                cursor.close()

        async with self._lock:
            return await _on_thread(self.conn, work)

    async def id_array(self, sql: str, params: Params = (), chunk: int = 50_000) -> array[int]:
        """The first column of every row as packed integers (8 bytes each), read a chunk at a
        time, so a million ids never exist as a million Python objects at once."""
        found: array[int] = array("q")
        async with self._lock, self.conn.execute(sql, params) as cursor:
            cursor.row_factory = None
            while rows := await cursor.fetchmany(chunk):
                found.extend(row[0] for row in rows)
        return found

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


def _forget(done: asyncio.Task[Checkpoint]) -> None:
    if not done.cancelled():
        done.exception()


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (triggers keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
