"""Source health, the daemon's small key-value state, and change tracking for readers."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from sync.domain import SourceRow
from sync.store.base import StoreBase
from sync.store.db import to_db
from sync.store.rows import source_row


class StateStore(StoreBase):
    async def sources(self) -> list[SourceRow]:
        rows = await self.db.fetchall("SELECT * FROM sources ORDER BY name")
        return [source_row(row) for row in rows]

    async def source(self, name: str) -> SourceRow | None:
        row = await self.db.fetchone("SELECT * FROM sources WHERE name = ?", (name,))
        return None if row is None else source_row(row)

    async def save_cursor(self, name: str, kind: str, cursor: str, now: datetime) -> None:
        """Move a source's cursor on its own. Sync code saves cursors with their page instead
        (:meth:`~sync.store.orders.OrderStore.save_order_page`); this exists for fault
        injection and for an operator resetting a source."""
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, cursor, last_attempt_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor",
                (name, kind, cursor, to_db(now)),
            )

    async def record_source_success(self, name: str, kind: str, rows: int, now: datetime) -> None:
        """A source answered (for sources without a cursor, like tracking providers)."""
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, last_attempt_at, last_success_at, rows_synced) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_attempt_at = excluded.last_attempt_at, "
                "last_success_at = excluded.last_success_at, last_error = '', "
                "rows_synced = rows_synced + excluded.rows_synced",
                (name, kind, to_db(now), to_db(now), rows),
            )

    async def record_source_error(self, name: str, kind: str, error: str, now: datetime) -> None:
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, last_attempt_at, last_error, last_error_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error, "
                "last_error_at = excluded.last_error_at",
                (name, kind, to_db(now), error, to_db(now)),
            )

    async def get_state(self, key: str, default: str = "") -> str:
        value = await self.db.scalar("SELECT value FROM daemon_state WHERE key = ?", (key,))
        return default if value is None else str(value)

    async def set_state(self, values: dict[str, str], now: datetime) -> None:
        async with self.db.write() as tx:
            await tx.executemany(
                "INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [(key, value, to_db(now)) for key, value in values.items()],
            )

    async def change_seq(self) -> int:
        """The stamp of the last committed write."""
        return int(await self.db.scalar("SELECT value FROM change_counter WHERE id = 1"))

    async def changed_order_ids(
        self, since: int, limit: int = 5000, skip: Collection[int] = ()
    ) -> tuple[list[int], int]:
        """Orders whose rows moved after change ``since``, oldest change first, but for those
        whose last change is one of the stamps in ``skip``.

        Returns the ids and the stamp to ask from next time (all of them when fewer than
        ``limit`` came back). A batch stops before a stamp it could not finish, except when one
        stamp fills the whole batch: one transaction that wrote more than ``limit`` orders comes
        back whole, since a later call could not ask for its rest.
        """
        skipped = sorted(stamp for stamp in skip if stamp > since)
        # The last stamp is read by the same statement, from the same snapshot: read apart, a
        # write committed in between would be counted as seen, and its orders never found.
        rows = await self.db.fetchall(
            "SELECT id, change_seq, (SELECT value FROM change_counter WHERE id = 1) AS upto "
            "FROM orders WHERE change_seq > ? "
            + ("AND change_seq NOT IN (SELECT value FROM json_each(?)) " if skipped else "")
            + "ORDER BY change_seq LIMIT ?",
            (since, json.dumps(skipped), limit) if skipped else (since, limit),
        )
        if not rows:
            return [], since
        if len(rows) < limit:
            return [int(r["id"]) for r in rows], max(since, int(rows[0]["upto"]))
        # A full batch: stop before the last stamp, which may continue past the limit.
        last = int(rows[-1]["change_seq"])
        ids = [int(r["id"]) for r in rows if r["change_seq"] < last]
        if ids:
            return ids, last - 1
        whole = await self.db.fetchall("SELECT id FROM orders WHERE change_seq = ?", (last,))
        return [int(r["id"]) for r in whole], last

    async def data_version(self) -> int:
        """SQLite's counter of commits by *other* connections to this file."""
        return int(await self.db.scalar("PRAGMA data_version"))
