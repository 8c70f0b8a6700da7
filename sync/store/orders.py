"""Orders: the mirror's upserts (with their timeline events) and the console's reads."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from sync.domain import EventRow, LineItem, OrderRecord, OrderRow
from sync.errors import CursorMoved
from sync.store.base import StoreBase
from sync.store.events import at_text
from sync.store.feeds import NOTE_PAGE, RunPage, note_page_values
from sync.store.page import PageWriter, PreparedPage
from sync.store.rows import ORDER_COLUMNS, event_row, order_row

_SAVE_CURSOR = (
    "INSERT INTO sources (name, kind, cursor, last_attempt_at, last_success_at, "
    "rows_synced) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
    "cursor = excluded.cursor, kind = excluded.kind, "
    "last_attempt_at = excluded.last_attempt_at, "
    "last_success_at = excluded.last_success_at, last_error = '', "
    "rows_synced = rows_synced + excluded.rows_synced"
)


class OrderStore(StoreBase):
    async def save_order_page(
        self,
        source: str,
        kind: str,
        records: Sequence[OrderRecord] | PreparedPage,
        cursor: str,
        now: datetime,
        *,
        run: RunPage | None = None,
    ) -> list[int]:
        """Upsert one page of a source's orders and save its cursor, in one transaction.

        Returns the ids of the orders that changed. A page fetched twice changes nothing; an
        order older than the stored copy (by ``updated_at``) is skipped. The work is done a page
        at a time (a handful of statements per page, not per order). ``run``, when given, is
        counted in the run's progress in the same transaction (one commit a page, not two).
        """
        return await self.save_order_pages(source, kind, [records], cursor, now, run=run)

    async def save_order_pages(
        self,
        source: str,
        kind: str,
        pages: Sequence[Sequence[OrderRecord] | PreparedPage],
        cursor: str,
        now: datetime,
        *,
        run: RunPage | None = None,
        after: str | None = None,
    ) -> list[int]:
        """Several pages of a source, in order, as :meth:`save_order_page` saves one, all in one
        transaction with ``cursor`` (the one after the last page) and ``run`` (what the pages
        together add to the run's progress).

        ``after``, when given, is the cursor the pages were fetched from, as the run last saved
        it: if the stored one differs, nothing is written and :class:`CursorMoved` is raised.

        A first sync writes the pages that wait in line this way. A commit writes every table
        and index page its orders touched, and pages of new orders touch mostly the same ones:
        at 100k orders, 2,000 orders a transaction cost about a quarter of the commit time an
        order that 250 did."""
        changed: list[int] = []
        async with self.db.write() as tx:
            if after is not None:
                row = await tx.fetchone("SELECT cursor FROM sources WHERE name = ?", (source,))
                stored = "" if row is None else row["cursor"]
                if stored != after:
                    raise CursorMoved(f"{source}: the cursor moved while a run fetched pages")
            writer = PageWriter(tx, source, now)
            for records in pages:
                changed += await writer.write(records)
            saved = (source, kind, cursor, at_text(now), at_text(now), len(changed))

            def save_cursor(conn: sqlite3.Connection) -> None:
                conn.execute(_SAVE_CURSOR, saved)
                if run is not None:
                    conn.execute(NOTE_PAGE, note_page_values(source, run, now))

            await tx.run(save_cursor)  # with the run's progress, in one trip
        return changed

    # ----- reads -----

    async def order(self, order_id: int) -> OrderRow | None:
        row = await self.db.fetchone(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)
        )
        return None if row is None else order_row(row)

    async def orders_by_id(self, order_ids: Sequence[int]) -> list[OrderRow]:
        """The orders with these ids, in the order given (missing ids are skipped)."""
        if not order_ids:
            return []
        rows = await self.db.fetchall(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(order_ids)),),
        )
        by_id = {row["id"]: order_row(row) for row in rows}
        return [by_id[i] for i in order_ids if i in by_id]

    async def order_by_number(self, number: str) -> OrderRow | None:
        wanted = number.strip()
        row = await self.db.fetchone(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE number IN (?, ?) ORDER BY id LIMIT 1",
            (wanted, "#" + wanted.lstrip("#")),
        )
        return None if row is None else order_row(row)

    async def line_items(self, order_id: int) -> list[LineItem]:
        rows = await self.db.fetchall(
            "SELECT external_id, sku, title, quantity, price FROM line_items "
            "WHERE order_id = ? ORDER BY id",
            (order_id,),
        )
        return [
            LineItem(
                external_id=r["external_id"],
                sku=r["sku"],
                title=r["title"],
                quantity=r["quantity"],
                price=r["price"],
            )
            for r in rows
        ]

    async def events(self, order_id: int) -> list[EventRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE order_id = ? ORDER BY at, id", (order_id,)
        )
        return [event_row(row) for row in rows]

    async def escalation_events(self, escalation_id: int, order_id: int | None) -> list[EventRow]:
        """The timeline lines about one escalation (of order ``order_id``, or of no order for an
        escalation about a feed), oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE order_id IS ? AND subject_kind = 'escalation' "
            "AND subject_id = ? ORDER BY at, id",
            (order_id, escalation_id),
        )
        return [event_row(row) for row in rows]

    async def order_count(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM orders"))
