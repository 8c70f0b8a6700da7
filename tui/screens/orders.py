"""The order views: the queue of open orders, and every order.

A view is a query: a worker asks the store for the ordered ids of the orders in the view (narrowed
by the filter), and the :class:`~tui.widgets.order_list.OrderList` reads the lines it shows.
The same screen also shows a global find's matches when there are several.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Footer, Input

from sync.store import OrderQuery, View
from tui.acknowledge import acknowledge_order
from tui.desk import READ_ERRORS, Desk
from tui.keys import Scope, bindings
from tui.live import Change
from tui.screens.base import LiveScreen
from tui.screens.detail import DetailScreen
from tui.widgets.column_header import ColumnHeader
from tui.widgets.filter_bar import FilterBar
from tui.widgets.order_list import OrderList
from tui.widgets.view_bar import ViewBar

FIND_LIMIT = 500
"""A global find shows at most this many matches (the newest)."""

FILTER_PAUSE = 0.15
"""Seconds of no typing before the filter runs, so a fast typist costs one query."""

_TITLES = {View.QUEUE: ("Queue", "open orders"), View.ALL: ("All orders", "orders")}


class OrdersScreen(LiveScreen):
    CSS_PATH = "orders.tcss"
    AUTO_FOCUS = "#orders"
    BINDINGS = bindings(Scope.ORDERS)

    def __init__(self, desk: Desk, view: View) -> None:
        super().__init__(desk)
        self.view = view
        self.filter_text = ""
        self.found: str | None = None
        """What a global find looked for, while its matches are shown."""
        self._pending = Change()

    def compose(self) -> ComposeResult:
        yield ViewBar(self._title(), self.side_text(self.desk.clock.now()), id="view-bar")
        yield ColumnHeader(id="column-header")
        empty = "No open orders" if self.view is View.QUEUE else "No orders yet"
        yield OrderList(self.desk.store.queue_lines, self.desk.clock, empty_text=empty, id="orders")
        yield FilterBar(id="filter")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.reload(keep_cursor=False)

    @property
    def order_list(self) -> OrderList:
        return self.query_one("#orders", OrderList)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter", FilterBar)

    # ----- reading -----

    @work(exclusive=True, group="order-ids", exit_on_error=False)
    async def reload(self, keep_cursor: bool = True, pause: float = 0.0) -> None:
        """Read the view's ids again and show them."""
        if pause:
            await asyncio.sleep(pause)
        try:
            if self.found is not None:
                ids = await self.desk.store.find_orders(self.found, limit=FIND_LIMIT)
            else:
                query = OrderQuery(view=self.view, text=self.filter_text)
                ids = await self.desk.store.order_ids(query)
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read orders", severity="error")
            return
        pending, self._pending = self._pending, Change()
        if pending.everything:
            self.order_list.forget()
        self.order_list.set_ids(ids, keep_cursor=keep_cursor, changed=pending.order_ids)
        self._show_title()

    def apply_change(self, change: Change) -> None:
        # Kept until a reload lands: a newer reload cancels an older one, not its changes.
        self._pending = self._pending | change
        self.reload(keep_cursor=True)

    def minute_passed(self, now: datetime) -> None:
        self.order_list.tick(now)

    def show_found(self, text: str) -> None:
        """Show a global find's matches in place of the view."""
        self.found = text
        self.filter_text = ""
        self.filter_bar.close()
        self.order_list.focus()
        self._show_title()
        # Through the exclusive worker, so a reload still running for the view cannot land last.
        self.reload(keep_cursor=False)

    # ----- the view bar -----

    def _title(self) -> str:
        lst = self.order_list if self.is_mounted else None
        count = "counting…" if lst is None or not lst.loaded else f"{lst.row_count:,}"
        if self.found is not None:
            return f"Find “{self.found}” · {count} found · Esc returns"
        title, noun = _TITLES[self.view]
        if lst is not None and lst.loaded and lst.row_count == 1:
            noun = noun.removesuffix("s")
        text = f"{title} · {count} {noun}"
        return f"{text} · filter “{self.filter_text}”" if self.filter_text else text

    def _show_title(self) -> None:
        self.query_one(ViewBar).show(self._title())

    # ----- keys -----

    def action_filter(self) -> None:
        if self.found is not None:
            self.found = None
            self.reload(keep_cursor=False)
        self.filter_bar.value = self.filter_text
        self.filter_bar.open()

    def action_clear(self) -> None:
        bar = self.filter_bar
        if bar.display or self.filter_text:
            bar.close()
            self.filter_text = ""
        elif self.found is not None:
            self.found = None
        else:
            return
        self.order_list.focus()
        self._show_title()
        self.reload(keep_cursor=True)

    @on(Input.Changed, "#filter Input")
    def _filter_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.reload(keep_cursor=False, pause=FILTER_PAUSE)

    @on(Input.Submitted, "#filter Input")
    def _filter_done(self) -> None:
        if not self.filter_text:
            self.filter_bar.close()
        self.order_list.focus()

    @on(OrderList.Opened)
    def _open(self, event: OrderList.Opened) -> None:
        self.app.push_screen(DetailScreen(self.desk, event.order_id))

    def action_acknowledge(self) -> None:
        order_id = self.order_list.cursor_id
        if order_id is not None:
            self._acknowledge(order_id)

    @work(group="acknowledge", exit_on_error=False)
    async def _acknowledge(self, order_id: int) -> None:
        outcome = await acknowledge_order(self.desk, order_id)
        self.notify(outcome.message, title=outcome.title, severity=outcome.severity)
        if outcome.done:
            self.order_list.invalidate([order_id])
