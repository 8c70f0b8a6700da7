"""Orders the source says are gone: kept, marked ``deleted``, and taken off the desk.

Nothing is removed from the mirror: the order keeps its rows and its whole timeline, gains a
line saying it was deleted at the source, and its lifecycle becomes ``deleted``, which takes it
out of the open queues. Its running timers resolve (reason "deleted at the source") and their
open escalations close in the same transaction, whatever the rules say about deleted orders.

``updated_at`` moves up to the deletion's instant, so an older copy of the order arriving late
(a delayed webhook, a page fetched before the deletion) cannot bring it back, while a newer one
(WooCommerce restores an order from the trash) can.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sync.domain import Lifecycle, TimerState
from sync.store.db import Transaction, to_db
from sync.store.escalations import Closing, close_escalations
from sync.store.events import EVENT_INSERT, event_values

DELETED_REASON = "deleted at the source"


async def mark_deleted(
    tx: Transaction, source: str, external_ids: Sequence[str], now: datetime, how: str
) -> list[int]:
    """Mark the source's orders ``external_ids`` deleted (``how`` says what told us); returns
    the ids of the orders that changed. Unknown and already deleted orders are left alone."""
    if not external_ids:
        return []
    rows = await tx.fetchall(
        "SELECT id, lifecycle, updated_at FROM orders WHERE source = ? AND lifecycle != ? "
        "AND external_id IN (SELECT value FROM json_each(?))",
        (source, Lifecycle.DELETED, json.dumps(sorted(set(external_ids)))),
    )
    if not rows:
        return []
    at = to_db(now)
    await tx.executemany(
        "UPDATE orders SET lifecycle = ?, lifecycle_raw = ?, updated_at = max(updated_at, ?), "
        "version = version + 1, change_seq = ? WHERE id = ?",
        [(Lifecycle.DELETED, how, at, tx.seq, row["id"]) for row in rows],
    )
    await tx.executemany(
        EVENT_INSERT,
        [
            event_values(
                at=now,
                actor=source,
                order_id=row["id"],
                subject_kind="order",
                subject_id=row["id"],
                kind="status",
                field="lifecycle",
                from_value=row["lifecycle"],
                to_value=Lifecycle.DELETED,
                detail=f"{DELETED_REASON} ({how})",
            )
            for row in rows
        ],
    )
    order_ids = [int(row["id"]) for row in rows]
    await _stop_timers(tx, order_ids, now)
    return order_ids


async def _stop_timers(tx: Transaction, order_ids: Sequence[int], now: datetime) -> None:
    timers = await tx.fetchall(
        "SELECT id, rule_id, order_id, escalation_id FROM timers "
        "WHERE order_id IN (SELECT value FROM json_each(?)) AND state != ?",
        (json.dumps(list(order_ids)), TimerState.RESOLVED),
    )
    await tx.executemany(
        "UPDATE timers SET state = ?, next_at = NULL, paused_since = NULL, reason = ?, "
        "escalation_id = NULL, change_seq = ? WHERE id = ?",
        [(TimerState.RESOLVED, DELETED_REASON, tx.seq, t["id"]) for t in timers],
    )
    closings = [
        Closing(int(t["escalation_id"]), t["rule_id"], int(t["order_id"]), DELETED_REASON)
        for t in timers
        if t["escalation_id"] is not None
    ]
    await close_escalations(tx, closings, now)
