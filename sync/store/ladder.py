"""The daemon's side of escalation ladders: which escalations to look at, and saving each step.

The ladder (``daemon/ladder``) decides; this module records. A step is written only if the
escalation is still at the version the step was decided on, the same compare-and-swap agents'
actions use, so an acknowledgement that lands while the ladder is deciding always wins and the
ladder simply looks again. A step that agents can see (a new level, a reassignment, an expired
acknowledgement) moves the version; bookkeeping (when to look next) does not, so it never makes
an agent's action fail. The step's timeline lines and its outbox rows go in the same
transaction; an outbox row's idempotency key is unique, so a step decided twice queues once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.domain import EscalationRow
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, to_db
from sync.store.events import append_event
from sync.store.rows import ESCALATION_COLUMNS, escalation_row

_LADDER_COLUMNS = (
    f"{ESCALATION_COLUMNS}, e.policy_snapshot, e.rules_version, "
    "coalesce(t.override, '') AS override"
)
_FROM = (
    "FROM escalations e LEFT JOIN orders o ON o.id = e.order_id "
    # a feed escalation's timer_id is its source_timers row: it has no order timer to join
    "LEFT JOIN timers t ON t.id = e.timer_id AND e.source IS NULL"
)


@dataclass(frozen=True, slots=True)
class LadderRow:
    """An escalation as the ladder reads it: the row, its frozen policy (JSON, '' when it has
    none yet) and the override of the rule that raised it (which may name another policy)."""

    escalation: EscalationRow
    snapshot: str
    override: str = ""
    new: bool = False
    """Not taken up by the ladder yet (the rules engine just opened it)."""


@dataclass(frozen=True, slots=True)
class LadderEvent:
    """A line for the order's timeline, written as the daemon."""

    kind: str
    before: str = ""
    after: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notification to queue: one channel, one idempotency key."""

    channel: str
    key: str
    payload: str
    due_at: datetime
    escalation_id: int | None = None
    order_id: int | None = None
    level: int = 0
    severity: str = ""
    state: str = "pending"
    """``pending`` to send, ``coalesced`` when a digest carries it instead."""


@dataclass(frozen=True, slots=True)
class LadderStep:
    """Where an escalation's ladder stands after a step, decided on ``version``."""

    escalation_id: int
    version: int
    order_id: int | None
    """None for an escalation about a source."""
    rule_id: str
    state: str
    level: int
    ladder_round: int
    repeat_no: int
    level_started_at: datetime | None
    next_step_at: datetime | None
    assignee: str
    acked_at: datetime | None
    acked_by: str
    snoozed_until: datetime | None
    policy: str
    policy_version: str
    policy_snapshot: str
    visible: bool
    """Agents can see the change (the version moves); False for bookkeeping only."""
    events: tuple[LadderEvent, ...] = ()
    sends: tuple[Outgoing, ...] = ()


_STEP = (
    "UPDATE escalations SET state = ?, level = ?, ladder_round = ?, repeat_no = ?, "
    "level_started_at = ?, next_step_at = ?, assignee = ?, acked_at = ?, acked_by = ?, "
    "snoozed_until = ?, policy = ?, policy_version = ?, policy_snapshot = ?, "
    "version = version + ?, change_seq = CASE WHEN ? THEN ? ELSE change_seq END "
    "WHERE id = ? AND version = ?"
)

_OUTBOX = (
    "INSERT INTO outbox (escalation_id, order_id, channel, idempotency_key, payload, state, "
    "next_attempt_at, created_at, level, severity, last_error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '') ON CONFLICT (idempotency_key) DO NOTHING"
)


class LadderStore(StoreBase):
    async def escalations_to_adopt(self, limit: int = 500) -> list[LadderRow]:
        """Escalations the ladder has not taken up yet (just opened by the rules engine)."""
        rows = await self.db.fetchall(
            f"SELECT {_LADDER_COLUMNS} {_FROM} WHERE e.policy IS NULL ORDER BY e.id LIMIT ?",
            (limit,),
        )
        return [_ladder_row(row) for row in rows]

    async def due_ladder_steps(self, now: datetime, limit: int = 500) -> list[LadderRow]:
        rows = await self.db.fetchall(
            f"SELECT {_LADDER_COLUMNS} {_FROM} WHERE e.next_step_at IS NOT NULL "
            "AND e.next_step_at <= ? ORDER BY e.next_step_at, e.id LIMIT ?",
            (to_db(now), limit),
        )
        return [_ladder_row(row) for row in rows]

    async def next_ladder_step_at(self) -> datetime | None:
        return from_db(
            await self.db.scalar(
                "SELECT min(next_step_at) FROM escalations WHERE next_step_at IS NOT NULL"
            )
        )

    async def save_ladder(
        self, steps: Sequence[LadderStep], now: datetime, extra: Sequence[Outgoing] = ()
    ) -> list[int]:
        """Write the steps whose escalation did not move meanwhile, with their timeline lines
        and notifications, and the ``extra`` notifications (digests); returns the ids of the
        escalations whose step was written."""
        saved: list[int] = []
        async with self.db.write() as tx:
            for step in steps:
                if await _save_step(tx, step, now):
                    saved.append(step.escalation_id)
            await queue_outgoing(tx, extra, now)
        return saved


async def _save_step(tx: Transaction, step: LadderStep, now: datetime) -> bool:
    visible = 1 if step.visible else 0
    cursor = await tx.execute(
        _STEP,
        (
            step.state,
            step.level,
            step.ladder_round,
            step.repeat_no,
            to_db(step.level_started_at),
            to_db(step.next_step_at),
            step.assignee,
            to_db(step.acked_at),
            step.acked_by,
            to_db(step.snoozed_until),
            step.policy,
            step.policy_version,
            step.policy_snapshot,
            visible,
            visible,
            tx.seq,
            step.escalation_id,
            step.version,
        ),
    )
    if cursor.rowcount != 1:
        return False  # an agent (or another pass) changed it: look again next time
    if step.visible and step.order_id is not None:
        await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, step.order_id))
    for event in step.events:
        await append_event(
            tx,
            at=now,
            actor="daemon",
            order_id=step.order_id,
            subject_kind="escalation",
            subject_id=step.escalation_id,
            kind=event.kind,
            field=step.rule_id,
            from_value=event.before,
            to_value=event.after,
            detail=event.detail,
        )
    await queue_outgoing(tx, step.sends, now)
    return True


async def queue_outgoing(tx: Transaction, sends: Sequence[Outgoing], now: datetime) -> None:
    """Queue ``sends`` (a key already queued is left as it is)."""
    if not sends:
        return
    await tx.executemany(
        _OUTBOX,
        [
            (
                send.escalation_id,
                send.order_id,
                send.channel,
                send.key,
                send.payload,
                send.state,
                to_db(send.due_at),
                to_db(now),
                send.level,
                send.severity,
            )
            for send in sends
        ],
    )


def _ladder_row(row: sqlite3.Row) -> LadderRow:
    return LadderRow(
        escalation=escalation_row(row),
        snapshot=row["policy_snapshot"],
        override=row["override"],
        new=row["policy"] is None,
    )
