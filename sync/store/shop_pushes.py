"""Tracking numbers pushed back to the shop platform, through the outbox.

An agent's push is an outbox row on the channel ``shop:<source>`` keyed by (order, tracking
number), so asking twice queues once; a push that gave up can be asked for again, and starts a
fresh round of attempts. Every step lands on the order's timeline in the same transaction as the
outbox row it describes: the agent's request (``push_tracking``), each failed attempt with the
platform's words and the next try (``push_attempt``), and the end (``push_done`` or
``push_failed``). The order's ``change_seq`` moves with each, so the console shows them at once.

Which tracking numbers the platform lacks: the order's parcels while the order is open and the
platform still shows it unshipped, and parcels that another source (a warehouse export) put on
the order. Numbers already pushed, or on their way, are left out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sync.errors import ActionError
from sync.pushes import TrackingPush, push_channel, push_key
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, from_db_required, to_db
from sync.store.events import append_event

UNSHIPPED = ("unfulfilled", "in_progress", "on_hold", "scheduled", "partially_fulfilled")
GONE = ("cancelled", "deleted")


class Queued(StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    ALREADY_PUSHED = "already_pushed"
    REQUEUED = "requeued"
    """It had given up before; a fresh round of attempts starts."""


@dataclass(frozen=True, slots=True)
class QueuedPush:
    outbox_id: int
    outcome: Queued
    push: TrackingPush


@dataclass(frozen=True, slots=True)
class Pushable:
    """A tracking number the mirror knows and the platform does not show."""

    tracking_number: str
    company: str
    url: str
    shipped_at: datetime | None


@dataclass(frozen=True, slots=True)
class PushRow:
    """One push as the outbox holds it."""

    outbox_id: int
    push: TrackingPush
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None


class ShopPushStore(StoreBase):
    async def pushable_tracking(self, order_id: int) -> list[Pushable]:
        """The order's tracking numbers the platform lacks (see the module docstring)."""
        rows = await self.db.fetchall(
            "SELECT s.tracking_number, s.carrier, s.carrier_raw, s.tracking_url, s.shipped_at "
            "FROM shipments s JOIN orders o ON o.id = s.order_id "
            "WHERE s.order_id = ? AND s.tracking_number != '' "
            f"AND o.lifecycle NOT IN {GONE!r} "
            f"AND (o.fulfillment_status IN {UNSHIPPED!r} OR s.source != o.source) "
            "ORDER BY s.id",
            (order_id,),
        )
        asked = {p.push.tracking_number for p in await self.tracking_pushes(order_id)
                 if p.state != "failed"}  # fmt: skip
        found: dict[str, Pushable] = {}
        for row in rows:
            if row["tracking_number"] in asked:
                continue
            found.setdefault(
                row["tracking_number"],
                Pushable(
                    tracking_number=row["tracking_number"],
                    company=row["carrier_raw"] or row["carrier"],
                    url=row["tracking_url"],
                    shipped_at=from_db(row["shipped_at"]),
                ),
            )
        return list(found.values())

    async def queue_tracking_push(
        self,
        order_id: int,
        tracking_number: str,
        agent: str,
        now: datetime,
        *,
        writable: Container[str],
        company: str = "",
    ) -> QueuedPush:
        """Ask for ``tracking_number`` to be pushed to the order's platform, as ``agent``.

        ``writable`` holds the source kinds that take writes. Raises :class:`ActionError` when
        the order cannot take it (gone, cancelled, a source that cannot be written to).
        """
        number = tracking_number.strip()
        if not number:
            raise ActionError("a tracking number is needed")
        async with self.db.write() as tx:
            push = await _push_for(tx, order_id, number, agent, writable, company)
            key = push_key(order_id, number)
            found = await tx.fetchone(
                "SELECT id, state FROM outbox WHERE idempotency_key = ?", (key,)
            )
            if found is not None and found["state"] != "failed":
                done = found["state"] == "sent"
                outcome = Queued.ALREADY_PUSHED if done else Queued.ALREADY_QUEUED
                return QueuedPush(found["id"], outcome, push)
            if found is not None:
                await tx.execute(
                    "UPDATE outbox SET state = 'pending', attempts = 0, last_error = '', "
                    "payload = ?, next_attempt_at = ?, sending_since = NULL WHERE id = ?",
                    (push.to_json(), to_db(now), found["id"]),
                )
                outbox_id, outcome = int(found["id"]), Queued.REQUEUED
            else:
                cursor = await tx.execute(
                    "INSERT INTO outbox (escalation_id, order_id, channel, idempotency_key, "
                    "payload, state, next_attempt_at, created_at, last_error) "
                    "VALUES (NULL, ?, ?, ?, ?, 'pending', ?, ?, '')",
                    (
                        order_id,
                        push_channel(push.source),
                        key,
                        push.to_json(),
                        to_db(now),
                        to_db(now),
                    ),
                )
                assert cursor.lastrowid is not None
                outbox_id, outcome = cursor.lastrowid, Queued.QUEUED
            what = "asked again after giving up" if outcome is Queued.REQUEUED else "queued"
            await _note(tx, now, agent, push, "push_tracking", what, outbox_id)
            return QueuedPush(outbox_id, outcome, push)

    async def push_attempt_failed(
        self, outbox_id: int, error: str, attempt: int, attempts: int, retry_at: datetime,
        now: datetime,
    ) -> None:  # fmt: skip
        """Attempt ``attempt`` of ``attempts`` failed; the next one is at ``retry_at``."""
        async with self.db.write() as tx:
            push = await _claimed(tx, outbox_id)
            await tx.execute(
                "UPDATE outbox SET state = 'pending', sending_since = NULL, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                (error, to_db(retry_at), outbox_id),
            )
            next_try = retry_at.strftime("%H:%M UTC")
            detail = f"attempt {attempt} of {attempts} failed: {error}; next try at {next_try}"
            await _note(tx, now, "daemon", push, "push_attempt", detail, outbox_id)

    async def push_delivered(self, outbox_id: int, detail: str, now: datetime) -> None:
        async with self.db.write() as tx:
            push = await _claimed(tx, outbox_id)
            await tx.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, sending_since = NULL, "
                "last_error = '' WHERE id = ?",
                (to_db(now), outbox_id),
            )
            await _note(tx, now, "daemon", push, "push_done", detail, outbox_id)

    async def push_gave_up(self, outbox_id: int, error: str, attempts: int, now: datetime) -> None:
        async with self.db.write() as tx:
            push = await _claimed(tx, outbox_id)
            await tx.execute(
                "UPDATE outbox SET state = 'failed', sending_since = NULL, last_error = ? "
                "WHERE id = ?",
                (error, outbox_id),
            )
            tries = "attempt" if attempts == 1 else "attempts"
            detail = f"gave up after {attempts} {tries}: {error}"
            await _note(tx, now, "daemon", push, "push_failed", detail, outbox_id)

    async def tracking_pushes(self, order_id: int) -> list[PushRow]:
        """The order's pushes, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE order_id = ? AND channel LIKE 'shop:%' ORDER BY id",
            (order_id,),
        )
        return [_push_row(row) for row in rows]


async def _push_for(
    tx: Transaction,
    order_id: int,
    number: str,
    agent: str,
    writable: Container[str],
    company: str,
) -> TrackingPush:
    order = await tx.fetchone(
        "SELECT o.number, o.source, o.external_id, o.lifecycle, coalesce(s.kind, '') AS kind "
        "FROM orders o LEFT JOIN sources s ON s.name = o.source WHERE o.id = ?",
        (order_id,),
    )
    if order is None:
        raise ActionError(f"order {order_id} does not exist")
    if order["lifecycle"] in GONE:
        raise ActionError(f"order {order['number']} is {order['lifecycle']}: nothing to push")
    if order["kind"] not in writable:
        kind = order["kind"] or "unknown"
        raise ActionError(
            f"order {order['number']} comes from {order['source']} ({kind}), "
            "which orderwatch cannot write to"
        )
    parcel = await tx.fetchone(
        "SELECT carrier, carrier_raw, tracking_url, shipped_at FROM shipments "
        "WHERE order_id = ? AND tracking_number = ? ORDER BY id LIMIT 1",
        (order_id, number),
    )
    shipped = from_db(parcel["shipped_at"]) if parcel is not None else None
    return TrackingPush(
        order_id=order_id,
        source=order["source"],
        external_id=order["external_id"],
        number=order["number"],
        tracking_number=number,
        company=company or (parcel["carrier_raw"] or parcel["carrier"] if parcel else ""),
        url=parcel["tracking_url"] if parcel is not None else "",
        shipped_on=shipped.strftime("%Y-%m-%d") if shipped is not None else "",
        agent=agent,
    )


async def _claimed(tx: Transaction, outbox_id: int) -> TrackingPush:
    row = await tx.fetchone("SELECT payload FROM outbox WHERE id = ?", (outbox_id,))
    if row is None:
        raise ActionError(f"outbox row {outbox_id} does not exist")
    try:
        return TrackingPush.from_json(row["payload"])
    except (ValueError, KeyError, TypeError):
        raise ActionError(f"outbox row {outbox_id} holds no readable tracking push") from None


async def _note(
    tx: Transaction,
    now: datetime,
    actor: str,
    push: TrackingPush,
    kind: str,
    detail: str,
    outbox_id: int,
) -> None:
    await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, push.order_id))
    await append_event(
        tx,
        at=now,
        actor=actor,
        order_id=push.order_id,
        subject_kind="push",
        subject_id=outbox_id,
        kind=kind,
        field=push.source,
        to_value=push.tracking_number,
        detail=detail,
    )


def _push_row(row: sqlite3.Row) -> PushRow:
    return PushRow(
        outbox_id=row["id"],
        push=TrackingPush.from_json(row["payload"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=from_db_required(row["next_attempt_at"]),
        last_error=row["last_error"],
        sent_at=from_db(row["sent_at"]),
    )
