"""Applying a batch of courier tracks set-wise: a handful of statements per batch.

The writer reads the shipments a batch names in one query, inserts every checkpoint with one
``executemany`` (the ``(shipment_id, dedup_key)`` key drops scans already known, from a poll or a
push), reads back what was new by rowid, and then updates the moved shipments, their orders and
the timeline with one statement each.

A track older than what the shipment already shows (a late push, a stale poll) still adds its
checkpoints but never moves the status back: the last event decides which report is newer.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.store.db import Transaction, to_db
from sync.store.events import EVENT_INSERT, event_values

Intervals = Mapping[str, timedelta]
"""How long after a poll a shipment in each status is due again (status → interval)."""

_INSERT_CHECKPOINT = (
    "INSERT OR IGNORE INTO checkpoints (shipment_id, at, at_raw, zoneless, description, "
    "location, status, status_raw, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_SHIPMENT = (
    "UPDATE shipments SET status = ?, status_raw = ?, substatus_raw = ?, last_checkpoint_at = ?, "
    "delivered_at = coalesce(delivered_at, ?), tracked_by = ?, raw = ?, eta = ?, signed_by = ?, "
    "provider_ref = coalesce(nullif(?, ''), provider_ref), version = version + 1, "
    "change_seq = ? WHERE id = ?"
)
_SELECT = (
    "SELECT id, order_id, tracking_number, status, status_raw, substatus_raw, "
    "last_checkpoint_at, eta, signed_by FROM shipments WHERE tracking_number IN "
    "(SELECT value FROM json_each(?))"
)


def checkpoint_key(checkpoint: Checkpoint) -> str:
    """Identity of a scan across polls and pushes: its instant (or its time as written when it
    has no zone) and its words, whitespace-folded. The location is left out: one path may fill
    it from a different field than another."""
    when = to_db(checkpoint.at) if checkpoint.at is not None else checkpoint.at_raw.strip()
    words = " ".join(checkpoint.description.split())
    return hashlib.sha1(f"{when}|{words}".encode()).hexdigest()


def _ids(values: Sequence[object]) -> str:
    return json.dumps(list(values))


@dataclass(slots=True)
class _Shipment:
    id: int
    order_id: int
    status: str
    status_raw: str
    substatus_raw: str
    last_at: str | None
    eta: str | None
    signed_by: str


def _shipment(row: sqlite3.Row) -> _Shipment:
    return _Shipment(
        id=row["id"],
        order_id=row["order_id"],
        status=row["status"],
        status_raw=row["status_raw"],
        substatus_raw=row["substatus_raw"],
        last_at=row["last_checkpoint_at"],
        eta=row["eta"],
        signed_by=row["signed_by"],
    )


def _merge(tracks: Sequence[TrackRecord]) -> dict[str, TrackRecord]:
    """One track per number; a later report of the same number wins."""
    merged: dict[str, TrackRecord] = {}
    for track in tracks:
        merged[track.tracking_number] = track
    return merged


def _stale(track: TrackRecord, newest: str | None) -> bool:
    """A report whose last event is older than what the shipment already shows."""
    last = to_db(track.last_event_at)
    return last is not None and newest is not None and last < newest


class TrackWriter:
    """Applies one batch of tracks inside ``tx``; :attr:`changed_orders` lists what moved."""

    def __init__(
        self, tx: Transaction, provider: str, now: datetime, intervals: Intervals | None = None
    ) -> None:
        self.tx = tx
        self.provider = provider
        self.now = now
        self.intervals = intervals
        self.changed_orders: set[int] = set()
        self.touched: list[int] = []
        """Every shipment a track of the batch was about (changed or not)."""

    async def apply(self, tracks: Sequence[TrackRecord]) -> None:
        merged = _merge(tracks)
        if not merged:
            return
        rows = await self.tx.fetchall(_SELECT, (_ids(list(merged)),))
        shipments = [(_shipment(row), merged[row["tracking_number"]]) for row in rows]
        self.touched = [s.id for s, _ in shipments]
        newest = await self._insert_checkpoints(shipments)
        updates: list[tuple[object, ...]] = []
        events: list[tuple[object, ...]] = []
        for shipment, track in shipments:
            update = self._update(shipment, track, newest.get(shipment.id), events)
            if update is not None:
                updates.append(update)
                self.changed_orders.add(shipment.order_id)
        if updates:
            await self.tx.executemany(_UPDATE_SHIPMENT, updates)
            await self.tx.execute(
                "UPDATE orders SET change_seq = ? WHERE id IN (SELECT value FROM json_each(?))",
                (self.tx.seq, _ids(sorted(self.changed_orders))),
            )
        if events:
            await self.tx.executemany(EVENT_INSERT, events)

    async def _insert_checkpoints(
        self, shipments: list[tuple[_Shipment, TrackRecord]]
    ) -> dict[int, tuple[str | None, int]]:
        """Insert every scan; returns, per shipment that gained any, (latest new instant, count)."""
        values = [
            (
                shipment.id,
                to_db(scan.at),
                scan.at_raw,
                int(scan.zoneless),
                scan.description,
                scan.location,
                str(scan.status),
                scan.status_raw,
                checkpoint_key(scan),
            )
            for shipment, track in shipments
            for scan in track.checkpoints
        ]
        if not values:
            return {}
        before = await self.tx.fetchone("SELECT coalesce(max(id), 0) AS id FROM checkpoints")
        await self.tx.executemany(_INSERT_CHECKPOINT, values)
        added = await self.tx.fetchall(
            "SELECT shipment_id, max(at) AS at, count(*) AS n FROM checkpoints WHERE id > ? "
            "GROUP BY shipment_id",
            (before["id"] if before else 0,),
        )
        return {int(row["shipment_id"]): (row["at"], int(row["n"])) for row in added}

    def _update(
        self,
        shipment: _Shipment,
        track: TrackRecord,
        added: tuple[str | None, int] | None,
        events: list[tuple[object, ...]],
    ) -> tuple[object, ...] | None:
        latest = shipment.last_at
        if added is not None and added[0] is not None and (latest is None or added[0] > latest):
            latest = added[0]
        stale = _stale(track, shipment.last_at)
        status, status_raw, sub_raw = (
            (shipment.status, shipment.status_raw, shipment.substatus_raw)
            if stale
            else (str(track.status), track.status_raw, track.substatus_raw)
        )
        eta = to_db(track.eta) if track.eta is not None and not stale else shipment.eta
        signed_by = track.signed_by or shipment.signed_by
        moved = (status, status_raw, sub_raw, eta, signed_by) != (
            shipment.status,
            shipment.status_raw,
            shipment.substatus_raw,
            shipment.eta,
            shipment.signed_by,
        )
        if not added and not moved:
            return None
        if status != shipment.status:
            events.append(
                event_values(
                    at=self.now,
                    actor=self.provider,
                    order_id=shipment.order_id,
                    subject_kind="shipment",
                    subject_id=shipment.id,
                    kind="status",
                    field="shipment_status",
                    from_value=shipment.status,
                    to_value=status,
                    detail=sub_raw or status_raw,
                )
            )
        delivered = latest if status == ShipmentStatus.DELIVERED else None
        return (
            status,
            status_raw,
            sub_raw,
            latest,
            delivered,
            self.provider,
            json.dumps(track.raw, ensure_ascii=False, default=str),
            eta,
            signed_by,
            track.provider_ref,
            self.tx.seq,
            shipment.id,
        )

    async def schedule(self, polled: Sequence[int]) -> None:
        """Stamp ``polled`` (and every shipment a track was about) with the next poll time of
        its status, now that the batch is written."""
        if self.intervals is None:
            return
        ids = sorted(set(polled) | set(self.touched))
        if not ids:
            return
        rows = await self.tx.fetchall(
            "SELECT id, status FROM shipments WHERE id IN (SELECT value FROM json_each(?))",
            (_ids(ids),),
        )
        await self.tx.executemany(
            "UPDATE shipments SET next_poll_at = ? WHERE id = ?",
            [(self.next_poll(row["status"]), row["id"]) for row in rows],
        )

    def next_poll(self, status: str) -> str | None:
        assert self.intervals is not None
        try:
            if ShipmentStatus(status).terminal:
                return None
        except ValueError:
            pass
        interval = self.intervals.get(status) or self.intervals.get("default")
        return to_db(self.now + interval) if interval is not None else None
