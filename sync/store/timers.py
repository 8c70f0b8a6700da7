"""Rule timers: one per (rule, order or parcel), plus one per (rule, source) for feed rules.

The engine decides; this module records. :meth:`TimerStore.save_timers` writes a batch of the
engine's decisions set-wise (one upsert for the batch), and opens or closes escalations only for
the few timers that start or stop firing. Reads hand back typed rows, and the look-ups the engine
runs on every tick (the next due time, the due orders) are index-only queries.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sync.domain import TimerRow, TimerState
from sync.store.db import Transaction, from_db, to_db
from sync.store.escalations import Closing, Opening, close_escalations, open_escalations
from sync.store.events import EVENT_INSERT, event_values
from sync.store.planning import (
    ORDERS_FLAGGED,
    PARCELS_FLAGGED,
    Candidates,
    add_flagged,
    running_timers,
)
from sync.store.rows import TIMER_COLUMNS, timer_row
from sync.store.rule_filters import Filter
from sync.store.source_timers import SourceHealth, SourceTimer, SourceTimerStore

__all__ = ["Candidates", "SourceHealth", "SourceTimer", "TimerDecision", "TimerStore"]

_UPSERT = (
    "INSERT INTO timers (rule_id, subject_kind, subject_id, order_id, started_at, deadline_at, "
    "warn_at, next_at, state, rules_version, timeout_seconds, clock, override, modifiers, "
    "paused_seconds, paused_since, muted_by, last_true_at, reason, change_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) "
    "ON CONFLICT (rule_id, subject_kind, subject_id) DO UPDATE SET "
    "started_at = excluded.started_at, deadline_at = excluded.deadline_at, "
    "warn_at = excluded.warn_at, next_at = excluded.next_at, state = excluded.state, "
    "rules_version = excluded.rules_version, timeout_seconds = excluded.timeout_seconds, "
    "clock = excluded.clock, override = excluded.override, modifiers = excluded.modifiers, "
    "paused_seconds = excluded.paused_seconds, paused_since = excluded.paused_since, "
    "muted_by = excluded.muted_by, last_true_at = excluded.last_true_at, reason = '', "
    "change_seq = excluded.change_seq"
)


_RUNNING_SUBJECTS = "SELECT rule_id, subject_id, order_id FROM timers WHERE state != 'resolved'"


@dataclass(frozen=True, slots=True)
class TimerDecision:
    """What the engine decided for one (rule, subject) at ``now``.

    ``state`` RESOLVED closes the timer and its escalation with ``reason``; FIRING opens an
    escalation when none is open and the timer is not muted; the other states only (re)plan it.
    ``announce`` records a ``warning`` event on the order's timeline as the timer starts warning;
    ``restarted`` says its clock started again (a new courier scan), which ends the previous run
    and closes that run's escalation.
    ``paused_seconds`` is time spent paused on the rule's clock, ``paused_since`` the start of
    the pause in progress.
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
    timeout_seconds: int = 0
    clock: str = "wall"
    override: str = ""
    modifiers: str = ""
    paused_seconds: int = 0
    paused_since: datetime | None = None
    muted_by: str = ""
    last_true_at: datetime | None = None
    announce: bool = False
    restarted: bool = False


def _timer_values(d: TimerDecision, seq: int) -> tuple[object, ...]:
    return (
        d.rule_id,
        d.subject_kind,
        d.subject_id,
        d.order_id,
        to_db(d.started_at),
        to_db(d.deadline_at),
        to_db(d.warn_at),
        to_db(d.next_at),
        str(d.state),
        d.rules_version,
        d.timeout_seconds,
        d.clock,
        d.override,
        d.modifiers,
        d.paused_seconds,
        to_db(d.paused_since),
        d.muted_by,
        to_db(d.last_true_at),
        seq,
    )


class TimerStore(SourceTimerStore):
    async def timers_for_orders(
        self, order_ids: Sequence[int], rule_ids: Collection[str] | None = None
    ) -> list[TimerRow]:
        """The timers of these orders and their parcels (of ``rule_ids`` only, when given)."""
        sql = (
            f"SELECT {TIMER_COLUMNS} FROM timers WHERE order_id IN (SELECT value FROM json_each(?))"
        )
        params = [json.dumps(list(order_ids))]
        if rule_ids is not None:
            sql += " AND rule_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(sorted(rule_ids)))
        rows = await self.db.fetchall(sql, params)
        return [timer_row(row) for row in rows]

    async def timers_in_states(
        self, rule_ids: Sequence[str], states: Sequence[str]
    ) -> list[TimerRow]:
        """The timers of these rules that are in one of ``states`` (the instances muting)."""
        rows = await self.db.fetchall(
            f"SELECT {TIMER_COLUMNS} FROM timers WHERE rule_id IN (SELECT value FROM json_each(?)) "
            "AND state IN (SELECT value FROM json_each(?))",
            (json.dumps(list(rule_ids)), json.dumps(list(states))),
        )
        return [timer_row(row) for row in rows]

    async def due_order_ids(self, now: datetime, limit: int = 5000) -> list[int]:
        return await self.db.column(
            "SELECT DISTINCT order_id FROM timers WHERE next_at IS NOT NULL AND next_at <= ? "
            "LIMIT ?",
            (to_db(now), limit),
        )

    async def candidate_subjects(
        self,
        orders: Mapping[str, Filter | None],
        parcels: Mapping[str, Filter | None],
        running: Collection[str] | None = None,
        between: tuple[int, int] | None = None,
    ) -> Candidates:
        """The subjects a full re-plan must visit, per rule: the orders (for order rules) and
        parcels (for shipment rules) each rule's condition may match (None: every one), and
        every subject with a timer still running (of the ``running`` rules only, when given).
        One pass over each table, or over the orders with ids ``between`` two (inclusive) and
        their parcels and timers: a big re-plan goes through the mirror one such span at a
        time (:meth:`~sync.store.planning.PlanningStore.span_rows`)."""
        found = Candidates()
        await add_flagged(self.db, found, orders, ORDERS_FLAGGED, "o.id", between)
        await add_flagged(self.db, found, parcels, PARCELS_FLAGGED, "s.order_id", between)
        found.running(await self.db.tuples(*running_timers(_RUNNING_SUBJECTS, running, between)))
        return found

    async def order_span(self) -> tuple[int, int] | None:
        """The lowest and highest order id (None without orders): what a full re-plan goes
        through (a timer always belongs to an order of the mirror)."""
        ((low, high),) = await self.db.tuples("SELECT min(id), max(id) FROM orders")
        return None if low is None else (int(low), int(high))

    async def timer_order_ids(self, rule_ids: Sequence[str]) -> list[int]:
        """Orders with a running timer of any of ``rule_ids``."""
        ids = await self.db.column(
            "SELECT DISTINCT order_id FROM timers WHERE state != 'resolved' "
            "AND rule_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(rule_ids)),),
        )
        return sorted(int(value) for value in ids)

    async def next_timer_at(self) -> datetime | None:
        """The earliest next action of any timer (order, parcel or source)."""
        first = await self.db.scalar("SELECT min(next_at) FROM timers WHERE next_at IS NOT NULL")
        feed = await self.db.scalar(
            "SELECT min(next_at) FROM source_timers WHERE next_at IS NOT NULL"
        )
        times = [from_db(value) for value in (first, feed) if value is not None]
        return min((t for t in times if t is not None), default=None)

    async def save_timers(self, decisions: Sequence[TimerDecision], now: datetime) -> int:
        """Record the engine's decisions; returns how many escalations opened or closed.

        Set-wise: one upsert for the live timers, one update for the resolved ones, and the
        escalations that open or close go in a few statements for the whole batch.
        """
        return (await self.save_decisions(decisions, now)).moved

    async def save_decisions(self, decisions: Sequence[TimerDecision], now: datetime) -> Saved:
        """:meth:`save_timers`, also telling the change stamp the decisions were written with
        (the orders whose escalations opened or closed carry it)."""
        if not decisions:
            return Saved(0, None)
        async with self.db.write() as tx:
            # An order can vanish between the engine's read and this write (a restore into the
            # running daemon): its decisions are dropped, the next pass sees the new mirror.
            found = await tx.fetchall(
                "SELECT id FROM orders WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted({d.order_id for d in decisions})),),
            )
            present = {int(row["id"]) for row in found}
            decisions = [d for d in decisions if d.order_id in present]
            live = [d for d in decisions if d.state != TimerState.RESOLVED]
            done = [d for d in decisions if d.state == TimerState.RESOLVED]
            await tx.executemany(_UPSERT, [_timer_values(d, tx.seq) for d in live])
            watched = [d for d in decisions if _ends_run(d) or _loud(d)]
            rows = await _timer_rows(tx, watched)
            closings = [
                Closing(row[1], d.rule_id, d.order_id, d.reason or "clock restarted")
                for d in watched
                if (row := rows.get(_key(d))) is not None and row[1] is not None and _ends_run(d)
            ]
            await tx.executemany(
                "UPDATE timers SET state = ?, next_at = NULL, paused_since = NULL, reason = ?, "
                "rules_version = ?, escalation_id = NULL, change_seq = ? "
                "WHERE rule_id = ? AND subject_kind = ? AND subject_id = ?",
                [(TimerState.RESOLVED, d.reason, d.rules_version, tx.seq, *_key(d)) for d in done],
            )
            moved = await close_escalations(tx, closings, now)
            openings = [
                _opening(row[0], d)
                for d in watched
                if _loud(d)
                and (row := rows.get(_key(d))) is not None
                and (row[1] is None or d.restarted)
            ]
            opened = await open_escalations(tx, openings, now)
            await tx.executemany(
                "UPDATE timers SET escalation_id = ? WHERE id = ?",
                [(escalation, timer) for timer, escalation in opened.items()],
            )
            await tx.executemany(EVENT_INSERT, [_warning(d, now) for d in live if d.announce])
        return Saved(moved + len(opened), tx.seq)


class Saved(NamedTuple):
    """What a save of decisions did: escalations opened or closed, and its change stamp
    (None when there was nothing to write)."""

    moved: int
    seq: int | None


TimerKey = tuple[str, str, int]


def _key(d: TimerDecision) -> TimerKey:
    return (d.rule_id, d.subject_kind, d.subject_id)


def _ends_run(d: TimerDecision) -> bool:
    """The timer stopped, or its clock started again: an open escalation closes."""
    return d.state == TimerState.RESOLVED or d.restarted


def _loud(d: TimerDecision) -> bool:
    """A firing timer nothing mutes: it needs an open escalation."""
    return d.state == TimerState.FIRING and not d.muted_by


async def _timer_rows(
    tx: Transaction, decisions: Sequence[TimerDecision]
) -> dict[TimerKey, tuple[int, int | None]]:
    """(timer id, open escalation id) of the decisions' timers, in one query."""
    if not decisions:
        return {}
    rows = await tx.fetchall(
        # A join, not a row-value IN: SQLite would use only two columns of the index for that.
        "SELECT t.id, t.escalation_id, t.rule_id, t.subject_kind, t.subject_id "
        "FROM json_each(?) j CROSS JOIN timers t ON t.rule_id = j.value ->> 0 "
        "AND t.subject_kind = j.value ->> 1 AND t.subject_id = j.value ->> 2",
        (json.dumps([list(_key(d)) for d in decisions]),),
    )
    return {
        (row["rule_id"], row["subject_kind"], int(row["subject_id"])): (
            int(row["id"]),
            row["escalation_id"],
        )
        for row in rows
    }


def _opening(timer_id: int, d: TimerDecision) -> Opening:
    return Opening(
        timer_id=timer_id,
        rule_id=d.rule_id,
        subject_kind=d.subject_kind,
        subject_id=d.subject_id,
        order_id=d.order_id,
        severity=d.severity,
        summary=d.summary,
        rules_version=d.rules_version,
        deadline_at=d.deadline_at,
    )


def _warning(d: TimerDecision, now: datetime) -> tuple[object, ...]:
    return event_values(
        at=now,
        actor="daemon",
        order_id=d.order_id,
        subject_kind=d.subject_kind,
        subject_id=d.subject_id,
        kind="warning",
        field=d.rule_id,
        to_value=str(TimerState.WARNING),
        detail=d.summary,
    )
