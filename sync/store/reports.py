"""What the managers' reports read: counts and raw durations over a period ``[start, end)``.

Every method takes UTC instants and returns typed rows; grouping by the shop's weekday and hour
and the percentiles are left to the caller, which knows the shop's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db

AGENT_EVENT_KINDS = (
    "manual_status",
    "correction",
    "acknowledged",
    "taken",
    "assigned",
    "snoozed",
    "resolved",
    "reopened",
    "escalated",
    "note",
)
"""Timeline kinds an agent's hand writes: the manual interventions a report counts."""

OPEN_FULFILMENT = ("unfulfilled", "in_progress", "on_hold", "scheduled")
MOVING = ("in_transit", "out_for_delivery", "available_for_pickup", "delivered")


@dataclass(frozen=True, slots=True)
class StageCount:
    """Orders created in the period, by stage (the lifecycle when it ended, else fulfilment)."""

    stage: str
    channel: str
    orders: int


@dataclass(frozen=True, slots=True)
class RuleBreaches:
    rule_id: str
    escalations: int
    resolved: int


@dataclass(frozen=True, slots=True)
class DelayedEscalation:
    """A resolved escalation with the delay reason the agent gave."""

    reason: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ScanGap:
    """The silence between two consecutive scans of one parcel, with the parcel's route."""

    carrier: str
    origin: str
    destination: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Response:
    """One escalation's response figures, as the escalation workflow stored them."""

    opened_at: datetime
    first_acked_at: datetime | None
    first_acked_by: str
    first_ack_level: int | None
    resolved_at: datetime | None
    resolved_by: str
    resolved_level: int | None


@dataclass(frozen=True, slots=True)
class Intervention:
    """An agent's action on the timeline."""

    at: datetime
    kind: str
    actor: str


@dataclass(frozen=True, slots=True)
class Agreement:
    """Orders with parcels checked, and how many of them the sources disagree about, by kind."""

    checked: int
    delivered_but_open: int
    cancelled_but_moving: int
    returned_but_paid: int
    disagreeing: int
    """Orders with at least one disagreement (an order may show more than one kind)."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One change of an order's status axis on the timeline."""

    at: datetime
    field: str
    from_value: str
    to_value: str


@dataclass(frozen=True, slots=True)
class CohortOrder:
    """An order created in the period, with what a rule trial is judged by."""

    source: str
    external_id: str
    escalations: int
    resolve_seconds: tuple[float, ...]
    """How long each of its resolved escalations took."""
    delivered_late: bool | None
    """Delivered after the promised time; None when not delivered or nothing was promised."""


class ReportStore(StoreBase):
    async def order_ids_created(self, start: datetime, end: datetime) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM orders WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (to_db(start), to_db(end)),
        )
        return [int(row["id"]) for row in rows]

    async def status_history(self, order_ids: list[int]) -> dict[int, list[StatusChange]]:
        """The status changes of these orders, oldest first."""
        rows = await self.db.fetchall(
            "SELECT order_id, at, field, from_value, to_value FROM events "
            "WHERE order_id IN (SELECT value FROM json_each(?)) AND subject_kind = 'order' "
            "AND kind = 'status' ORDER BY order_id, at, id",
            ("[" + ",".join(str(int(i)) for i in order_ids) + "]",),
        )
        found: dict[int, list[StatusChange]] = {}
        for row in rows:
            found.setdefault(int(row["order_id"]), []).append(
                StatusChange(
                    from_db_required(row["at"]), row["field"], row["from_value"], row["to_value"]
                )
            )
        return found

    async def orders_by_stage(self, start: datetime, end: datetime) -> list[StageCount]:
        rows = await self.db.fetchall(
            "SELECT CASE WHEN lifecycle IN ('cancelled', 'deleted') THEN lifecycle "
            "ELSE fulfillment_status END AS stage, channel, count(*) AS n FROM orders "
            "WHERE created_at >= ? AND created_at < ? GROUP BY stage, channel "
            "ORDER BY stage, channel",
            (to_db(start), to_db(end)),
        )
        return [StageCount(row["stage"], row["channel"], row["n"]) for row in rows]

    async def breaches_per_rule(self, start: datetime, end: datetime) -> list[RuleBreaches]:
        rows = await self.db.fetchall(
            "SELECT rule_id, count(*) AS n, count(resolved_at) AS resolved FROM escalations "
            "WHERE opened_at >= ? AND opened_at < ? GROUP BY rule_id ORDER BY n DESC, rule_id",
            (to_db(start), to_db(end)),
        )
        return [RuleBreaches(row["rule_id"], row["n"], row["resolved"]) for row in rows]

    async def delayed_escalations(self, start: datetime, end: datetime) -> list[DelayedEscalation]:
        """Why orders were late: escalations about a feed (no order) are left out."""
        rows = await self.db.fetchall(
            "SELECT resolution, opened_at FROM escalations WHERE opened_at >= ? AND opened_at < ? "
            "AND resolution <> '' AND order_id IS NOT NULL ORDER BY opened_at",
            (to_db(start), to_db(end)),
        )
        return [
            DelayedEscalation(row["resolution"], from_db_required(row["opened_at"])) for row in rows
        ]

    async def scan_gaps(self, start: datetime, end: datetime) -> list[ScanGap]:
        """Gaps between consecutive scans that ended in the period; the origin is where the
        parcel was first scanned, the destination the order's province and city."""
        rows = await self.db.fetchall(
            """
            WITH scans AS (
                SELECT shipment_id, at,
                    lag(at) OVER (PARTITION BY shipment_id ORDER BY at) AS before,
                    first_value(location) OVER (PARTITION BY shipment_id ORDER BY at) AS origin
                FROM checkpoints WHERE at IS NOT NULL AND shipment_id IN (
                    SELECT shipment_id FROM checkpoints WHERE at >= ? AND at < ?)
            )
            SELECT s.carrier, c.origin, trim(o.province || ' ' || o.city) AS destination,
                (julianday(c.at) - julianday(c.before)) * 86400.0 AS seconds
            FROM scans c JOIN shipments s ON s.id = c.shipment_id
            JOIN orders o ON o.id = s.order_id
            WHERE c.before IS NOT NULL AND c.at >= ? AND c.at < ?
            """,
            (to_db(start), to_db(end), to_db(start), to_db(end)),
        )
        return [
            ScanGap(row["carrier"], row["origin"], row["destination"], round(row["seconds"]))
            for row in rows
        ]

    async def responses(self, start: datetime, end: datetime) -> list[Response]:
        """Agents' response to orders' escalations (a feed's, about no order, is left out)."""
        rows = await self.db.fetchall(
            "SELECT opened_at, first_acked_at, first_acked_by, first_ack_level, resolved_at, "
            "resolved_by, resolved_level FROM escalations WHERE opened_at >= ? AND opened_at < ? "
            "AND order_id IS NOT NULL ORDER BY id",
            (to_db(start), to_db(end)),
        )
        return [
            Response(
                opened_at=from_db_required(row["opened_at"]),
                first_acked_at=from_db(row["first_acked_at"]),
                first_acked_by=row["first_acked_by"],
                first_ack_level=row["first_ack_level"],
                resolved_at=from_db(row["resolved_at"]),
                resolved_by=row["resolved_by"],
                resolved_level=row["resolved_level"],
            )
            for row in rows
        ]

    async def interventions(self, start: datetime, end: datetime) -> list[Intervention]:
        rows = await self.db.fetchall(
            "SELECT at, kind, actor FROM events WHERE at >= ? AND at < ? AND actor <> 'daemon' "
            "AND kind IN (SELECT value FROM json_each(?)) ORDER BY at, id",
            (to_db(start), to_db(end), _json_list(AGENT_EVENT_KINDS)),
        )
        return [Intervention(from_db_required(r["at"]), r["kind"], r["actor"]) for r in rows]

    async def cohort(self, start: datetime, end: datetime) -> list[CohortOrder]:
        """Orders created in the period with their escalations (any time) and delivery."""
        rows = await self.db.tuples(
            """
            SELECT o.source, o.external_id,
                (SELECT count(*) FROM escalations e WHERE e.order_id = o.id),
                (SELECT group_concat(
                    round((julianday(e.resolved_at) - julianday(e.opened_at)) * 86400.0))
                 FROM escalations e WHERE e.order_id = o.id AND e.resolved_at IS NOT NULL),
                (SELECT max(s.delivered_at) FROM shipments s WHERE s.order_id = o.id
                 AND s.status = 'delivered' AND s.delivered_at IS NOT NULL
                 AND o.promised_at IS NOT NULL) > o.promised_at
            FROM orders o WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.id
            """,
            (to_db(start), to_db(end)),
        )
        return [
            CohortOrder(
                source,
                external_id,
                count,
                tuple(float(part) for part in resolved.split(",")) if resolved else (),
                None if late is None else bool(late),
            )
            for source, external_id, count, resolved, late in rows
        ]

    async def status_agreement(self, start: datetime, end: datetime) -> Agreement:
        """Orders created in the period that have a parcel, and which of them disagree."""
        row = await self.db.fetchone(
            f"""
            SELECT count(*) AS checked, coalesce(sum(a), 0) AS a, coalesce(sum(b), 0) AS b,
                coalesce(sum(c), 0) AS c, coalesce(sum(a OR b OR c), 0) AS any_kind
            FROM (
                SELECT o.fulfillment_status IN {_tuple(OPEN_FULFILMENT)}
                    AND o.lifecycle NOT IN ('cancelled', 'deleted') AND EXISTS (
                        SELECT 1 FROM shipments s WHERE s.order_id = o.id
                        AND s.status = 'delivered') AS a,
                o.lifecycle = 'cancelled' AND EXISTS (
                        SELECT 1 FROM shipments s WHERE s.order_id = o.id
                        AND s.status IN {_tuple(MOVING)}) AS b,
                o.payment_status = 'paid' AND EXISTS (
                        SELECT 1 FROM shipments s WHERE s.order_id = o.id
                        AND s.status = 'returned') AS c
                FROM orders o WHERE o.created_at >= ? AND o.created_at < ?
                AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id)
            )
            """,
            (to_db(start), to_db(end)),
        )
        assert row is not None
        return Agreement(row["checked"], row["a"], row["b"], row["c"], row["any_kind"])


def _json_list(items: tuple[str, ...]) -> str:
    return "[" + ",".join(f'"{item}"' for item in items) + "]"


def _tuple(items: tuple[str, ...]) -> str:
    # Fixed vocabulary words of this module, never the caller's text.
    return "(" + ", ".join(f"'{item}'" for item in items) + ")"
