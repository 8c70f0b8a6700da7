"""Following parcels: which are due a poll, pushes received once each, finished parcels to stop,
and a tracking feed's health.

A parcel is due when its ``next_poll_at`` has come (or it was never scheduled), or when a rule's
deadline on it is near and it has not been polled for a while. A parcel the provider pushed
recently is left alone: pushes are preferred, polling is the safety net.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.domain import TERMINAL_SHIPMENT_STATUSES, ShipmentRow, TimerState, TrackRecord
from sync.store.base import StoreBase
from sync.store.db import to_db
from sync.store.following import lose_parcels
from sync.store.rows import SHIPMENT_COLUMNS, shipment_row
from sync.store.track_writer import TrackWriter

_TERMINAL = tuple(str(s) for s in TERMINAL_SHIPMENT_STATUSES)
_NOT_TERMINAL = f"status NOT IN ({', '.join('?' * len(_TERMINAL))})"
_COMING = (str(TimerState.PENDING), str(TimerState.WARNING))


@dataclass(frozen=True, slots=True)
class DueQuery:
    """When parcels of one provider are due.

    ``now``: the schedule's clock. ``soon``: a rule deadline before this instant makes a parcel
    due early, once it has not been polled since ``near_polled_before``. ``pushed_after``: a
    parcel pushed after this instant waits (pass ``now`` or later to ignore pushes).
    """

    provider: str
    now: datetime
    soon: datetime
    near_polled_before: datetime
    pushed_after: datetime
    limit: int = 200
    carriers: tuple[str, ...] = ()
    """When given, only parcels of these carriers, and those with no carrier (a tracker that
    serves some couriers only; the caller decides about the latter)."""


def push_digest(body: bytes, delivery_id: str = "") -> str:
    """The identity of a push: the provider's delivery id when it sends one, else the body's."""
    if delivery_id:
        return "id:" + delivery_id
    return hashlib.sha256(body).hexdigest()


class ParcelStore(StoreBase):
    async def parcels_due(self, query: DueQuery) -> list[ShipmentRow]:
        """Moving parcels of ``query.provider`` (or nobody yet) due a poll, never-polled first."""
        rows = await self.db.fetchall(
            "WITH due(id) AS ("
            f" SELECT id FROM shipments WHERE tracked_by IN ('', ?) AND {_NOT_TERMINAL}"
            "  AND (next_poll_at IS NULL OR next_poll_at <= ?)"
            " UNION"
            " SELECT s.id FROM timers t JOIN shipments s ON s.id = t.subject_id"
            "  WHERE t.subject_kind = 'shipment' AND t.deadline_at <= ?"
            "  AND t.state IN (?, ?) AND s.tracked_by IN ('', ?)"
            f"  AND s.{_NOT_TERMINAL} AND (s.polled_at IS NULL OR s.polled_at < ?)"
            ") "
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE id IN (SELECT id FROM due) "
            "AND (pushed_at IS NULL OR pushed_at <= ?) AND unfollowable = '' "
            "AND (? = 0 OR carrier = '' OR carrier IN (SELECT value FROM json_each(?))) "
            "ORDER BY polled_at IS NOT NULL, coalesce(next_poll_at, ''), id LIMIT ?",
            (
                query.provider,
                *_TERMINAL,
                to_db(query.now),
                to_db(query.soon),
                *_COMING,
                query.provider,
                *_TERMINAL,
                to_db(query.near_polled_before),
                to_db(query.pushed_after),
                len(query.carriers),
                json.dumps(list(query.carriers)),
                query.limit,
            ),
        )
        return [shipment_row(row) for row in rows]

    async def buyer_phones(self, shipment_ids: Sequence[int]) -> dict[int, str]:
        """The phone on each shipment's order (some tracking services ask for it)."""
        rows = await self.db.fetchall(
            "SELECT s.id, o.phone FROM shipments s JOIN orders o ON o.id = s.order_id "
            "WHERE s.id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(shipment_ids)),),
        )
        return {int(row["id"]): str(row["phone"]) for row in rows if row["phone"]}

    async def parcels_to_stop(self, provider: str, limit: int = 200) -> list[ShipmentRow]:
        """Finished parcels ``provider`` still follows (registered, terminal, not yet stopped)."""
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tracked_by = ? "
            f"AND status IN ({', '.join('?' * len(_TERMINAL))}) AND registered_at IS NOT NULL "
            "AND stopped_at IS NULL ORDER BY id LIMIT ?",
            (provider, *_TERMINAL, limit),
        )
        return [shipment_row(row) for row in rows]

    async def mark_stopped(self, shipment_ids: Sequence[int], now: datetime) -> None:
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE shipments SET stopped_at = ?, next_poll_at = NULL "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (to_db(now), json.dumps(list(shipment_ids))),
            )

    async def save_push(
        self,
        provider: str,
        digest: str,
        body: str,
        tracks: Sequence[TrackRecord],
        now: datetime,
        lost: Sequence[tuple[str, str]] = (),
    ) -> tuple[bool, list[int]]:
        """Keep one accepted push and apply its tracks, in one transaction.

        ``lost`` are (tracking number, reason) of parcels the push says the provider stopped
        following (see :func:`~sync.store.following.lose_parcels`).

        Returns (True, changed order ids) the first time ``digest`` is seen, (False, []) for a
        repeat, which changes nothing.
        """
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "INSERT INTO track_pushes (provider, digest, received_at, tracking_number, body) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, digest) DO NOTHING",
                (
                    provider,
                    digest,
                    to_db(now),
                    ",".join(t.tracking_number for t in tracks),
                    body,
                ),
            )
            if cursor.rowcount == 0:
                return False, []
            writer = TrackWriter(tx, provider, now)
            await writer.apply(tracks)
            if writer.touched:
                await tx.execute(
                    "UPDATE shipments SET pushed_at = ? "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    (to_db(now), json.dumps(writer.touched)),
                )
            if lost:
                await lose_parcels(tx, provider, lost, now)
        return True, sorted(writer.changed_orders)

    async def push_count(self, provider: str) -> int:
        return int(
            await self.db.scalar(
                "SELECT count(*) FROM track_pushes WHERE provider = ?", (provider,)
            )
        )

    async def record_feed_stale(self, name: str, kind: str, problem: str, now: datetime) -> bool:
        """Record one problem for a feed that stopped answering; True if it was not already shown.

        A repeat of the same problem keeps its first time, so an outage is one problem with its
        start, not a new error every round.
        """
        async with self.db.write() as tx:
            row = await tx.fetchone("SELECT last_error FROM sources WHERE name = ?", (name,))
            if row is not None and row["last_error"] == problem:
                await tx.execute(
                    "UPDATE sources SET last_attempt_at = ? WHERE name = ?", (to_db(now), name)
                )
                return False
            await tx.execute(
                "INSERT INTO sources (name, kind, last_attempt_at, last_error, last_error_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error, "
                "last_error_at = excluded.last_error_at",
                (name, kind, to_db(now), problem, to_db(now)),
            )
        return True
