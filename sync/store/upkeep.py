"""Keeping a long-lived database in shape: payload retention, the WAL's size, figures for metrics.

Retention blanks the raw vendor payloads (an order's or a parcel's ``raw`` JSON, a push's or a
webhook's body) once they are older than the shop's ``retention_days``; the normalized rows, the
timeline (``events``) and every audit table stay. Nothing is deleted: a repeated delivery still
finds its digest or delivery id, and ``raw_hash`` still tells an unchanged order from a new one.
Each batch is its own short write, so agents' actions never wait long behind a prune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import to_db

PRUNE_BATCH = 5000
EMPTY_JSON = "{}"


@dataclass(frozen=True, slots=True)
class Pruned:
    orders: int = 0
    shipments: int = 0
    pushes: int = 0
    webhooks: int = 0

    @property
    def total(self) -> int:
        return self.orders + self.shipments + self.pushes + self.webhooks


@dataclass(frozen=True, slots=True)
class EscalationCount:
    state: str
    severity: str
    count: int


# Each statement blanks the payloads of one id range; ``?3`` is the cut-off instant.
_PRUNES = {
    "orders": (
        "UPDATE orders SET raw = '{}' WHERE id BETWEEN ?1 AND ?2 AND updated_at < ?3 "
        "AND raw <> '{}'"
    ),
    # A parcel's raw is rewritten at every poll or push: its age is the newest of those.
    "shipments": (
        "UPDATE shipments SET raw = '{}' WHERE id BETWEEN ?1 AND ?2 AND raw <> '{}' "
        "AND coalesce(max(polled_at, pushed_at), polled_at, pushed_at, shipped_at, '') < ?3"
    ),
    "track_pushes": (
        "UPDATE track_pushes SET body = '' WHERE id BETWEEN ?1 AND ?2 AND received_at < ?3 "
        "AND body <> ''"
    ),
    "webhook_inbox": (
        "UPDATE webhook_inbox SET body = X'' WHERE id BETWEEN ?1 AND ?2 "
        "AND processed_at IS NOT NULL AND received_at < ?3 AND length(body) > 0"
    ),
}


class UpkeepStore(StoreBase):
    async def prune_payloads(self, before: datetime, *, batch: int = PRUNE_BATCH) -> Pruned:
        """Blank raw payloads last written before ``before``; returns how many per table."""
        counts: dict[str, int] = {}
        cutoff = to_db(before)
        for table, sql in _PRUNES.items():
            high = int(await self.db.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))
            done = 0
            for start in range(1, high + 1, batch):
                async with self.db.write() as tx:
                    cursor = await tx.execute(sql, (start, start + batch - 1, cutoff))
                    done += max(cursor.rowcount, 0)
            counts[table] = done
        return Pruned(
            orders=counts["orders"],
            shipments=counts["shipments"],
            pushes=counts["track_pushes"],
            webhooks=counts["webhook_inbox"],
        )

    async def limit_journal(self, size_bytes: int) -> None:
        """Truncate the WAL back to ``size_bytes`` whenever this connection resets it."""
        await self.db.scalar(f"PRAGMA journal_size_limit = {int(size_bytes)}")

    async def escalations_by_severity(self) -> list[EscalationCount]:
        rows = await self.db.fetchall(
            "SELECT state, severity, count(*) AS n FROM escalations GROUP BY state, severity "
            "ORDER BY state, severity"
        )
        return [EscalationCount(row["state"], row["severity"], int(row["n"])) for row in rows]

    async def outbox_counts(self) -> dict[str, int]:
        """Notifications by state (``pending``, ``sending``, ``sent``, ``failed`` …)."""
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        return {row["state"]: int(row["n"]) for row in rows}

    async def touch(self, key: str, now: datetime) -> None:
        """A tiny write that proves the database takes writes (``/healthz``)."""
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO daemon_state (key, value, updated_at) VALUES (?1, ?2, ?2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, to_db(now)),
            )
