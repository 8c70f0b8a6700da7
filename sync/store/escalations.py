"""Escalations: what the console shows agents, opened and closed by the rules engine's timers,
and agents' actions on them (compare-and-swap on the escalation's ``version``).

:func:`open_escalation` and :func:`close_escalation` run inside the engine's timer transaction
(:mod:`sync.store.timers`), so a timer and its escalation never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.domain import EscalationRow, EscalationState
from sync.errors import ActionError, ConflictError
from sync.store.base import StoreBase
from sync.store.db import Transaction, to_db
from sync.store.events import EVENT_INSERT, append_event, event_values
from sync.store.rows import ESCALATION_COLUMNS, escalation_row

_OPEN = (EscalationState.WARNING, EscalationState.FIRING, EscalationState.ACKNOWLEDGED)

FIRST_ACK = (
    "first_acked_by = CASE WHEN first_acked_at IS NULL THEN ? ELSE first_acked_by END, "
    "first_ack_level = CASE WHEN first_acked_at IS NULL THEN level ELSE first_ack_level END, "
    "first_acked_at = coalesce(first_acked_at, ?)"
)
"""Columns that record the first acknowledgement (the response figure); its parameters are the
agent and the time. SQLite reads every right-hand side from the row as it was, so the order of
these assignments does not matter."""


@dataclass(frozen=True, slots=True)
class Opening:
    """An escalation to open for a timer that started firing."""

    timer_id: int
    rule_id: str
    subject_kind: str
    subject_id: int
    order_id: int | None
    severity: str
    summary: str
    rules_version: str
    deadline_at: datetime
    source: str | None = None
    """The feed an escalation about no order is about (then ``order_id`` is None)."""


@dataclass(frozen=True, slots=True)
class Closing:
    """An escalation to resolve because its timer stopped (with the reason, in shop words)."""

    escalation_id: int
    rule_id: str
    order_id: int | None
    reason: str


async def open_escalations(
    tx: Transaction, openings: Sequence[Opening], now: datetime
) -> dict[int, int]:
    """Open a firing escalation for each timer, a few statements for the whole batch; returns
    the new escalation id by timer id."""
    if not openings:
        return {}
    opened = to_db(now)
    await tx.executemany(
        "INSERT INTO escalations (timer_id, rule_id, subject_kind, subject_id, order_id, "
        "severity, summary, state, rules_version, opened_at, deadline_at, change_seq, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                o.timer_id,
                o.rule_id,
                o.subject_kind,
                o.subject_id,
                o.order_id,
                o.severity,
                o.summary,
                EscalationState.FIRING,
                o.rules_version,
                opened,
                to_db(o.deadline_at),
                tx.seq,
                o.source,
            )
            for o in openings
        ],
    )
    rows = await tx.fetchall(
        "SELECT id, timer_id FROM escalations WHERE change_seq = ? AND state = ? "
        "AND timer_id IN (SELECT value FROM json_each(?))",
        (tx.seq, EscalationState.FIRING, json.dumps([o.timer_id for o in openings])),
    )
    ids = {int(row["timer_id"]): int(row["id"]) for row in rows}
    await _touch_orders(tx, [o.order_id for o in openings])
    await tx.executemany(
        EVENT_INSERT,
        [
            event_values(
                at=now,
                actor="daemon",
                order_id=o.order_id,
                subject_kind="escalation",
                subject_id=ids[o.timer_id],
                kind="escalation",
                field=o.rule_id,
                to_value=EscalationState.FIRING,
                detail=o.summary,
            )
            for o in openings
        ],
    )
    return ids


async def open_escalation(
    tx: Transaction,
    *,
    timer_id: int,
    rule_id: str,
    subject_kind: str,
    subject_id: int,
    order_id: int | None,
    severity: str,
    summary: str,
    rules_version: str,
    deadline_at: datetime,
    now: datetime,
) -> int:
    """Open a firing escalation for a timer; returns its id."""
    opening = Opening(
        timer_id,
        rule_id,
        subject_kind,
        subject_id,
        order_id,
        severity,
        summary,
        rules_version,
        deadline_at,
    )
    return (await open_escalations(tx, [opening], now))[timer_id]


async def close_escalations(tx: Transaction, closings: Sequence[Closing], now: datetime) -> int:
    """Resolve the escalations that are still open; returns how many were."""
    if not closings:
        return 0
    rows = await tx.fetchall(
        "SELECT id, state FROM escalations WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([c.escalation_id for c in closings]),),
    )
    states = {int(row["id"]): row["state"] for row in rows}
    open_ones = [
        c
        for c in closings
        if c.escalation_id in states and states[c.escalation_id] != EscalationState.RESOLVED
    ]
    await tx.executemany(
        "UPDATE escalations SET state = ?, resolved_at = ?, resolved_by = 'daemon', "
        "resolution = ?, resolved_level = level, next_step_at = NULL, "
        "version = version + 1, change_seq = ? WHERE id = ?",
        [
            (EscalationState.RESOLVED, to_db(now), c.reason, tx.seq, c.escalation_id)
            for c in open_ones
        ],
    )
    await _touch_orders(tx, [c.order_id for c in open_ones])
    await tx.executemany(
        EVENT_INSERT,
        [
            event_values(
                at=now,
                actor="daemon",
                order_id=c.order_id,
                subject_kind="escalation",
                subject_id=c.escalation_id,
                kind="escalation",
                field=c.rule_id,
                from_value=states[c.escalation_id],
                to_value=EscalationState.RESOLVED,
                detail=c.reason,
            )
            for c in open_ones
        ],
    )
    return len(open_ones)


async def close_escalation(
    tx: Transaction,
    escalation_id: int,
    *,
    rule_id: str,
    order_id: int | None,
    reason: str,
    now: datetime,
) -> int:
    """Resolve an open escalation with ``reason``; returns 1 if it was open, else 0."""
    return await close_escalations(tx, [Closing(escalation_id, rule_id, order_id, reason)], now)


async def _touch_orders(tx: Transaction, order_ids: Sequence[int | None]) -> None:
    """Move the orders' change stamps, so readers that follow orders see their escalations
    (an escalation about a source has no order to touch)."""
    found = sorted({order_id for order_id in order_ids if order_id is not None})
    if found:
        await tx.execute(
            "UPDATE orders SET change_seq = ? WHERE id IN (SELECT value FROM json_each(?))",
            (tx.seq, json.dumps(found)),
        )


class EscalationStore(StoreBase):
    # ----- reads -----

    async def open_escalations(self, limit: int = 5000) -> list[EscalationRow]:
        """Open escalations: firing first, then acknowledged, each by deadline."""
        rows = await self.db.fetchall(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e "
            "LEFT JOIN orders o ON o.id = e.order_id WHERE e.state IN (?, ?, ?) "
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
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e "
            "LEFT JOIN orders o ON o.id = e.order_id WHERE e.id = ?",
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
                f"{FIRST_ACK}, next_step_at = ?, version = version + 1, change_seq = ? "
                "WHERE id = ? AND version = ? AND state IN (?, ?)",
                (
                    EscalationState.ACKNOWLEDGED,
                    to_db(now),
                    agent,
                    agent,
                    agent,
                    to_db(now),
                    to_db(now),
                    tx.seq,
                    escalation_id,
                    version,
                    EscalationState.FIRING,
                    EscalationState.WARNING,
                ),
            )
            if cursor.rowcount != 1:
                await explain_conflict(tx, escalation_id, version)
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
            found = await tx.fetchone(
                f"SELECT {ESCALATION_COLUMNS} FROM escalations e "
                "LEFT JOIN orders o ON o.id = e.order_id WHERE e.id = ?",
                (escalation_id,),
            )
        assert found is not None
        return escalation_row(found)


async def explain_conflict(tx: Transaction, escalation_id: int, version: int) -> None:
    """Raise the error that says why an action on ``escalation_id`` read at ``version`` cannot
    be applied: it does not exist, or who changed it (and how) since it was read."""
    row = await tx.fetchone("SELECT state, version FROM escalations WHERE id = ?", (escalation_id,))
    if row is None:
        raise ActionError(f"escalation {escalation_id} does not exist")
    last = await tx.fetchone(
        "SELECT actor, kind, at FROM events WHERE subject_kind = 'escalation' "
        "AND subject_id = ? AND kind NOT IN ('note', 'delivery_failed') "
        "ORDER BY id DESC LIMIT 1",
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
