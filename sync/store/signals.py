"""Signals about the desk itself: conflicting edits on an order, and the response figures.

Conflicting edits: when three or more different actors (a shop, a warehouse export, an agent)
changed one order's status within a day, something is fighting over it. The daemon scans the
timeline for new status lines (:meth:`status_changes_after`), counts the actors of each order it
finds, and raises an ``order_flags`` row the console shows; an agent clears it once sorted out.

Response figures: the time from an escalation opening to its first acknowledgement and to its
resolution, with the level and the agent, as stored on each escalation.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sync.desk import STATUS_EVENT_KINDS
from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db
from sync.store.events import append_event

_KINDS = json.dumps(list(STATUS_EVENT_KINDS))


@dataclass(frozen=True, slots=True)
class OrderFlag:
    id: int
    order_id: int
    flag: str
    detail: str
    raised_at: datetime
    cleared_at: datetime | None
    cleared_by: str


@dataclass(frozen=True, slots=True)
class ResponseSample:
    """One escalation's response: when it opened, its first acknowledgement and resolution."""

    escalation_id: int
    rule_id: str
    opened_at: datetime
    first_acked_at: datetime | None
    first_acked_by: str
    first_ack_level: int | None
    resolved_at: datetime | None
    resolved_by: str
    resolved_level: int | None

    @property
    def to_ack(self) -> float | None:
        if self.first_acked_at is None:
            return None
        return (self.first_acked_at - self.opened_at).total_seconds()

    @property
    def to_resolve(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).total_seconds()


class SignalStore(StoreBase):
    async def status_changes_after(self, event_id: int, limit: int = 5000) -> tuple[list[int], int]:
        """Orders with a status line on the timeline after ``event_id``, and the last id read."""
        rows = await self.db.fetchall(
            "SELECT id, order_id FROM events WHERE id > ? AND order_id IS NOT NULL "
            "AND kind IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?",
            (event_id, _KINDS, limit),
        )
        if not rows:
            return [], event_id
        orders = list(dict.fromkeys(int(row["order_id"]) for row in rows))
        return orders, int(rows[-1]["id"])

    async def first_event_id_since(self, at: datetime) -> int:
        """The first timeline line at or after ``at`` (one past the last when there is none);
        a scan of the timeline, for the first pass only."""
        found = await self.db.scalar("SELECT min(id) FROM events WHERE at >= ?", (to_db(at),))
        if found is not None:
            return int(found)
        return int(await self.db.scalar("SELECT coalesce(max(id), 0) + 1 FROM events"))

    async def status_actors(self, order_id: int, since: datetime) -> list[str]:
        """The different actors that changed the order's status since ``since``, first first."""
        rows = await self.db.fetchall(
            "SELECT actor, min(at) AS first FROM events WHERE order_id = ? AND at >= ? "
            "AND kind IN (SELECT value FROM json_each(?)) GROUP BY actor ORDER BY first, actor",
            (order_id, to_db(since), _KINDS),
        )
        return [str(row["actor"]) for row in rows]

    async def raise_order_flag(self, order_id: int, flag: str, detail: str, now: datetime) -> bool:
        """Raise ``flag`` on the order unless it is already up; True when raised now."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "INSERT INTO order_flags (order_id, flag, detail, raised_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (order_id, flag) WHERE cleared_at IS NULL DO NOTHING",
                (order_id, flag, detail, to_db(now)),
            )
            if cursor.rowcount != 1:
                return False
            await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
            await append_event(
                tx,
                at=now,
                actor="daemon",
                order_id=order_id,
                subject_kind="order",
                subject_id=order_id,
                kind="flag",
                field=flag,
                to_value="raised",
                detail=detail,
            )
            return True

    async def clear_order_flag(self, order_id: int, flag: str, agent: str, now: datetime) -> bool:
        """An agent says the flag is sorted out; False when it was not up."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE order_flags SET cleared_at = ?, cleared_by = ? "
                "WHERE order_id = ? AND flag = ? AND cleared_at IS NULL",
                (to_db(now), agent, order_id, flag),
            )
            if cursor.rowcount != 1:
                return False
            await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
            await append_event(
                tx,
                at=now,
                actor=agent,
                order_id=order_id,
                subject_kind="order",
                subject_id=order_id,
                kind="flag",
                field=flag,
                from_value="raised",
                to_value="cleared",
            )
            return True

    async def order_flags(self, order_id: int, open_only: bool = True) -> list[OrderFlag]:
        rows = await self.db.fetchall(
            "SELECT * FROM order_flags WHERE order_id = ? "
            + ("AND cleared_at IS NULL " if open_only else "")
            + "ORDER BY id",
            (order_id,),
        )
        return [_flag(row) for row in rows]

    async def flagged_order_ids(self, flag: str) -> list[int]:
        return [
            int(value)
            for value in await self.db.column(
                "SELECT order_id FROM order_flags WHERE flag = ? AND cleared_at IS NULL "
                "ORDER BY id",
                (flag,),
            )
        ]

    async def response_samples(self, since: datetime) -> list[ResponseSample]:
        """The response of every order's escalation opened since ``since`` (a feed's, about
        no order, is left out)."""
        rows = await self.db.fetchall(
            "SELECT id, rule_id, opened_at, first_acked_at, first_acked_by, first_ack_level, "
            "resolved_at, resolved_by, resolved_level FROM escalations WHERE opened_at >= ? "
            "AND order_id IS NOT NULL ORDER BY id",
            (to_db(since),),
        )
        return [
            ResponseSample(
                escalation_id=row["id"],
                rule_id=row["rule_id"],
                opened_at=from_db_required(row["opened_at"]),
                first_acked_at=from_db(row["first_acked_at"]),
                first_acked_by=row["first_acked_by"],
                first_ack_level=row["first_ack_level"],
                resolved_at=from_db(row["resolved_at"]),
                resolved_by=row["resolved_by"],
                resolved_level=row["resolved_level"],
            )
            for row in rows
        ]


def _flag(row: sqlite3.Row) -> OrderFlag:
    return OrderFlag(
        id=row["id"],
        order_id=row["order_id"],
        flag=row["flag"],
        detail=row["detail"],
        raised_at=from_db_required(row["raised_at"]),
        cleared_at=from_db(row["cleared_at"]),
        cleared_by=row["cleared_by"],
    )
