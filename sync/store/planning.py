"""Reads for re-planning many subjects at once: only the columns the rules look at.

A full re-plan after a reload reads every active order, parcel and timer, and almost always finds
nothing to change. :meth:`PlanningStore.span_rows` serves that check one span of order ids at a
time, reading each table once for both what to visit (:class:`Candidates`) and what to look at:
plain tuples from SQLite, times parsed once, and orders and parcels with just the columns asked
for (:func:`partial_row`). Whatever the check finds changed is read again in full
(:meth:`~sync.store.orders.OrderStore.orders_by_id` and friends) before anything is decided or
written.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from sync.domain import OrderRow, ShipmentRow
from sync.store.base import StoreBase
from sync.store.db import Database
from sync.store.rows import _tags
from sync.store.rule_filters import Filter, render

__all__ = [
    "ORDERS_FLAGGED",
    "ORDER_FIELDS",
    "PARCELS_FLAGGED",
    "SHIPMENT_FIELDS",
    "STORED_TIMERS",
    "Candidates",
    "PlanningRows",
    "PlanningStore",
    "StoredTimer",
    "TimerPlan",
    "add_flagged",
    "flag_mask",
    "running_timers",
    "stored_timer",
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

STORED_TIMERS = (
    "SELECT rule_id, subject_kind, subject_id, order_id, state, started_at, deadline_at, "
    "warn_at, next_at, paused_seconds, paused_since, last_true_at, muted_by, timeout_seconds, "
    "override, modifiers, clock FROM timers WHERE state != 'resolved'"
)
"""Live timers as :func:`stored_timer` reads them (add conditions with ``AND``)."""

DENSE = 0.75
"""The share of a span's ids that must be known to be visited for its orders and parcels to be
read as a range (the rows not wanted are then skipped here) instead of by a list of ids."""

_TIMES = frozenset(
    f.name for f in (*fields(OrderRow), *fields(ShipmentRow)) if "datetime" in str(f.type)
)
"""The columns stored as text and read back as instants: the rows' time fields."""

Row = TypeVar("Row", OrderRow, ShipmentRow)


@dataclass
class Candidates:
    """Orders to visit, and per rule the subject ids (order or parcel) to evaluate it for."""

    orders: set[int] = field(default_factory=set)
    subjects: dict[str, set[int]] = field(default_factory=dict)

    def running(self, rows: Iterable[tuple[str, int, int]]) -> None:
        """Visit the subjects of these running timers (rule id, subject id, order id)."""
        by_rule, visited = self.subjects, self.orders
        for rule_id, subject_id, order_id in rows:  # a million after a reload: keep it lean
            found = by_rule.get(rule_id)
            if found is None:
                found = by_rule[rule_id] = set()
            found.add(subject_id)
            visited.add(order_id)

    def flagged(self, rules: Sequence[str], rows: Iterable[tuple[int, int, int]]) -> None:
        """Visit the subjects that rows of (subject id, order id, the :func:`flag_mask` of
        ``rules``) flag for those rules."""
        sets = [
            (1 << min(bit, _LAST_BIT), self.subjects.get(name) or set())
            for bit, name in enumerate(rules)
        ]
        visited = self.orders
        for subject_id, order_id, mask in rows:
            visited.add(order_id)
            for bit, matched in sets:
                if mask & bit:
                    matched.add(subject_id)
        for name, (_, matched) in zip(rules, sets, strict=True):
            if matched:
                self.subjects[name] = matched


def flag_mask(rules: Mapping[str, Filter | None]) -> tuple[str, list[object]]:
    """An SQL value with one bit per rule (the first rule's lowest) set for the rows its
    condition may match (None: every row; 0 when no rule may), and its parameters. Rules past
    the 63rd share the last bit: they may then visit more rows than they apply to, never fewer."""
    params: list[object] = []
    flags = [
        "1" if condition is None else f"coalesce(({render(condition, params)}), 0)"
        for condition in rules.values()
    ]
    bits = [f"({flag} << {min(bit, _LAST_BIT)})" for bit, flag in enumerate(flags)]
    return f"({' | '.join(bits)})", params


_LAST_BIT = 62
"""SQLite's integers have 64 bits, the last for the sign."""

ORDERS_FLAGGED = "SELECT o.id, o.id, {flags} FROM orders o"
PARCELS_FLAGGED = (
    "SELECT s.id, s.order_id, {flags} FROM shipments s JOIN orders o ON o.id = s.order_id"
)
"""Rows of (subject id, order id, flag mask) for :meth:`Candidates.flagged`, once ``{flags}`` is
the :func:`flag_mask`."""


async def add_flagged(
    db: Database,
    found: Candidates,
    rules: Mapping[str, Filter | None],
    select: str,
    column: str,
    between: tuple[int, int] | None,
) -> None:
    """Visit in ``found`` the subjects ``select`` (:data:`ORDERS_FLAGGED` or
    :data:`PARCELS_FLAGGED`) flags for ``rules``, those whose order id ``column`` lies
    ``between`` two ids (inclusive) only, when given."""
    if not rules:
        return
    mask, params = flag_mask(rules)
    where, span = mask, []
    if between is not None:
        where, span = f"{column} BETWEEN ? AND ? AND {mask}", list(between)
    rows = await db.tuples(f"{select.format(flags=mask)} WHERE {where}", params + span + params)
    found.flagged(list(rules), rows)


def running_timers(
    select: str, running: Collection[str] | None, between: tuple[int, int] | None
) -> tuple[str, list[object]]:
    """``select`` (of live timers) narrowed to the ``running`` rules and to the orders with ids
    ``between`` two, when given; the SQL and its parameters."""
    sql, params = select, list[object]()
    if running is not None:
        sql += " AND rule_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(running)))
    if between is not None:
        sql += " AND order_id BETWEEN ? AND ?"
        params += between
    return sql, params


@dataclass(frozen=True, slots=True)
class PlanningRows:
    """A batch's orders and parcels (partial rows, see :func:`partial_row`) and live timers."""

    orders: list[OrderRow]
    shipments: dict[int, list[ShipmentRow]]
    timers: list[StoredTimer]


def partial_row(cls: type[Row], names: Sequence[str], values: Sequence[Any]) -> Row:
    """A row with only the fields ``names`` set (from ``values``, already converted).

    Reading any other field raises AttributeError, so a caller that reads more than it asked for
    fails loudly instead of seeing a made-up value. Only for checks that never hand the row on:
    it is a tuple with those fields and the row class's properties (:func:`_partial_class`).
    """
    row: Row = tuple.__new__(_partial_class(cls, tuple(names)), values)
    return row


def _partial_class(cls: type[Row], names: tuple[str, ...]) -> type[Any]:
    """A named tuple of ``names`` that reads like ``cls``: with its properties (``order.vip``),
    and no other field. A re-plan's quick look reads a million rows: a tuple is built in a
    third of the time a dataclass with its fields set one by one takes."""
    found = _PARTIAL.get((cls, names))
    if found is None:
        base = namedtuple(f"Partial{cls.__name__}", names)  # type: ignore[misc]
        properties = {key: value for key, value in vars(cls).items() if isinstance(value, property)}
        found = _PARTIAL[cls, names] = type(base.__name__, (base,), {"__slots__": (), **properties})
    return found


_PARTIAL: dict[tuple[type[Any], tuple[str, ...]], type[Any]] = {}


def _converters(names: Sequence[str]) -> list[Any]:
    """Per column, what turns its stored value into the row's (None: taken as is)."""
    return [
        datetime.fromisoformat if name in _TIMES else _tags if name == "tags" else None
        for name in names
    ]


def _partial_rows(cls: type[Row], names: Sequence[str], rows: list[tuple[Any, ...]]) -> list[Row]:
    """:func:`partial_row` for many rows at once (a re-plan reads a million), a column converted
    only when it holds a value."""
    kind = _partial_class(cls, tuple(names))
    converting = [(at, convert) for at, convert in enumerate(_converters(names)) if convert]
    new = tuple.__new__
    if not converting:
        return [new(kind, raw) for raw in rows]
    found = []
    for raw in rows:
        values = list(raw)
        for at, convert in converting:
            value = values[at]
            if value is not None:
                values[at] = convert(value)
        found.append(new(kind, values))
    return found


class PlanningStore(StoreBase):
    async def span_rows(
        self,
        span: tuple[int, int],
        orders: Mapping[str, Filter | None],
        parcels: Mapping[str, Filter | None],
        running: Collection[str] | None,
        order_fields: Collection[str],
        shipment_fields: Collection[str],
    ) -> tuple[Candidates, PlanningRows]:
        """What a full re-plan visits among the orders with ids in ``span`` (inclusive), as
        :meth:`~sync.store.timers.TimerStore.candidate_subjects` finds it, and those orders, all
        their parcels (with only the named fields; ``id`` and ``order_id`` always) and their
        running timers (of the ``running`` rules only, when given), read for a quick look.

        Each table is read once: the timers first, then the parcels the parcel rules could
        apply to, then the orders the order rules could apply to together with the orders
        those found, with the columns asked for."""
        low, high = span
        found = Candidates()
        timers = [
            stored_timer(row)
            for row in await self.db.tuples(*running_timers(STORED_TIMERS, running, span))
        ]
        found.running((timer[0], timer[2], timer[3]) for timer in timers)
        await add_flagged(self.db, found, parcels, PARCELS_FLAGGED, "s.order_id", span)
        order_names = _names(order_fields, ("id",), ORDER_FIELDS)
        mask, params = flag_mask(orders) if orders else ("0", [])
        width = len(order_names)
        select = f"SELECT {', '.join(f'o.{name}' for name in order_names)}, {mask} FROM orders o"
        known = found.orders
        if dense(known, span):  # read them all, and keep the ones wanted
            every = await self.db.tuples(
                f"{select} WHERE o.id BETWEEN ? AND ?", [*params, low, high]
            )
            rows = [row for row in every if row[width] or row[0] in known]
        else:
            rows = await self.db.tuples(
                f"{select} WHERE o.id BETWEEN ? AND ? "
                f"AND ({mask} OR o.id IN (SELECT value FROM json_each(?)))",
                [*params, low, high, *params, json.dumps(sorted(known))],
            )
        if orders:
            found.flagged(list(orders), ((row[0], row[0], row[width]) for row in rows))
        rows = [row[:width] for row in rows]
        parcel_names = _names(shipment_fields, ("id", "order_id"), SHIPMENT_FIELDS)
        columns = ", ".join(parcel_names)
        visited = found.orders
        if dense(visited, span):
            parcel_rows = [
                row
                for row in await self.db.tuples(
                    f"SELECT {columns} FROM shipments WHERE order_id BETWEEN ? AND ? ORDER BY id",
                    (low, high),
                )
                if row[1] in visited
            ]
        else:
            parcel_rows = await self.db.tuples(
                f"SELECT {columns} FROM shipments "
                "WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(sorted(visited)),),
            )
        shipments: dict[int, list[ShipmentRow]] = {}
        for parcel in _partial_rows(ShipmentRow, parcel_names, parcel_rows):
            shipments.setdefault(parcel.order_id, []).append(parcel)
        planning = PlanningRows(_partial_rows(OrderRow, order_names, rows), shipments, timers)
        return found, planning


def dense(ids: Collection[int], span: tuple[int, int]) -> bool:
    """Whether ``ids`` fill enough of ``span`` (:data:`DENSE`) to read it as a range."""
    return len(ids) >= DENSE * (span[1] - span[0] + 1)


def _names(wanted: Collection[str], always: tuple[str, ...], known: frozenset[str]) -> list[str]:
    unknown = set(wanted) - known
    if unknown:
        raise ValueError(f"not a column: {', '.join(sorted(unknown))}")
    return [*always, *sorted(set(wanted) - set(always))]


def stored_timer(row: tuple[Any, ...]) -> StoredTimer:
    """A row of :data:`STORED_TIMERS`, its times read."""
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
