"""The outbox: notifications waiting to go out, their attempts, and the console's notices.

A row goes ``pending`` → ``sending`` (recorded before the send, with the attempt counted) →
``sent``, or back to ``pending`` for a retry, or ``failed`` after its last attempt. A row still
``sending`` when the daemon starts was interrupted between sending and recording: it goes out
again under the same idempotency key, which the receiver can use to drop the repeat. A failed
row leaves its error on the escalation (``delivery_error``) and on the order's timeline, so it is
seen in the console and in ``orderwatchd status``, not only in the log.

The console channel delivers into ``notices`` (its toasts and bell) in the same transaction that
marks the row sent, so a console notice appears exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db
from sync.store.events import append_event
from sync.store.ladder import Outgoing, queue_outgoing

EVERYONE = "*"
"""The agent of a console notice meant for every agent."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    escalation_id: int | None
    order_id: int | None
    channel: str
    key: str
    payload: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    level: int = 0
    severity: str = ""


@dataclass(frozen=True, slots=True)
class NewNotice:
    """A console notice to deliver with an outbox row."""

    agent: str
    title: str
    body: str = ""


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """A toast for an agent in the console (``agent`` ``*`` means every agent)."""

    id: int
    agent: str
    escalation_id: int | None
    order_id: int | None
    severity: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutboxReport:
    """What ``orderwatchd status`` shows: rows per state and the latest failures."""

    counts: dict[str, int]
    failures: list[OutboxRow]


class OutboxStore(StoreBase):
    async def due_outbox(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_outbox_row(row) for row in rows]

    async def next_outbox_at(self) -> datetime | None:
        return from_db(
            await self.db.scalar("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'")
        )

    async def claim_outbox(self, row_id: int, now: datetime) -> bool:
        """Mark a pending row as being sent (one attempt more); False if it is not pending."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE outbox SET state = 'sending', sending_since = ?, attempts = attempts + 1 "
                "WHERE id = ? AND state = 'pending'",
                (to_db(now), row_id),
            )
            return cursor.rowcount == 1

    async def outbox_sent(
        self, row_id: int, now: datetime, notices: Sequence[NewNotice] = ()
    ) -> None:
        async with self.db.write() as tx:
            row = await tx.fetchone(
                "SELECT escalation_id, order_id, severity FROM outbox WHERE id = ?", (row_id,)
            )
            if row is None:
                return
            await tx.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, sending_since = NULL, "
                "last_error = '' WHERE id = ?",
                (to_db(now), row_id),
            )
            await tx.executemany(
                "INSERT INTO notices (agent, outbox_id, escalation_id, order_id, severity, title, "
                "body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (outbox_id, agent) DO NOTHING",
                [
                    (
                        n.agent,
                        row_id,
                        row["escalation_id"],
                        row["order_id"],
                        row["severity"],
                        n.title,
                        n.body,
                        to_db(now),
                    )
                    for n in notices
                ],
            )

    async def outbox_retry(self, row_id: int, error: str, at: datetime) -> None:
        """The send failed; try again at ``at``."""
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET state = 'pending', sending_since = NULL, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                (error, to_db(at), row_id),
            )

    async def outbox_defer(self, row_id: int, until: datetime) -> None:
        """Hold a pending row until ``until`` (quiet hours) without counting an attempt."""
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'",
                (to_db(until), row_id),
            )

    async def outbox_failed(self, row_id: int, error: str, now: datetime) -> None:
        """The last attempt failed: give up, and show it on the escalation and its order."""
        async with self.db.write() as tx:
            row = await tx.fetchone(
                "SELECT escalation_id, order_id, channel, attempts FROM outbox WHERE id = ?",
                (row_id,),
            )
            if row is None:
                return
            await tx.execute(
                "UPDATE outbox SET state = 'failed', sending_since = NULL, last_error = ? "
                "WHERE id = ?",
                (error, row_id),
            )
            message = f"{row['channel']}: {error} (gave up after {row['attempts']} attempts)"
            if row["escalation_id"] is not None:
                await tx.execute(
                    "UPDATE escalations SET delivery_error = ?, change_seq = ? WHERE id = ?",
                    (message, tx.seq, row["escalation_id"]),
                )
            if row["order_id"] is not None:
                await tx.execute(
                    "UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, row["order_id"])
                )
                await append_event(
                    tx,
                    at=now,
                    actor="daemon",
                    order_id=row["order_id"],
                    subject_kind="escalation",
                    subject_id=row["escalation_id"],
                    kind="delivery_failed",
                    field=row["channel"],
                    detail=message,
                )

    async def recover_interrupted_sends(self, now: datetime) -> int:
        """Rows left ``sending`` by a daemon that stopped mid-send go out again now."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, sending_since = NULL "
                "WHERE state = 'sending'",
                (to_db(now),),
            )
            return cursor.rowcount

    async def overdue_outbox(self, before: datetime) -> list[OutboxRow]:
        """Pending rows that were due before ``before`` (found at start-up)."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at < ? ORDER BY id",
            (to_db(before),),
        )
        return [_outbox_row(row) for row in rows]

    async def coalesce_outbox(
        self, row_ids: Sequence[int], digests: Sequence[Outgoing], now: datetime
    ) -> None:
        """Let ``digests`` carry the rows ``row_ids`` (which stay, ``coalesced``, for the
        record)."""
        async with self.db.write() as tx:
            await tx.executemany(
                "UPDATE outbox SET state = 'coalesced' WHERE id = ? AND state = 'pending'",
                [(row_id,) for row_id in row_ids],
            )
            await queue_outgoing(tx, digests, now)

    async def outbox_rows(self, escalation_id: int | None = None) -> list[OutboxRow]:
        """Every outbox row (of one escalation when given), oldest first."""
        if escalation_id is None:
            rows = await self.db.fetchall("SELECT * FROM outbox ORDER BY id")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM outbox WHERE escalation_id = ? ORDER BY id", (escalation_id,)
            )
        return [_outbox_row(row) for row in rows]

    async def outbox_report(self, failures: int = 5) -> OutboxReport:
        counts = await self.db.fetchall("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        failed = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'failed' OR (state = 'pending' AND attempts > 0) "
            "ORDER BY id DESC LIMIT ?",
            (failures,),
        )
        return OutboxReport(
            counts={row["state"]: int(row["n"]) for row in counts},
            failures=[_outbox_row(row) for row in failed],
        )

    # ----- the console's notices -----

    async def agent_notices(
        self, agent: str, after_id: int = 0, limit: int = 50
    ) -> list[NoticeRow]:
        """The agent's notices (and those for everyone) after ``after_id``, newest last."""
        rows = await self.db.fetchall(
            "SELECT * FROM notices WHERE agent IN (?, ?) AND id > ? ORDER BY id DESC LIMIT ?",
            (agent, EVERYONE, after_id, limit),
        )
        return [_notice_row(row) for row in reversed(rows)]

    async def unread_notice_count(self, agent: str) -> int:
        """The number the console's bell shows."""
        return int(
            await self.db.scalar(
                "SELECT count(*) FROM notices WHERE agent IN (?, ?) AND read_at IS NULL",
                (agent, EVERYONE),
            )
        )

    async def mark_notices_read(self, agent: str, up_to_id: int, now: datetime) -> int:
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE notices SET read_at = ? WHERE agent IN (?, ?) AND id <= ? "
                "AND read_at IS NULL",
                (to_db(now), agent, EVERYONE, up_to_id),
            )
            return cursor.rowcount


def _outbox_row(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        escalation_id=row["escalation_id"],
        order_id=row["order_id"],
        channel=row["channel"],
        key=row["idempotency_key"],
        payload=row["payload"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=from_db_required(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=from_db_required(row["created_at"]),
        sent_at=from_db(row["sent_at"]),
        level=row["level"],
        severity=row["severity"],
    )


def _notice_row(row: sqlite3.Row) -> NoticeRow:
    return NoticeRow(
        id=row["id"],
        agent=row["agent"],
        escalation_id=row["escalation_id"],
        order_id=row["order_id"],
        severity=row["severity"],
        title=row["title"],
        body=row["body"],
        created_at=from_db_required(row["created_at"]),
        read_at=from_db(row["read_at"]),
    )
