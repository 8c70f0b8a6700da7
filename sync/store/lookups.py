"""Agents' look-ups in the console, for the report of the questions customers ask most.

Each find (by number, phone, name or tracking) and each order detail an agent opens is one row,
with the order's stage at that moment: cancelled or deleted when the order ended, else the
latest parcel's status once it has one, else the order's fulfilment status. A find that does not
land on one order keeps no order and an empty stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sync.store.base import StoreBase
from sync.store.db import from_db_required, to_db

LOOKUP_STAGE_SQL = """
CASE WHEN o.lifecycle IN ('cancelled', 'deleted') THEN o.lifecycle
     ELSE coalesce((SELECT s.status FROM shipments s WHERE s.order_id = o.id
                    ORDER BY s.id DESC LIMIT 1), o.fulfillment_status) END
"""
"""An order's stage as a customer asking about it would see it."""


class LookupKind(StrEnum):
    FIND = "find"
    """A global find (``ctrl+f``) by number, phone, name, email or tracking."""
    OPEN = "open"
    """An order detail opened from a list."""


@dataclass(frozen=True, slots=True)
class Lookup:
    at: datetime
    kind: str
    stage: str


class LookupStore(StoreBase):
    async def record_lookup(
        self, agent: str, kind: LookupKind, order_id: int | None, at: datetime
    ) -> None:
        """One look-up, with the order's stage read in the same statement."""
        async with self.db.write() as tx:
            if order_id is None:
                await tx.execute(
                    "INSERT INTO lookups (at, agent, kind) VALUES (?, ?, ?)",
                    (to_db(at), agent, str(kind)),
                )
                return
            await tx.execute(
                f"INSERT INTO lookups (at, agent, kind, order_id, stage) "
                f"SELECT ?, ?, ?, o.id, {LOOKUP_STAGE_SQL} FROM orders o WHERE o.id = ?",
                (to_db(at), agent, str(kind), order_id),
            )

    async def lookups(self, start: datetime, end: datetime) -> list[Lookup]:
        """Look-ups made in ``[start, end)``, oldest first."""
        rows = await self.db.tuples(
            "SELECT at, kind, stage FROM lookups WHERE at >= ? AND at < ? ORDER BY at, id",
            (to_db(start), to_db(end)),
        )
        return [Lookup(from_db_required(at), kind, stage) for at, kind, stage in rows]
