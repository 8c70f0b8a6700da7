"""The webhook inbox: deliveries are queued (and answered) first, applied to orders after.

Queueing is its own short transaction, so the HTTP answer goes out only once the delivery is
committed; a delivery whose (source, delivery id) is already queued is not queued again. Applying
a delivery writes its orders and marks it processed in one transaction, so a crash between the two
applies it again later, which the upsert makes harmless; an older copy of an order never
overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sync.domain import OrderRecord, WebhookRow
from sync.store.base import StoreBase
from sync.store.db import from_db_required, to_db
from sync.store.page import PageWriter
from sync.store.removals import mark_deleted

MAX_ATTEMPTS = 5


def _newest_per_order(records: Sequence[OrderRecord]) -> list[OrderRecord]:
    newest: dict[str, OrderRecord] = {}
    for record in records:
        held = newest.get(record.external_id)
        if held is None or record.updated_at >= held.updated_at:
            newest[record.external_id] = record
    return list(newest.values())


class InboxStore(StoreBase):
    async def queue_webhook(
        self, source: str, delivery_id: str, topic: str, body: bytes, now: datetime
    ) -> bool:
        """Queue one delivery; False when this delivery id was queued before."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "INSERT INTO webhook_inbox (source, delivery_id, topic, body, received_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING",
                (source, delivery_id, topic, body, to_db(now)),
            )
            queued = cursor.rowcount == 1
        return queued

    async def pending_webhooks(self, limit: int = 100) -> list[WebhookRow]:
        """Deliveries not yet applied, oldest first (those that failed too often are left)."""
        rows = await self.db.fetchall(
            "SELECT id, source, delivery_id, topic, body, received_at, attempts "
            "FROM webhook_inbox WHERE processed_at IS NULL AND attempts < ? ORDER BY id LIMIT ?",
            (MAX_ATTEMPTS, limit),
        )
        return [
            WebhookRow(
                id=row["id"],
                source=row["source"],
                delivery_id=row["delivery_id"],
                topic=row["topic"],
                body=bytes(row["body"]),
                received_at=from_db_required(row["received_at"]),
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def apply_webhook(
        self, inbox_id: int, source: str, records: Sequence[OrderRecord], now: datetime
    ) -> list[int]:
        """Write a delivery's orders and mark it processed; returns the orders that changed."""
        return await self.apply_webhooks([(inbox_id, source, records)], now)

    async def apply_webhooks(
        self,
        deliveries: Sequence[tuple[int, str, Sequence[OrderRecord]]],
        now: datetime,
        *,
        deleted: Sequence[tuple[str, str, str]] = (),
    ) -> list[int]:
        """Write several deliveries' orders and mark them processed, in one transaction.

        Each delivery is (inbox id, source, its orders). Of several copies of one order the
        newest is written; returns the orders that changed. ``deleted`` lists (source, external
        id, topic) of orders deletion webhooks among them said are gone: they are marked deleted
        (:mod:`sync.store.removals`) after the orders are written.
        """
        by_source: dict[str, list[OrderRecord]] = {}
        for _, source, records in deliveries:
            by_source.setdefault(source, []).extend(records)
        changed: list[int] = []
        async with self.db.write() as tx:
            for source, records in by_source.items():
                writer = PageWriter(tx, source, now)
                changed += await writer.write(_newest_per_order(records))
            for source, external_id, topic in deleted:
                changed += await mark_deleted(tx, source, [external_id], now, f"{topic} webhook")
            await tx.executemany(
                "UPDATE webhook_inbox SET processed_at = ?, attempts = attempts + 1, error = '' "
                "WHERE id = ?",
                [(to_db(now), inbox_id) for inbox_id, _, _ in deliveries],
            )
        return changed

    async def fail_webhook(self, inbox_id: int, error: str, *, final: bool = False) -> None:
        """A delivery could not be applied; after ``MAX_ATTEMPTS`` (or ``final``) it is left."""
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE webhook_inbox SET attempts = CASE WHEN ? THEN ? ELSE attempts + 1 END, "
                "error = ? WHERE id = ?",
                (final, MAX_ATTEMPTS, error, inbox_id),
            )

    async def webhook_counts(self) -> dict[str, int]:
        """Deliveries waiting, applied, and given up on."""
        row = await self.db.fetchone(
            "SELECT count(*) FILTER (WHERE processed_at IS NULL AND attempts < ?) AS waiting, "
            "count(*) FILTER (WHERE processed_at IS NOT NULL) AS applied, "
            "count(*) FILTER (WHERE processed_at IS NULL AND attempts >= ?) AS failed "
            "FROM webhook_inbox",
            (MAX_ATTEMPTS, MAX_ATTEMPTS),
        )
        assert row is not None
        return {"waiting": row["waiting"], "applied": row["applied"], "failed": row["failed"]}
