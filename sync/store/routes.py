"""Learned route thresholds: what a carrier's parcels usually take on one route.

A route is (carrier, origin, destination): the origin is where a parcel was first scanned, the
destination the order's province and city, as the reports' stall figures name them
(:meth:`~sync.store.reports.ReportStore.scan_gaps`). The daemon computes the figures once a day
and replaces the whole table in one transaction; rules read them back as a mapping.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db_required, to_db


@dataclass(frozen=True, slots=True)
class RouteFigure:
    """One learned figure: the p90 of ``metric`` (silence or transit) over ``samples``."""

    carrier: str
    origin: str
    destination: str
    metric: str
    p90_seconds: int
    samples: int
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class TransitTime:
    """A delivered parcel's time from its first scan to delivery, with its route."""

    carrier: str
    origin: str
    destination: str
    seconds: float


class RouteStore(StoreBase):
    async def transit_times(self, start: datetime, end: datetime) -> list[TransitTime]:
        """Parcels delivered in [start, end): first scan to delivery, per route."""
        rows = await self.db.fetchall(
            """
            WITH delivered AS (
                SELECT id FROM shipments
                WHERE status = 'delivered' AND delivered_at >= ? AND delivered_at < ?
            ), scans AS (
                SELECT shipment_id, at, location,
                    row_number() OVER (PARTITION BY shipment_id ORDER BY at) AS n
                FROM checkpoints
                WHERE at IS NOT NULL AND shipment_id IN (SELECT id FROM delivered)
            )
            SELECT s.carrier, c.location AS origin,
                trim(o.province || ' ' || o.city) AS destination,
                (julianday(s.delivered_at) - julianday(c.at)) * 86400.0 AS seconds
            FROM scans c JOIN shipments s ON s.id = c.shipment_id
            JOIN orders o ON o.id = s.order_id
            WHERE c.n = 1 AND s.delivered_at > c.at
            """,
            (to_db(start), to_db(end)),
        )
        return [
            TransitTime(row["carrier"], row["origin"], row["destination"], row["seconds"])
            for row in rows
        ]

    async def replace_route_figures(self, figures: Sequence[RouteFigure]) -> None:
        """The day's figures replace yesterday's, all at once."""
        async with self.db.write() as tx:
            await tx.execute("DELETE FROM route_thresholds")
            await tx.executemany(
                "INSERT INTO route_thresholds (carrier, origin, destination, metric, "
                "p90_seconds, samples, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.carrier,
                        f.origin,
                        f.destination,
                        f.metric,
                        f.p90_seconds,
                        f.samples,
                        to_db(f.computed_at),
                    )
                    for f in figures
                ],
            )

    async def route_figures(self) -> list[RouteFigure]:
        rows = await self.db.fetchall(
            "SELECT carrier, origin, destination, metric, p90_seconds, samples, computed_at "
            "FROM route_thresholds ORDER BY carrier, origin, destination, metric"
        )
        return [
            RouteFigure(
                row["carrier"],
                row["origin"],
                row["destination"],
                row["metric"],
                int(row["p90_seconds"]),
                int(row["samples"]),
                from_db_required(row["computed_at"]),
            )
            for row in rows
        ]

    async def parcel_origins(self, shipment_ids: Sequence[int]) -> dict[int, str]:
        """Where each of these parcels was first scanned (parcels never scanned are left out)."""
        if not shipment_ids:
            return {}
        rows = await self.db.tuples(
            "SELECT j.value, (SELECT location FROM checkpoints c WHERE c.shipment_id = j.value "
            "AND c.at IS NOT NULL ORDER BY c.at LIMIT 1) FROM json_each(?) j",
            (json.dumps(list(shipment_ids)),),
        )
        return {int(shipment): str(origin) for shipment, origin in rows if origin is not None}
