"""Timers of rules about sources (a stale tracking feed): one per (rule, source), with the
source health those rules read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db
from sync.store.ladder import Outgoing, queue_outgoing


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
        sends: Sequence[Outgoing] = (),
        now: datetime | None = None,
    ) -> None:
        """Record feed rules' instances, and queue what they tell people (``sends``, queued
        at ``now``) in the same transaction."""
        if not timers:
            return
        async with self.db.write() as tx:
            if sends and now is not None:
                await queue_outgoing(tx, sends, now)
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
    )
