"""The console's views: each is a query that returns the ordered ids of matching orders.

Only ids come back (8 bytes a row); the console reads the lines it shows a page at a time through
:meth:`sync.store.console.ConsoleStore.queue_lines`. A query is a base view (open orders, all
orders), typed filters (:mod:`sync.store.filters`), free text for the full-text index, a sort and
optionally a grouping by warehouse stage.

When a few orders change, the console need not read a million ids again:
:meth:`ViewStore.order_ids_among` says which of them belong to the view now, and for the sorts
whose key never changes (age, number) :meth:`ViewStore.order_sort_keys` gives the keys it needs to
find where they sit in the list it holds.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sync.store.base import StoreBase
from sync.store.filters import (
    STAGE_RANK_SQL,
    STAGE_SQL,
    Field,
    Filter,
    Moment,
    OneOf,
    Within,
    filter_sql,
)
from sync.store.search import match_expression


class View(StrEnum):
    QUEUE = "queue"
    ALL = "all"
    ESCALATED = "escalated"


class Sort(StrEnum):
    AGE = "age"
    """Newest first."""
    NUMBER = "number"
    """Highest order number first."""
    CUSTOMER = "customer"
    """Customer name, A to Z."""
    STATUS = "status"
    """Order state (open first), then payment and fulfilment."""
    PARCEL = "parcel"
    """The latest parcel's status, orders without a parcel last."""
    DUE = "due"
    """The earliest running rule deadline first, orders without one last."""


IMMUTABLE_SORTS = frozenset({Sort.AGE, Sort.NUMBER})
"""Sorts whose key never changes once an order exists."""


class Group(StrEnum):
    NONE = "none"
    STAGE = "stage"


@dataclass(frozen=True, slots=True)
class OrderQuery:
    view: View = View.QUEUE
    text: str = ""
    """Free text: order number, name, phone (or its last four digits), email, tracking number."""
    filters: tuple[Filter, ...] = ()
    sort: Sort = Sort.AGE
    reverse: bool = False
    group: Group = Group.NONE


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_VIEW_WHERE: dict[View, str] = {
    View.QUEUE: "o.lifecycle = 'open'",
    View.ALL: "1 = 1",
    View.ESCALATED: "o.id IN (SELECT order_id FROM escalations "
    "WHERE state IN ('firing', 'warning', 'acknowledged'))",
}

_LATEST_PARCEL = (
    "(SELECT s.status FROM shipments s WHERE s.order_id = o.id ORDER BY s.id DESC LIMIT 1)"
)
_EARLIEST_DUE = (
    "(SELECT min(t.deadline_at) FROM timers t WHERE t.order_id = o.id AND t.state != 'resolved')"
)

# Each sort as (expression, ascending?) terms in its natural direction; reversing flips them all.
_SORT_TERMS: dict[Sort, tuple[tuple[str, bool], ...]] = {
    Sort.AGE: (("o.created_at", False), ("o.id", False)),
    Sort.NUMBER: (("length(o.number)", False), ("o.number", False), ("o.id", False)),
    Sort.CUSTOMER: (("o.customer_name COLLATE NOCASE", True), ("o.id", False)),
    Sort.STATUS: (
        ("o.lifecycle != 'open'", True),
        ("o.lifecycle", True),
        ("o.payment_status", True),
        ("o.fulfillment_status", True),
        ("o.created_at", False),
        ("o.id", False),
    ),
    Sort.PARCEL: (
        (f"coalesce({_LATEST_PARCEL}, '~')", True),
        ("o.created_at", False),
        ("o.id", False),
    ),
    Sort.DUE: ((f"coalesce({_EARLIEST_DUE}, '~')", True), ("o.id", False)),
}

_KEY_COLUMNS: dict[Sort, str] = {
    Sort.AGE: "o.created_at, o.id",
    Sort.NUMBER: "length(o.number), o.number, o.id",
}


_DRIVING = frozenset({Field.PARCEL, Field.CARRIER, Field.ASSIGNEE, Field.ESCALATION, Field.RULE})


def selective(query: OrderQuery) -> bool:
    """True when a condition names a small set of orders by id (a look-up, parcels, escalations,
    timers): reading those and sorting them beats walking the whole view in index order, but
    without statistics SQLite's planner picks the index; :func:`where` and :func:`order_by`
    then hide the indexed columns from it (a unary ``+``)."""
    if query.text.strip():
        return True
    for one in query.filters:
        if one.negate:
            continue
        if isinstance(one, OneOf) and one.field in _DRIVING:
            return True
        if isinstance(one, Within) and one.moment is not Moment.CREATED:
            return True
    return False


def order_by(query: OrderQuery) -> str:
    terms = [
        f"{expression} {'ASC' if ascending != query.reverse else 'DESC'}"
        for expression, ascending in _SORT_TERMS[query.sort]
    ]
    if selective(query):
        terms[0] = "+" + terms[0]
    if query.group is Group.STAGE:
        terms.insert(0, f"{STAGE_RANK_SQL} ASC")
    return ", ".join(terms)


def where(query: OrderQuery) -> tuple[str, list[Any]]:
    """The query's conditions on ``orders o``, joined with AND, and their parameters."""
    base = _VIEW_WHERE[query.view]
    conditions = ["+" + base if selective(query) and base.startswith("o.lifecycle") else base]
    params: list[Any] = []
    words = query.text.split()
    emails = [word for word in words if _EMAIL.fullmatch(word)]
    for email in emails:
        conditions.append("o.email = ? COLLATE NOCASE")
        params.append(email)
    rest = " ".join(word for word in words if word not in emails)
    match = match_expression(rest) if rest else ""
    if match:
        conditions.append("o.id IN (SELECT rowid FROM order_search WHERE order_search MATCH ?)")
        params.append(match)
    for one in query.filters:
        sql, values = filter_sql(one)
        conditions.append(sql)
        params += values
    return " AND ".join(conditions), params


class ViewStore(StoreBase):
    async def order_ids(self, query: OrderQuery, limit: int | None = None) -> list[int]:
        """Ids of the orders in ``query``'s view, in its order."""
        condition, params = where(query)
        sql = f"SELECT o.id FROM orders o WHERE {condition} ORDER BY {order_by(query)}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return await self.db.column(sql, params)

    async def order_id_array(self, query: OrderQuery) -> array[int]:
        """:meth:`order_ids` as packed integers, for the long lists the console holds."""
        condition, params = where(query)
        return await self.db.id_array(
            f"SELECT o.id FROM orders o WHERE {condition} ORDER BY {order_by(query)}", params
        )

    async def grouped_order_ids(self, query: OrderQuery) -> tuple[list[int], list[tuple[str, int]]]:
        """The ids by warehouse stage (waiting first), and each stage's name and count."""
        condition, params = where(query)
        grouped = OrderQuery(
            query.view, query.text, query.filters, query.sort, query.reverse, Group.STAGE
        )
        rows = await self.db.fetchall(
            f"SELECT o.id, {STAGE_SQL} AS stage FROM orders o WHERE {condition} "
            f"ORDER BY {order_by(grouped)}",
            params,
        )
        ids: list[int] = []
        groups: list[tuple[str, int]] = []
        for row in rows:
            ids.append(row[0])
            if groups and groups[-1][0] == row[1]:
                groups[-1] = (row[1], groups[-1][1] + 1)
            else:
                groups.append((row[1], 1))
        return ids, groups

    async def order_ids_among(self, query: OrderQuery, order_ids: Sequence[int]) -> list[int]:
        """Those of ``order_ids`` that are in ``query``'s view now."""
        if not order_ids:
            return []
        condition, params = where(query)
        return await self.db.column(
            f"SELECT o.id FROM orders o WHERE o.id IN (SELECT value FROM json_each(?)) "
            f"AND {condition}",
            [json.dumps(list(order_ids)), *params],
        )

    async def order_sort_keys(
        self, sort: Sort, order_ids: Sequence[int]
    ) -> dict[int, tuple[Any, ...]]:
        """The sort keys of these orders (ascending form), for a sort in IMMUTABLE_SORTS."""
        if sort not in IMMUTABLE_SORTS:
            raise ValueError(f"sorting by {sort} has no fixed key")
        rows = await self.db.fetchall(
            f"SELECT {_KEY_COLUMNS[sort]} FROM orders o "
            "WHERE o.id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(order_ids)),),
        )
        return {row[-1]: tuple(row) for row in rows}

    async def find_orders(self, text: str, limit: int = 20) -> list[int]:
        """A global look-up across every order, for "where is my order?"."""
        return await self.order_ids(OrderQuery(view=View.ALL, text=text), limit=limit)
