"""The order views: the queue of open orders, every order, and the role views of the config.

A view is a query: a worker asks the store for the ordered ids of the orders in the view (its
fixed filter, narrowed by the agent's ``/`` filter, in the chosen sort), and the
:class:`~tui.widgets.order_list.OrderList` reads the lines it shows. When only a few orders
changed and the sort key cannot move (age, number), the list is patched in place
(:mod:`tui.merge`) instead of read again. The same screen also shows a global find's matches
when there are several.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input

from sync.store import LookupKind
from sync.store.views import IMMUTABLE_SORTS, Group, OrderQuery, Sort
from tui.desk import READ_ERRORS, Desk
from tui.export import export_folder, export_name, export_orders, exported_by, view_filters
from tui.filters import Context, Parsed, parse
from tui.keys import Scope, bindings
from tui.live import Change
from tui.lookups import note_lookup
from tui.merge import MergeFailed, merge
from tui.screens.acting import Chosen
from tui.screens.detail import DetailScreen
from tui.screens.listing import ListingScreen
from tui.verbs import OrderRef, Verb
from tui.views import SORT_LABELS, OrderView
from tui.widgets.column_header import ColumnHeader
from tui.widgets.filter_bar import FilterBar
from tui.widgets.order_list import OrderList

FIND_LIMIT = 500
"""A global find shows at most this many matches (the newest)."""

FILTER_PAUSE = 0.15
"""Seconds of no typing before the filter runs, so a fast typist costs one query."""

MERGE_LIMIT = 200
"""More changed orders than this and the view's ids are simply read again."""

MARK_LIMIT = 5000
"""``M`` marks at most this many orders (narrow the filter for fewer)."""


class OrdersScreen(ListingScreen):
    CSS_PATH = "orders.tcss"
    AUTO_FOCUS = "#orders"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(Scope.LIST), *bindings(Scope.VERBS)]
    SCOPES = (Scope.LIST, Scope.VERBS)

    def __init__(self, desk: Desk, view: OrderView) -> None:
        super().__init__(desk)
        self.view = view
        self.sort: Sort = view.sort
        self.reverse = view.reverse
        self.found: str | None = None
        """What a global find looked for, while its matches are shown."""
        self._pending = Change()
        self._reading = False

    def compose(self) -> ComposeResult:
        yield from self.frame_top(self._title())
        yield ColumnHeader(id="column-header")
        yield OrderList(
            self.desk.store.queue_lines, self.desk.clock, empty_text=self.view.empty, id="orders"
        )
        yield FilterBar(id="filter")
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.reload(keep_cursor=False)

    @property
    def order_list(self) -> OrderList:
        return self.query_one("#orders", OrderList)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter", FilterBar)

    def help_line(self) -> str:
        fixed = f", always “{self.view.filter}”" if self.view.filter else ""
        return f"{self.view.title}: {self.view.noun}{fixed}; sorted by {SORT_LABELS[self.sort]}."

    # ----- reading -----

    def parsed(self) -> Parsed:
        desk = self.desk
        context = Context(desk.agent, desk.clock.now(), desk.zone)
        return parse(f"{self.view.filter} {self.filter_text}", context)

    def query_now(self) -> OrderQuery:
        parsed = self.parsed()
        return OrderQuery(
            view=self.view.base,
            text=parsed.text,
            filters=parsed.filters,
            sort=self.sort,
            reverse=self.reverse,
            group=self.view.group,
        )

    @work(exclusive=True, group="order-ids", exit_on_error=False)
    async def reload(self, keep_cursor: bool = True, pause: float = 0.0) -> None:
        """Read the view's ids again and show them."""
        if pause:
            await asyncio.sleep(pause)
        self._reading = True
        groups: list[tuple[str, int]] = []
        ids: Sequence[int]
        try:
            store = self.desk.store
            if self.found is not None:
                ids = await store.find_orders(self.found, limit=FIND_LIMIT)
            elif self.view.group is Group.STAGE:
                ids, groups = await store.grouped_order_ids(self.query_now())
            else:
                ids = await store.order_id_array(self.query_now())
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read orders", severity="error")
            return
        finally:
            self._reading = False
        pending, self._pending = self._pending, Change()
        if pending.everything:
            self.order_list.forget()
        self.order_list.set_ids(
            ids, keep_cursor=keep_cursor, changed=pending.order_ids, groups=groups
        )
        self.filter_bar.show_problems(self.parsed().problems if self.filter_text else ())
        self.show_title()

    @work(exclusive=True, group="order-ids", exit_on_error=False)
    async def patch(self) -> None:
        """Fold the pending changes into the list (few orders, a sort key that cannot move)."""
        change = self._pending
        listed = self.order_list
        store = self.desk.store
        try:
            belong = await store.order_ids_among(self.query_now(), list(change.order_ids))
            ids = await merge(
                listed.ids[:],  # a copy: the list keeps drawing (and its cursor) from its own
                change.order_ids,
                set(belong),
                lambda wanted: store.order_sort_keys(self.sort, wanted),
                descending=not self.reverse,
            )
        except (MergeFailed, *READ_ERRORS):
            self.reload(keep_cursor=True)
            return
        self._pending = Change(self._pending.order_ids - change.order_ids)
        listed.set_ids(ids, keep_cursor=True, changed=change.order_ids)
        self.show_title()

    def apply_change(self, change: Change) -> None:
        # Kept until a read lands: a newer read cancels an older one, not its changes.
        self._pending = self._pending | change
        listed = self.order_list
        patchable = (
            listed.loaded
            and not self._reading
            and not self._pending.everything
            and len(self._pending.order_ids) <= MERGE_LIMIT
            and self.found is None
            and self.view.group is Group.NONE
            and self.sort in IMMUTABLE_SORTS
        )
        if patchable:
            self.patch()
        else:
            self.reload(keep_cursor=True)

    def minute_passed(self, now: datetime) -> None:
        self.order_list.tick(now)

    def show_found(self, text: str) -> None:
        """Show a global find's matches in place of the view."""
        self.found = text
        self.filter_text = ""
        self.filter_bar.close()
        self.order_list.focus()
        self.show_title()
        # Through the exclusive worker, so a read still running for the view cannot land last.
        self.reload(keep_cursor=False)

    # ----- the view bar -----

    def _title(self) -> str:
        lst = self.order_list if self.is_mounted else None
        count = "counting…" if lst is None or not lst.loaded else f"{lst.row_count:,}"
        if self.found is not None:
            return f"Find “{self.found}” · {count} found · Esc returns"
        noun = self.view.noun
        if lst is not None and lst.loaded and lst.row_count == 1:
            noun = noun.removesuffix("s")
        text = f"{self.view.title} · {count} {noun}"
        if self.sort is not self.view.sort or self.reverse is not self.view.reverse:
            text += f" · by {self.sort}{' ↑' if self.reverse else ''}"
        if lst is not None and lst.marks:
            text += f" · {len(lst.marks)} marked"
        return f"{text} · filter “{self.filter_text}”" if self.filter_text else text

    # ----- keys -----

    def action_cursor_down(self) -> None:
        self.order_list.cursor_down()

    def action_cursor_up(self) -> None:
        self.order_list.cursor_up()

    def action_page_down(self) -> None:
        self.order_list.page_down()

    def action_page_up(self) -> None:
        self.order_list.page_up()

    def action_first(self) -> None:
        self.order_list.first()

    def action_last(self) -> None:
        self.order_list.last()

    def action_open(self) -> None:
        self.order_list.open()

    def action_filter(self, text: str | None = None) -> None:
        if self.found is not None:
            self.found = None
            self.reload(keep_cursor=False)
        if text is not None:
            self.filter_text = text.strip()
            self.filter_bar.display = bool(self.filter_text)
            self.filter_bar.input.value = self.filter_text
            self.order_list.focus()
            self.reload(keep_cursor=False)
            return
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
            self.order_list.clear_marks()
            return
        self.order_list.focus()
        self.show_title()
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
        note_lookup(self.app, self.desk, LookupKind.OPEN, event.order_id)
        self.app.push_screen(DetailScreen(self.desk, event.order_id, self._neighbour))

    @on(OrderList.MarksChanged)
    def _marks_changed(self) -> None:
        self.show_title()

    def _neighbour(self, order_id: int, step: int) -> int | None:
        listed = self.order_list
        if not listed.select_id(order_id):
            return None
        listed.move_to(listed.cursor_index + step)
        found = listed.cursor_id
        return None if found == order_id else found

    def action_mark(self) -> None:
        self.order_list.toggle_mark()

    def action_mark_all(self) -> None:
        listed = self.order_list
        marked = listed.mark_all(MARK_LIMIT)
        if marked < listed.row_count:
            self.notify(
                f"Marked the first {marked:,} of {listed.row_count:,}: narrow the filter",
                severity="warning",
            )

    def action_clear_marks(self) -> None:
        self.order_list.clear_marks()

    def sort_choices(self) -> list[tuple[str, str]]:
        return [(sort.value, label) for sort, label in SORT_LABELS.items()]

    @property
    def sort_name(self) -> str:
        return self.sort.value

    def set_sort(self, name: str, reverse: bool | None = None) -> None:
        self.sort = Sort(name)
        if reverse is not None:
            self.reverse = reverse
        self.show_title()
        self.reload(keep_cursor=True)

    def action_copy_number(self) -> None:
        line = self.order_list.cursor_line
        if line is not None:
            self.app.copy_to_clipboard(line.number)
            self.notify(f"Copied {line.number}", timeout=2)

    async def export_to(self, path: Path | None) -> None:
        desk = self.desk
        now = desk.clock.now()
        if path is None:
            path = export_folder(desk.config.export_dir) / export_name(
                self.view.title, now, desk.zone
            )
        ids = self.order_list.ids[:]
        filters = view_filters(
            self.view.title,
            fixed=self.view.filter,
            typed=self.filter_text,
            found=self.found,
            sort=f"{self.sort}{' reversed' if self.reverse else ''}",
        )
        filters.append(exported_by(desk.agent, now, desk.zone))
        written = await export_orders(desk.store, ids, path, desk.zone, now, filters)
        self.notify(f"Exported {written:,} orders to {path}", title="Exported")

    # ----- what the verbs act on -----

    def chosen_ids(self) -> list[int]:
        listed = self.order_list
        if listed.marks:
            return sorted(listed.marks)
        return [] if listed.cursor_id is None else [listed.cursor_id]

    async def chosen(self, verb: Verb) -> Chosen:
        ids = self.chosen_ids()
        store = self.desk.store
        open_ones = await store.open_escalations_of(ids)
        escalations = tuple(rows[0] for order_id in ids if (rows := open_ones.get(order_id)))
        orders: tuple[OrderRef, ...] = ()
        if verb is Verb.NOTE:
            numbers = {line.id: line.number for line in await store.queue_lines(ids)}
            orders = tuple(OrderRef(i, numbers.get(i, f"order {i}")) for i in ids)
        return Chosen(escalations, orders, without=len(ids) - len(escalations))

    def submitted(self) -> None:
        self.order_list.clear_marks()
