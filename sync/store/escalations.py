"""Timers (one per rule and subject) and the escalations they raise, plus agents' actions on them.

The engine decides; this module records. :meth:`EscalationStore.save_timers` takes the engine's
decisions for a batch of subjects and writes timers, escalations and their timeline events in one
transaction. Agent actions are compare-and-swap on the escalation's ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.domain import EscalationRow, EscalationState, TimerRow, TimerState
from sync.errors import ConflictError, StoreError
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, to_db
from sync.store.events import append_event
from sync.store.rows import ESCALATION_COLUMNS, escalation_row, timer_row

_OPEN = (EscalationState.WARNING, EscalationState.FIRING, EscalationState.ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class TimerDecision:
    """What the engine decided for one (rule, subject) at ``now``.

    ``state`` RESOLVED closes the timer and its escalation with ``reason``; FIRING opens an
    escalation when none is open; PENDING and WARNING only (re)plan the timer.
    """

    rule_id: str
    subject_kind: str
    subject_id: int
    order_id: int
    state: TimerState
    started_at: datetime
    deadline_at: datetime
    warn_at: datetime | None
    next_at: datetime | None
    rules_version: str
    severity: str = "warning"
    summary: str = ""
    reason: str = ""


class EscalationStore(StoreBase):
    async def timers_for_orders(self, order_ids: Sequence[int]) -> list[TimerRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM timers WHERE order_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(order_ids)),),
        )
        return [timer_row(row) for row in rows]

    async def due_order_ids(self, now: datetime, limit: int = 5000) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT order_id FROM timers WHERE next_at IS NOT NULL AND next_at <= ? "
            "LIMIT ?",
            (to_db(now), limit),
        )
        return [int(row["order_id"]) for row in rows]

    async def active_order_ids(self) -> list[int]:
        """Orders a full re-plan must visit: open ones, and any with a timer still running."""
        rows = await self.db.fetchall(
            "SELECT id FROM orders WHERE lifecycle = 'open' UNION "
            "SELECT order_id FROM timers WHERE state != 'resolved'"
        )
        return sorted(int(row[0]) for row in rows)

    async def next_timer_at(self) -> datetime | None:
        return from_db(await self.db.scalar("SELECT min(next_at) FROM timers"))

    async def save_timers(self, decisions: Sequence[TimerDecision], now: datetime) -> int:
        """Record the engine's decisions; returns how many escalations opened or closed."""
        moved = 0
        async with self.db.write() as tx:
            for decision in decisions:
                moved += await self._save_timer(tx, decision, now)
        return moved

    async def _save_timer(self, tx: Transaction, d: TimerDecision, now: datetime) -> int:
        row = await tx.fetchone(
            "SELECT id, state, escalation_id FROM timers "
            "WHERE rule_id = ? AND subject_kind = ? AND subject_id = ?",
            (d.rule_id, d.subject_kind, d.subject_id),
        )
        if row is None and d.state == TimerState.RESOLVED:
            return 0
        escalation_id = row["escalation_id"] if row else None
        values = (
            to_db(d.started_at),
            to_db(d.deadline_at),
            to_db(d.warn_at),
            to_db(d.next_at),
            str(d.state),
            d.rules_version,
        )
        if row is None:
            cursor = await tx.execute(
                "INSERT INTO timers (rule_id, subject_kind, subject_id, order_id, started_at, "
                "deadline_at, warn_at, next_at, state, rules_version, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (d.rule_id, d.subject_kind, d.subject_id, d.order_id, *values, tx.seq),
            )
            timer_id = cursor.lastrowid
            assert timer_id is not None
        else:
            timer_id = row["id"]
            await tx.execute(
                "UPDATE timers SET started_at = ?, deadline_at = ?, warn_at = ?, next_at = ?, "
                "state = ?, rules_version = ?, change_seq = ? WHERE id = ?",
                (*values, tx.seq, timer_id),
            )
        if d.state == TimerState.RESOLVED:
            await tx.execute("UPDATE timers SET escalation_id = NULL WHERE id = ?", (timer_id,))
            return await self._close(tx, escalation_id, d, now)
        if d.state == TimerState.FIRING and escalation_id is None:
            await self._open(tx, timer_id, d, now)
            return 1
        return 0

    async def _open(self, tx: Transaction, timer_id: int, d: TimerDecision, now: datetime) -> None:
        cursor = await tx.execute(
            "INSERT INTO escalations (timer_id, rule_id, subject_kind, subject_id, order_id, "
            "severity, summary, state, rules_version, opened_at, deadline_at, change_seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                timer_id,
                d.rule_id,
                d.subject_kind,
                d.subject_id,
                d.order_id,
                d.severity,
                d.summary,
                EscalationState.FIRING,
                d.rules_version,
                to_db(now),
                to_db(d.deadline_at),
                tx.seq,
            ),
        )
        await tx.execute(
            "UPDATE timers SET escalation_id = ? WHERE id = ?", (cursor.lastrowid, timer_id)
        )
        await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, d.order_id))
        await append_event(
            tx,
            at=now,
            actor="daemon",
            order_id=d.order_id,
            subject_kind="escalation",
            subject_id=cursor.lastrowid,
            kind="escalation",
            field=d.rule_id,
            to_value=EscalationState.FIRING,
            detail=d.summary,
        )

    async def _close(
        self, tx: Transaction, escalation_id: int | None, d: TimerDecision, now: datetime
    ) -> int:
        if escalation_id is None:
            return 0
        row = await tx.fetchone("SELECT state FROM escalations WHERE id = ?", (escalation_id,))
        if row is None or row["state"] == EscalationState.RESOLVED:
            return 0
        await tx.execute(
            "UPDATE escalations SET state = ?, resolved_at = ?, resolved_by = 'daemon', "
            "resolution = ?, version = version + 1, change_seq = ? WHERE id = ?",
            (EscalationState.RESOLVED, to_db(now), d.reason, tx.seq, escalation_id),
        )
        await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, d.order_id))
        await append_event(
            tx,
            at=now,
            actor="daemon",
            order_id=d.order_id,
            subject_kind="escalation",
            subject_id=escalation_id,
            kind="escalation",
            field=d.rule_id,
            from_value=row["state"],
            to_value=EscalationState.RESOLVED,
            detail=d.reason,
        )
        return 1

    # ----- reads -----

    async def open_escalations(self, limit: int = 5000) -> list[EscalationRow]:
        """Open escalations: firing first, then acknowledged, each by deadline."""
        rows = await self.db.fetchall(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e JOIN orders o ON o.id = e.order_id "
            "WHERE e.state IN (?, ?, ?) "
            "ORDER BY CASE e.state WHEN 'firing' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, "
            "e.deadline_at, e.id LIMIT ?",
            (*_OPEN, limit),
        )
        return [escalation_row(row) for row in rows]

    async def escalations_for_order(self, order_id: int) -> list[EscalationRow]:
        rows = await self.db.fetchall(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e JOIN orders o ON o.id = e.order_id "
            "WHERE e.order_id = ? ORDER BY e.opened_at, e.id",
            (order_id,),
        )
        return [escalation_row(row) for row in rows]

    async def escalation(self, escalation_id: int) -> EscalationRow | None:
        row = await self.db.fetchone(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e JOIN orders o ON o.id = e.order_id "
            "WHERE e.id = ?",
            (escalation_id,),
        )
        return None if row is None else escalation_row(row)

    async def escalation_counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, count(*) AS n FROM escalations GROUP BY state")
        return {row["state"]: int(row["n"]) for row in rows}

    # ----- agent actions -----

    async def acknowledge(
        self, escalation_id: int, version: int, agent: str, now: datetime
    ) -> EscalationRow:
        """Acknowledge as ``agent`` if nobody changed the escalation since ``version`` was read.

        Raises :class:`ConflictError` naming who changed it otherwise.
        """
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE escalations SET state = ?, acked_at = ?, acked_by = ?, "
                "assignee = CASE assignee WHEN '' THEN ? ELSE assignee END, "
                "version = version + 1, change_seq = ? "
                "WHERE id = ? AND version = ? AND state IN (?, ?)",
                (
                    EscalationState.ACKNOWLEDGED,
                    to_db(now),
                    agent,
                    agent,
                    tx.seq,
                    escalation_id,
                    version,
                    EscalationState.FIRING,
                    EscalationState.WARNING,
                ),
            )
            if cursor.rowcount != 1:
                await self._explain_conflict(tx, escalation_id, version)
            row = await tx.fetchone(
                "SELECT order_id, rule_id, summary FROM escalations WHERE id = ?",
                (escalation_id,),
            )
            assert row is not None
            await tx.execute(
                "UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, row["order_id"])
            )
            await append_event(
                tx,
                at=now,
                actor=agent,
                order_id=row["order_id"],
                subject_kind="escalation",
                subject_id=escalation_id,
                kind="acknowledged",
                field=row["rule_id"],
                from_value=EscalationState.FIRING,
                to_value=EscalationState.ACKNOWLEDGED,
            )
        found = await self.escalation(escalation_id)
        assert found is not None
        return found

    async def _explain_conflict(self, tx: Transaction, escalation_id: int, version: int) -> None:
        row = await tx.fetchone(
            "SELECT state, version FROM escalations WHERE id = ?", (escalation_id,)
        )
        if row is None:
            raise StoreError(f"escalation {escalation_id} does not exist")
        last = await tx.fetchone(
            "SELECT actor, kind, at FROM events WHERE subject_kind = 'escalation' "
            "AND subject_id = ? ORDER BY id DESC LIMIT 1",
            (escalation_id,),
        )
        who = last["actor"] if last else "someone"
        what = last["kind"] if last else row["state"]
        if row["version"] == version:
            raise ConflictError(
                f"escalation {escalation_id} is already {row['state']}",
                changed_by=who,
                change=what,
            )
        raise ConflictError(
            f"escalation {escalation_id} was changed by {who} ({what}) first",
            changed_by=who,
            change=what,
        )
