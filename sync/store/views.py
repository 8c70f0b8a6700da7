"""The console's views: each is a query that returns the ordered ids of matching orders.

Only ids come back (8 bytes a row); the console fetches the rows it shows a page at a time through
:meth:`sync.store.orders.OrderStore.orders_by_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sync.store.base import StoreBase
from sync.store.search import match_expression


class View(StrEnum):
    QUEUE = "queue"
    ALL = "all"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class OrderQuery:
    view: View = View.QUEUE
    text: str = ""
    """Free text: order number, name, phone (or its last four digits), email, tracking number."""


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_VIEW_WHERE: dict[View, str] = {
    View.QUEUE: "o.lifecycle = 'open'",
    View.ALL: "1 = 1",
    View.ESCALATED: "o.id IN (SELECT order_id FROM escalations "
    "WHERE state IN ('firing', 'warning', 'acknowledged'))",
}


class ViewStore(StoreBase):
    async def order_ids(self, query: OrderQuery, limit: int | None = None) -> list[int]:
        """Ids of the orders in ``query``'s view matching its text, newest first."""
        where = [_VIEW_WHERE[query.view]]
        params: list[Any] = []
        words = query.text.split()
        emails = [word for word in words if _EMAIL.fullmatch(word)]
        for email in emails:
            where.append("o.email = ? COLLATE NOCASE")
            params.append(email)
        rest = " ".join(word for word in words if word not in emails)
        match = match_expression(rest) if rest else ""
        if match:
            where.append("o.id IN (SELECT rowid FROM order_search WHERE order_search MATCH ?)")
            params.append(match)
        sql = (
            f"SELECT o.id FROM orders o WHERE {' AND '.join(where)} "
            "ORDER BY o.created_at DESC, o.id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return await self.db.column(sql, params)

    async def find_orders(self, text: str, limit: int = 20) -> list[int]:
        """A global look-up across every order, for "where is my order?"."""
        return await self.order_ids(OrderQuery(view=View.ALL, text=text), limit=limit)
