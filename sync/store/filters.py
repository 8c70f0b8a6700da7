"""Typed filters for the console's views, and the SQL condition each one becomes.

A view narrows its orders with filters the console parsed from what the agent typed
(``status:exception carrier:sf age:>2d assignee:ana``): :class:`OneOf` says a field takes one of
some values, :class:`Within` says an instant falls in a range. Each becomes one condition on the
``orders o`` row, written so SQLite can answer it from an index (parcel and escalation fields are
``o.id IN (…)`` over their own tables), and any of them can be negated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sync.store.db import to_db

OPEN_ESCALATION = ("firing", "warning", "acknowledged")


class Field(StrEnum):
    STATUS = "status"
    """Any of the order's three status axes, or any of its parcels' status."""
    PAYMENT = "payment"
    FULFILLMENT = "fulfillment"
    LIFECYCLE = "lifecycle"
    PARCEL = "parcel"
    CARRIER = "carrier"
    CHANNEL = "channel"
    """The sales channel, or the source the order came from, by prefix (``woo`` → woocommerce)."""
    ASSIGNEE = "assignee"
    """Who an open escalation of the order is assigned to ('' for nobody)."""
    ESCALATION = "escalation"
    """The state of an open escalation of the order."""
    RULE = "rule"
    """The rule of an open escalation of the order."""
    STAGE = "stage"
    """How far the warehouse got: waiting, reserved, picked, packed, handed_over."""


class Moment(StrEnum):
    CREATED = "created"
    """When the order was placed."""
    DUE = "due"
    """The deadline of a running rule timer of the order (the earliest counts)."""
    SNOOZED = "snoozed"
    """Until when an open escalation of the order is snoozed."""


class Stage(StrEnum):
    WAITING = "waiting"
    RESERVED = "reserved"
    PICKED = "picked"
    PACKED = "packed"
    HANDED_OVER = "handed_over"


STAGE_SQL = (
    "CASE WHEN o.handed_over_at IS NOT NULL THEN 'handed_over' "
    "WHEN o.packed_at IS NOT NULL THEN 'packed' "
    "WHEN o.picked_at IS NOT NULL THEN 'picked' "
    "WHEN o.reserved_at IS NOT NULL THEN 'reserved' ELSE 'waiting' END"
)
"""An order's warehouse stage, from the stage times the exports report."""

STAGE_RANK_SQL = (
    "CASE WHEN o.handed_over_at IS NOT NULL THEN 4 WHEN o.packed_at IS NOT NULL THEN 3 "
    "WHEN o.picked_at IS NOT NULL THEN 2 WHEN o.reserved_at IS NOT NULL THEN 1 ELSE 0 END"
)
"""The stage as its place in the warehouse's order of work (waiting first)."""


@dataclass(frozen=True, slots=True)
class OneOf:
    """``field`` takes one of ``values`` (or none of them, negated)."""

    field: Field
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Within:
    """``moment`` falls after ``after`` and before ``before`` (either may be open)."""

    moment: Moment
    after: datetime | None = None
    before: datetime | None = None
    negate: bool = False


Filter = OneOf | Within


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _escalations(condition: str) -> str:
    return (
        "o.id IN (SELECT order_id FROM escalations "
        f"WHERE state IN {OPEN_ESCALATION!r} AND {condition})"
    )


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _one_of(f: OneOf) -> tuple[str, list[Any]]:
    values = list(f.values)
    marks = _marks(values)
    if f.field is Field.STATUS:
        sql = (
            f"(o.payment_status IN ({marks}) OR o.fulfillment_status IN ({marks}) "
            f"OR o.lifecycle IN ({marks}) "
            f"OR o.id IN (SELECT order_id FROM shipments WHERE status IN ({marks})))"
        )
        return sql, values * 4
    if f.field is Field.CHANNEL:
        terms = " OR ".join(
            "o.channel LIKE ? ESCAPE '\\' OR o.source LIKE ? ESCAPE '\\'" for _ in values
        )
        return f"({terms})", [_like_prefix(v) for v in values for _ in range(2)]
    if f.field is Field.STAGE:
        return f"{STAGE_SQL} IN ({marks})", values
    simple = {
        Field.PAYMENT: f"o.payment_status IN ({marks})",
        Field.FULFILLMENT: f"o.fulfillment_status IN ({marks})",
        Field.LIFECYCLE: f"o.lifecycle IN ({marks})",
        Field.PARCEL: f"o.id IN (SELECT order_id FROM shipments WHERE status IN ({marks}))",
        Field.CARRIER: f"o.id IN (SELECT order_id FROM shipments WHERE carrier IN ({marks}))",
        Field.ASSIGNEE: _escalations(f"assignee IN ({marks})"),
        Field.ESCALATION: _escalations(f"state IN ({marks})"),
        Field.RULE: _escalations(f"rule_id IN ({marks})"),
    }
    return simple[f.field], values


def _within(f: Within) -> tuple[str, list[Any]]:
    bounds: list[str] = []
    params: list[Any] = []
    column = {Moment.CREATED: "o.created_at", Moment.DUE: "deadline_at"}.get(
        f.moment, "snoozed_until"
    )
    if f.after is not None:
        bounds.append(f"{column} > ?")
        params.append(to_db(f.after))
    if f.before is not None:
        bounds.append(f"{column} < ?")
        params.append(to_db(f.before))
    condition = " AND ".join(bounds) or f"{column} IS NOT NULL"
    if f.moment is Moment.CREATED:
        return f"({condition})", params
    if f.moment is Moment.DUE:
        return (
            f"o.id IN (SELECT order_id FROM timers WHERE state != 'resolved' AND {condition})",
            params,
        )
    return _escalations(condition), params


def filter_sql(f: Filter) -> tuple[str, list[Any]]:
    """The condition on ``orders o`` that ``f`` stands for, with its parameters."""
    sql, params = _one_of(f) if isinstance(f, OneOf) else _within(f)
    return (f"NOT {sql}" if f.negate else sql), params
