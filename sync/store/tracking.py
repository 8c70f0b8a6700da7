"""Shipments and their courier checkpoints: reads, and applying a provider's tracks.

The writing itself is :class:`~sync.store.track_writer.TrackWriter`, set-wise per batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sync.domain import CheckpointRow, ShipmentRow, TrackRecord
from sync.store.base import StoreBase
from sync.store.db import to_db
from sync.store.rows import SHIPMENT_COLUMNS, checkpoint_row, shipment_row
from sync.store.track_writer import Intervals, TrackWriter, checkpoint_key

__all__ = ["TrackingStore", "checkpoint_key"]


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
        self,
        provider: str,
        tracks: Sequence[TrackRecord],
        polled: Sequence[int],
        now: datetime,
        *,
        intervals: Intervals | None = None,
        state: Mapping[str, str] | None = None,
    ) -> list[int]:
        """Apply a provider's tracks to the shipments with those numbers; returns changed orders.

        ``polled`` are the shipment ids asked about, stamped as polled even when the provider had
        nothing new, so the polling schedule moves on. With ``intervals`` (status → interval),
        every polled or reported shipment is also given its next poll time. ``state`` (daemon
        state keys, such as a listing cursor) is saved in the same transaction.
        """
        async with self.db.write() as tx:
            writer = TrackWriter(tx, provider, now, intervals, polled)
            await writer.apply(tracks)
            if state:
                await tx.executemany(
                    "INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    [(key, value, to_db(now)) for key, value in state.items()],
                )
        return sorted(writer.changed_orders)
