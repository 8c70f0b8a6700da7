"""Agents' actions on quarantined export rows: retry one, or discard it.

A retry applies a waiting warehouse stage row to its order (once that order has arrived) and
clears it; a row that could not be read has nothing to retry with (its export must be fixed and
dropped again) and can only be discarded. Both append a line with the agent's login to the
timeline, in the same transaction: on the order for a retry, on no order for a discard. A row
another agent (or the daemon) cleared first is a :class:`~sync.errors.ConflictError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.errors import ActionError, ConflictError
from sync.store.base import StoreBase
from sync.store.db import Transaction
from sync.store.events import append_event
from sync.store.stages import apply_stage, stage_from_json


@dataclass(frozen=True, slots=True)
class Retried:
    order_id: int
    changed: bool
    """Whether the row moved any of the order's stage times (False: it already had them)."""


class QuarantineStore(StoreBase):
    async def quarantine_total(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM quarantine"))

    async def retry_quarantined(self, row_id: int, agent: str, now: datetime) -> Retried:
        """Apply a waiting stage row to its order now and clear it from quarantine.

        Raises :class:`ActionError` (the row stays) when it cannot be applied: a row that could
        not be read, or a stage whose order has still not arrived.
        """
        async with self.db.write() as tx:
            row = await _row(tx, row_id)
            where = f"{row['file_name']}:{row['line']}"
            if not row["stage"]:
                raise ActionError(
                    f"{where} could not be read ({row['reason']}): fix the export and drop it "
                    "again, or discard the row"
                )
            stage = stage_from_json(row["stage"], int(row["line"]))
            outcome = await apply_stage(
                tx, row["source"], stage, actor=agent, note=f"retried from quarantine: {where}"
            )
            if outcome.order_id is None:
                raise ActionError(f"{where}: still {outcome.reason}")
            await tx.execute("DELETE FROM quarantine WHERE id = ?", (row_id,))
            await append_event(
                tx,
                at=now,
                actor=agent,
                order_id=outcome.order_id,
                subject_kind="order",
                subject_id=outcome.order_id,
                kind="quarantine",
                field="retried",
                from_value=where,
                detail=f"warehouse stage row {where} retried from quarantine",
            )
        return Retried(outcome.order_id, outcome.changed)

    async def discard_quarantined(self, row_id: int, agent: str, now: datetime) -> None:
        """Drop a quarantined row; the timeline keeps what it was and who dropped it."""
        async with self.db.write() as tx:
            row = await _row(tx, row_id)
            where = f"{row['file_name']}:{row['line']}"
            await tx.execute("DELETE FROM quarantine WHERE id = ?", (row_id,))
            await append_event(
                tx,
                at=now,
                actor=agent,
                order_id=None,
                subject_kind="quarantine",
                subject_id=row_id,
                kind="quarantine",
                field="discarded",
                from_value=where,
                to_value=row["cells"],
                detail=f"{row['source']}: {where} discarded ({row['reason']})",
            )


async def _row(tx: Transaction, row_id: int) -> dict[str, Any]:
    row = await tx.fetchone(
        "SELECT source, file_name, line, reason, cells, stage FROM quarantine WHERE id = ?",
        (row_id,),
    )
    if row is None:
        raise ConflictError(
            "that row has left the quarantine already (retried or discarded elsewhere)",
            change="cleared",
        )
    return dict(row)
