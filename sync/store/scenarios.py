"""What ``rules test`` scenarios and ``rules explain`` need beyond the daemon's own reads and
writes: finding rows by the ids a scenario names them by, setting warehouse stage times the
way an export would, and listing the notices the rules engine raised."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db_required, to_db
from sync.store.events import append_event

STAGES = ("reserved_at", "picked_at", "packed_at", "handed_over_at")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the rules engine told people: a timer started warning, or an escalation
    opened (``state`` firing)."""

    at: datetime
    rule_id: str
    subject_kind: str
    subject_id: int
    state: str


class ScenarioStore(StoreBase):
    async def order_ids_by_external(
        self, source: str, external_ids: Sequence[str]
    ) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT external_id, id FROM orders WHERE source = ? AND external_id IN "
            "(SELECT value FROM json_each(?))",
            (source, json.dumps(list(external_ids))),
        )
        return {row["external_id"]: int(row["id"]) for row in rows}

    async def shipment_ids_by_external(self, external_ids: Sequence[str]) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT external_id, id FROM shipments WHERE external_id IN "
            "(SELECT value FROM json_each(?))",
            (json.dumps(list(external_ids)),),
        )
        return {row["external_id"]: int(row["id"]) for row in rows}

    async def set_stage_times(
        self, order_id: int, times: dict[str, datetime | None], now: datetime
    ) -> None:
        """Set warehouse stage times on an order (None clears one), as an export would."""
        stages = {name: at for name, at in times.items() if name in STAGES}
        if not stages:
            return
        async with self.db.write() as tx:
            assignments = ", ".join(f"{name} = ?" for name in stages)
            await tx.execute(
                f"UPDATE orders SET {assignments}, change_seq = ? WHERE id = ?",
                (*(to_db(at) for at in stages.values()), tx.seq, order_id),
            )
            for name, at in stages.items():
                await append_event(
                    tx,
                    at=now,
                    actor="scenario",
                    order_id=order_id,
                    subject_kind="order",
                    subject_id=order_id,
                    kind="stage",
                    field=name,
                    to_value=to_db(at) or "",
                )

    async def notices(self, after: datetime, until: datetime) -> list[Notice]:
        """Warnings and escalations the engine raised in (after, until]."""
        rows = await self.db.fetchall(
            "SELECT e.at, e.kind, e.field, e.subject_kind, e.subject_id, e.to_value, "
            "x.subject_kind AS x_kind, x.subject_id AS x_subject FROM events e "
            "LEFT JOIN escalations x ON e.subject_kind = 'escalation' AND x.id = e.subject_id "
            "WHERE e.actor = 'daemon' AND e.at > ? AND e.at <= ? AND "
            "((e.kind = 'escalation' AND e.to_value = 'firing') OR e.kind = 'warning') "
            "ORDER BY e.at, e.id",
            (to_db(after), to_db(until)),
        )
        return [
            Notice(
                at=from_db_required(row["at"]),
                rule_id=row["field"],
                subject_kind=row["x_kind"] or row["subject_kind"],
                subject_id=int(row["x_subject"] or row["subject_id"]),
                state=row["to_value"],
            )
            for row in rows
        ]
