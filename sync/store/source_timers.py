"""Timers of rules about sources (a stale tracking feed): one per (rule, source), with the
source health those rules read, and the escalations they raise.

A feed rule's instance that starts firing opens an escalation about the source (no order), in
the same transaction as the instance; the ladder takes it up like an order's. When the instance
stops firing its escalation closes with the reason the engine gives ("recovered")."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sync.domain import SubjectKind
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, from_db_required, to_db
from sync.store.escalations import Closing, Opening, close_escalations, open_escalations


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source as rules about feeds see it."""

    name: str
    kind: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    breaker: str = "closed"
    breaker_changed_at: datetime | None = None
    carriers: tuple[str, ...] = ()
    """The carriers a tracking feed follows, by its config (empty: any carrier)."""


@dataclass(frozen=True, slots=True)
class SourceTimer:
    """One condition rule's instance about one source (state pending, firing or resolved)."""

    rule_id: str
    source: str
    state: str
    since: datetime
    fired_at: datetime | None
    last_true_at: datetime | None
    next_at: datetime | None
    labels: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    reason: str = ""
    rules_version: str = ""
    escalation_id: int | None = None
    """The escalation it raised as it started firing (kept once resolved; None before)."""
    id: int = field(default=0, compare=False)
    """Its row (0 before it is stored): the subject of the escalations it raises. Not part of
    what the instance is, so a stored instance equals the one that was saved."""


@dataclass(frozen=True, slots=True)
class FeedMove:
    """An escalation about a source to open (its rule's instance started firing) or to close
    (the instance stopped: ``reason`` says why, in the shop's words)."""

    rule_id: str
    source: str
    opens: bool
    severity: str = ""
    summary: str = ""
    reason: str = ""


class SourceTimerStore(StoreBase):
    async def source_health(self) -> list[SourceHealth]:
        rows = await self.db.fetchall(
            "SELECT name, kind, last_attempt_at, last_success_at, last_error, last_error_at, "
            "breaker_state, breaker_changed_at, carriers FROM sources ORDER BY name"
        )
        return [
            SourceHealth(
                name=row["name"],
                kind=row["kind"],
                last_attempt_at=from_db(row["last_attempt_at"]),
                last_success_at=from_db(row["last_success_at"]),
                last_error=row["last_error"],
                last_error_at=from_db(row["last_error_at"]),
                breaker=row["breaker_state"],
                breaker_changed_at=from_db(row["breaker_changed_at"]),
                carriers=tuple(code for code in row["carriers"].split(",") if code),
            )
            for row in rows
        ]

    async def set_source_carriers(self, name: str, kind: str, carriers: Sequence[str]) -> None:
        """Record the carriers a tracking feed follows (as its config says; none: any)."""
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, carriers) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET carriers = excluded.carriers",
                (name, kind, ",".join(carriers)),
            )

    async def sources_stamp(self) -> str:
        """Changes whenever any source is asked, answers, fails or trips its breaker."""
        row = await self.db.fetchone(
            "SELECT count(*), max(last_attempt_at), max(last_success_at), max(last_error_at), "
            "max(breaker_changed_at) FROM sources"
        )
        return "" if row is None else "|".join(str(value) for value in row)

    async def set_source_breaker(self, name: str, kind: str, state: str, now: datetime) -> None:
        """Record a source's circuit breaker state (``closed``, ``open`` or ``half_open``)."""
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, breaker_state, breaker_changed_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "breaker_changed_at = CASE WHEN breaker_state = excluded.breaker_state "
                "THEN breaker_changed_at ELSE excluded.breaker_changed_at END, "
                "breaker_state = excluded.breaker_state",
                (name, kind, state, to_db(now)),
            )

    async def source_timers(self) -> list[SourceTimer]:
        rows = await self.db.fetchall("SELECT * FROM source_timers ORDER BY rule_id, source")
        return [_source_timer(row) for row in rows]

    async def save_source_timers(
        self,
        timers: Sequence[SourceTimer],
        moves: Sequence[FeedMove] = (),
        now: datetime | None = None,
    ) -> int:
        """Record feed rules' instances, and open or close their escalations (``moves``, at
        ``now``) in the same transaction; returns how many escalations opened or closed."""
        if not timers:
            return 0
        async with self.db.write() as tx:
            await tx.executemany(
                "INSERT INTO source_timers (rule_id, source, state, since, fired_at, "
                "last_true_at, next_at, labels, summary, reason, rules_version, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (rule_id, source) DO UPDATE SET state = excluded.state, "
                "since = excluded.since, fired_at = excluded.fired_at, "
                "last_true_at = excluded.last_true_at, next_at = excluded.next_at, "
                "labels = excluded.labels, summary = excluded.summary, "
                "reason = excluded.reason, rules_version = excluded.rules_version, "
                "change_seq = excluded.change_seq",
                [
                    (
                        t.rule_id,
                        t.source,
                        t.state,
                        to_db(t.since),
                        to_db(t.fired_at),
                        to_db(t.last_true_at),
                        to_db(t.next_at),
                        json.dumps(t.labels, sort_keys=True, ensure_ascii=False),
                        t.summary,
                        t.reason,
                        t.rules_version,
                        tx.seq,
                    )
                    for t in timers
                ],
            )
            if moves and now is not None:
                return await _move_escalations(tx, moves, now)
        return 0

    async def feed_escalations_changed(self, since: int) -> bool:
        """Whether an escalation about a source moved after change stamp ``since`` (the
        console learns of order escalations through their orders)."""
        found = await self.db.scalar(
            "SELECT EXISTS (SELECT 1 FROM escalations WHERE change_seq > ? AND source IS NOT NULL)",
            (since,),
        )
        return bool(found)


async def _move_escalations(tx: Transaction, moves: Sequence[FeedMove], now: datetime) -> int:
    rows = await tx.fetchall(
        "SELECT id, rule_id, source, escalation_id, fired_at, rules_version FROM source_timers"
    )
    by_key = {(row["rule_id"], row["source"]): row for row in rows}
    openings: list[Opening] = []
    closings: list[Closing] = []
    for move in moves:
        row = by_key.get((move.rule_id, move.source))
        if row is None:
            continue
        if move.opens:
            openings.append(
                Opening(
                    timer_id=row["id"],
                    rule_id=move.rule_id,
                    subject_kind=SubjectKind.SOURCE,
                    subject_id=row["id"],
                    order_id=None,
                    severity=move.severity,
                    summary=move.summary,
                    rules_version=row["rules_version"],
                    deadline_at=from_db(row["fired_at"]) or now,
                    source=move.source,
                )
            )
        elif row["escalation_id"] is not None:
            closings.append(Closing(row["escalation_id"], move.rule_id, None, move.reason))
    moved = await close_escalations(tx, closings, now)
    opened = await open_escalations(tx, openings, now)
    await tx.executemany(
        "UPDATE source_timers SET escalation_id = ? WHERE id = ?",
        [(escalation, timer) for timer, escalation in opened.items()],
    )
    return moved + len(opened)


def _source_timer(row: sqlite3.Row) -> SourceTimer:
    return SourceTimer(
        rule_id=row["rule_id"],
        source=row["source"],
        state=row["state"],
        since=from_db_required(row["since"]),
        fired_at=from_db(row["fired_at"]),
        last_true_at=from_db(row["last_true_at"]),
        next_at=from_db(row["next_at"]),
        labels=json.loads(row["labels"]),
        summary=row["summary"],
        reason=row["reason"],
        rules_version=row["rules_version"],
        escalation_id=row["escalation_id"],
        id=row["id"],
    )
