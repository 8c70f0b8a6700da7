"""Shipments and their courier checkpoints."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from sync.domain import (
    TERMINAL_SHIPMENT_STATUSES,
    Checkpoint,
    CheckpointRow,
    ShipmentRow,
    ShipmentStatus,
    TrackRecord,
)
from sync.store.base import StoreBase
from sync.store.db import Transaction, to_db
from sync.store.events import append_event
from sync.store.rows import SHIPMENT_COLUMNS, checkpoint_row, shipment_row

_TERMINAL = tuple(str(s) for s in TERMINAL_SHIPMENT_STATUSES)


def checkpoint_key(checkpoint: Checkpoint) -> str:
    """Identity of a scan across polls and pushes: its time, place and words."""
    basis = f"{checkpoint.at_raw}|{checkpoint.location.strip()}|{checkpoint.description.strip()}"
    return hashlib.sha1(basis.encode()).hexdigest()


class TrackingStore(StoreBase):
    async def shipments(self, order_id: int) -> list[ShipmentRow]:
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id = ? ORDER BY id",
            (order_id,),
        )
        return [shipment_row(row) for row in rows]

    async def shipments_of_orders(self, order_ids: Sequence[int]) -> dict[int, list[ShipmentRow]]:
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id IN "
            "(SELECT value FROM json_each(?)) ORDER BY id",
            (json.dumps(list(order_ids)),),
        )
        found: dict[int, list[ShipmentRow]] = {}
        for row in rows:
            found.setdefault(int(row["order_id"]), []).append(shipment_row(row))
        return found

    async def checkpoints(self, shipment_id: int) -> list[CheckpointRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM checkpoints WHERE shipment_id = ? ORDER BY at IS NULL, at, id",
            (shipment_id,),
        )
        return [checkpoint_row(row) for row in rows]

    async def parcels_to_follow(
        self, provider: str, limit: int, polled_before: datetime
    ) -> list[ShipmentRow]:
        """Parcels still moving and not polled since ``polled_before``, never-polled first."""
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments "
            f"WHERE status NOT IN ({', '.join('?' * len(_TERMINAL))}) "
            "AND tracked_by IN ('', ?) AND (polled_at IS NULL OR polled_at < ?) "
            "ORDER BY polled_at IS NOT NULL, polled_at, id LIMIT ?",
            (*_TERMINAL, provider, to_db(polled_before), limit),
        )
        return [shipment_row(row) for row in rows]

    async def unregistered(self, shipment_ids: Sequence[int]) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM shipments WHERE registered_at IS NULL AND id IN "
            "(SELECT value FROM json_each(?))",
            (json.dumps(list(shipment_ids)),),
        )
        return [int(row["id"]) for row in rows]

    async def mark_registered(
        self, provider: str, shipment_ids: Sequence[int], now: datetime
    ) -> None:
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE shipments SET registered_at = ?, tracked_by = ? WHERE id IN "
                "(SELECT value FROM json_each(?))",
                (to_db(now), provider, json.dumps(list(shipment_ids))),
            )

    async def save_tracks(
        self, provider: str, tracks: Sequence[TrackRecord], polled: Sequence[int], now: datetime
    ) -> list[int]:
        """Apply a provider's tracks to the shipments with those numbers; returns changed orders.

        ``polled`` are the shipment ids asked about, stamped as polled even when the provider had
        nothing new, so the polling schedule moves on.
        """
        changed: set[int] = set()
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE shipments SET polled_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                (to_db(now), json.dumps(list(polled))),
            )
            for track in tracks:
                rows = await tx.fetchall(
                    "SELECT id, order_id, status, last_checkpoint_at FROM shipments "
                    "WHERE tracking_number = ?",
                    (track.tracking_number,),
                )
                for row in rows:
                    if await self._apply_track(tx, provider, row, track, now):
                        changed.add(int(row["order_id"]))
        return sorted(changed)

    async def _apply_track(
        self, tx: Transaction, provider: str, row: sqlite3.Row, track: TrackRecord, now: datetime
    ) -> bool:
        shipment_id, order_id = row["id"], row["order_id"]
        added = 0
        for checkpoint in track.checkpoints:
            cursor = await tx.execute(
                "INSERT OR IGNORE INTO checkpoints (shipment_id, at, at_raw, zoneless, "
                "description, location, status, status_raw, dedup_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    shipment_id,
                    to_db(checkpoint.at),
                    checkpoint.at_raw,
                    int(checkpoint.zoneless),
                    checkpoint.description,
                    checkpoint.location,
                    str(checkpoint.status),
                    checkpoint.status_raw,
                    checkpoint_key(checkpoint),
                ),
            )
            added += cursor.rowcount
        old_status = row["status"]
        status = str(track.status)
        if not added and status == old_status:
            return False
        latest = await tx.fetchone(
            "SELECT max(at) AS at FROM checkpoints WHERE shipment_id = ?", (shipment_id,)
        )
        delivered = latest["at"] if latest and track.status == ShipmentStatus.DELIVERED else None
        await tx.execute(
            "UPDATE shipments SET status = ?, status_raw = ?, substatus_raw = ?, "
            "last_checkpoint_at = ?, delivered_at = coalesce(delivered_at, ?), tracked_by = ?, "
            "raw = ?, version = version + 1, change_seq = ? WHERE id = ?",
            (
                status,
                track.status_raw,
                track.substatus_raw,
                latest["at"] if latest else None,
                delivered,
                provider,
                json.dumps(track.raw, ensure_ascii=False, default=str),
                tx.seq,
                shipment_id,
            ),
        )
        # The order's row moves too, so readers that follow orders see the parcel's news.
        await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
        if status != old_status:
            await append_event(
                tx,
                at=now,
                actor=provider,
                order_id=order_id,
                subject_kind="shipment",
                subject_id=shipment_id,
                kind="status",
                field="shipment_status",
                from_value=old_status,
                to_value=status,
                detail=track.substatus_raw or track.status_raw,
            )
        return True
