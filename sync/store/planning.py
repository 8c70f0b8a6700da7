"""Reads for re-planning many subjects at once: only the columns the rules look at.

A full re-plan after a reload reads every active order, parcel and timer, and almost always finds
nothing to change. These loaders serve that check: plain tuples from SQLite, times parsed once,
and orders and parcels built with just the columns asked for (:func:`partial_row`). Whatever
the check finds changed is read again in full (:meth:`~sync.store.orders.OrderStore.orders_by_id`
and friends) before anything is decided or written.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sync.domain import OrderRow, ShipmentRow
from sync.store.base import StoreBase
from sync.store.rows import _tags

__all__ = [
    "ORDER_FIELDS",
    "SHIPMENT_FIELDS",
    "PlanningRows",
    "PlanningStore",
    "StoredTimer",
    "TimerPlan",
]

ORDER_FIELDS = frozenset(f.name for f in fields(OrderRow))
SHIPMENT_FIELDS = frozenset(f.name for f in fields(ShipmentRow))

TimerPlan = tuple[
    str,  # state
    datetime,  # started_at
    datetime,  # deadline_at
    datetime | None,  # warn_at
    datetime | None,  # next_at
    int,  # paused_seconds
    datetime | None,  # paused_since
    datetime | None,  # last_true_at
    str,  # muted_by
    int,  # timeout_seconds
    str,  # override (or where a learned timeout came from)
    str,  # modifiers
    str,  # clock
]
"""What a timer row holds of its plan, in the order of those columns of the timers table: what
a re-plan compares with what it would write (:func:`daemon.rules.plan.stored_form`)."""

StoredTimer = tuple[str, str, int, int, *TimerPlan]
"""A live timer as the quick look reads it: rule id, subject kind, subject id and order id,
then its :data:`TimerPlan`."""
"""A live timer as the re-plan check compares it, in this order."""

_TIMER_SELECT = (
    "SELECT rule_id, subject_kind, subject_id, order_id, state, started_at, deadline_at, "
    "warn_at, next_at, paused_seconds, paused_since, last_true_at, muted_by, timeout_seconds, "
    "override, modifiers, clock FROM timers "
    "WHERE order_id IN (SELECT value FROM json_each(?)) AND state != 'resolved'"
)

_TIMES = frozenset(
    f.name for f in (*fields(OrderRow), *fields(ShipmentRow)) if "datetime" in str(f.type)
)
"""The columns stored as text and read back as instants: the rows' time fields."""

Row = TypeVar("Row", OrderRow, ShipmentRow)


@dataclass(frozen=True, slots=True)
class PlanningRows:
    """A batch's orders and parcels (partial rows, see :func:`partial_row`) and live timers."""

    orders: list[OrderRow]
    shipments: dict[int, list[ShipmentRow]]
    timers: list[StoredTimer]


def partial_row(cls: type[Row], names: Sequence[str], values: Sequence[Any]) -> Row:
    """A row with only the fields ``names`` set (from ``values``, already converted).

    Reading any other field raises AttributeError, so a caller that reads more than it asked for
    fails loudly instead of seeing a made-up value. Only for checks that never hand the row on.
    """
    row = object.__new__(cls)
    put = object.__setattr__
    for name, value in zip(names, values, strict=True):
        put(row, name, value)
    return row


def _converters(names: Sequence[str]) -> list[Any]:
    """Per column, what turns its stored value into the row's (None: taken as is)."""
    return [
        datetime.fromisoformat if name in _TIMES else _tags if name == "tags" else None
        for name in names
    ]


def _partial_rows(cls: type[Row], names: Sequence[str], rows: list[tuple[Any, ...]]) -> list[Row]:
    """:func:`partial_row` for many rows at once (a re-plan reads a million): each field is set
    through its slot directly, and a column is converted only when it holds a value."""
    setters = [getattr(cls, name).__set__ for name in names]
    columns = list(zip(setters, _converters(names), strict=True))
    new = object.__new__
    found = []
    for raw in rows:
        row = new(cls)
        for (put, convert), value in zip(columns, raw, strict=True):
            put(row, value if convert is None or value is None else convert(value))
        found.append(row)
    return found


class PlanningStore(StoreBase):
    async def planning_rows(
        self,
        order_ids: Sequence[int],
        order_fields: Collection[str],
        shipment_fields: Collection[str],
        rule_ids: Collection[str] | None = None,
    ) -> PlanningRows:
        """These orders (missing ids skipped) and all their parcels with only the named fields
        (``id`` and ``order_id`` always), and their timers that are not resolved (of
        ``rule_ids`` only, when given)."""
        order_names = _names(order_fields, ("id",), ORDER_FIELDS)
        parcel_names = _names(shipment_fields, ("id", "order_id"), SHIPMENT_FIELDS)
        ids = json.dumps(list(order_ids))
        order_rows = await self.db.tuples(
            f"SELECT {', '.join(order_names)} FROM orders "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
        parcel_rows = await self.db.tuples(
            f"SELECT {', '.join(parcel_names)} FROM shipments "
            "WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (ids,),
        )
        sql, params = _TIMER_SELECT, [ids]
        if rule_ids is not None:
            sql += " AND rule_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(sorted(rule_ids)))
        timer_rows = await self.db.tuples(sql, params)
        shipments: dict[int, list[ShipmentRow]] = {}
        for parcel in _partial_rows(ShipmentRow, parcel_names, parcel_rows):
            shipments.setdefault(parcel.order_id, []).append(parcel)
        return PlanningRows(
            orders=_partial_rows(OrderRow, order_names, order_rows),
            shipments=shipments,
            timers=[_stored(row) for row in timer_rows],
        )


def _names(wanted: Collection[str], always: tuple[str, ...], known: frozenset[str]) -> list[str]:
    unknown = set(wanted) - known
    if unknown:
        raise ValueError(f"not a column: {', '.join(sorted(unknown))}")
    return [*always, *sorted(set(wanted) - set(always))]


def _stored(row: tuple[Any, ...]) -> StoredTimer:
    fromiso = datetime.fromisoformat
    return (
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        fromiso(row[5]),
        fromiso(row[6]),
        None if row[7] is None else fromiso(row[7]),
        None if row[8] is None else fromiso(row[8]),
        row[9],
        None if row[10] is None else fromiso(row[10]),
        None if row[11] is None else fromiso(row[11]),
        row[12],
        row[13],
        row[14],
        row[15],
        row[16],
    )
