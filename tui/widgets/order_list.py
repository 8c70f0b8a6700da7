"""The order list: a line-API view over an ordered list of order ids.

It holds only the ids of the orders in its view (8 bytes an order) and draws the lines on screen
from a small cache. A line that is not cached yet is drawn as a placeholder while a worker reads
its whole page (``page_size`` ids) from the store; the message pump never waits on SQLite. The
cursor and the marks are order ids as much as positions: when the ids change, they stay on the
same orders. A grouped view draws a heading line before each group (:mod:`.layout`).

Its keys are the screen's (the registry's list scope); the screen moves it through the methods
below.
"""

from __future__ import annotations

from array import array
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sync.clock import Clock
from sync.store import QueueLine
from tui.css import beside
from tui.desk import READ_ERRORS
from tui.row_cache import RowCache
from tui.widgets.layout import Heading, Layout
from tui.widgets.order_columns import (
    LINE_WIDTH,
    Cell,
    heading_cells,
    line_cells,
    placeholder_cells,
)

FetchLines = Callable[[Sequence[int]], Awaitable[list[QueueLine]]]

_STYLED = (
    "firing",
    "warning",
    "acknowledged",
    "trouble",
    "closed",
    "placeholder",
    "marked",
    "heading",
)


class OrderList(ScrollView, can_focus=True, inherit_bindings=False):
    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar[list[BindingType]] = []
    """None of its own (nor the scrolling ones it would inherit): the screen moves it."""
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "order-list--cursor",
        *(f"order-list--{name}" for name in _STYLED),
    }

    class Opened(Message):
        """The agent asked to open an order."""

        def __init__(self, order_id: int) -> None:
            super().__init__()
            self.order_id = order_id

    class MarksChanged(Message):
        """The set of marked orders changed."""

    def __init__(
        self,
        fetch: FetchLines,
        clock: Clock,
        *,
        page_size: int = 200,
        cache_rows: int = 2000,
        empty_text: str = "No orders",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._fetch = fetch
        self._clock = clock
        self.page_size = page_size
        self.empty_text = empty_text
        self._ids: array[int] = array("q")
        self._layout = Layout(0)
        self._cursor = 0
        self._loaded = False
        self._cache = RowCache(cache_rows)
        self._generation = 0
        self._in_flight: set[tuple[int, int]] = set()
        self._now = clock.now()
        self._marks: set[int] = set()

    # ----- what the screen asks -----

    @property
    def loaded(self) -> bool:
        """True once the first id list arrived."""
        return self._loaded

    @property
    def ids(self) -> array[int]:
        """The listed ids, in order (the caller must not change them)."""
        return self._ids

    @property
    def grouped(self) -> bool:
        return bool(self._layout.headings)

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def cursor_index(self) -> int:
        return self._cursor

    @property
    def cursor_id(self) -> int | None:
        return self._ids[self._cursor] if self._ids else None

    @property
    def cursor_line(self) -> QueueLine | None:
        order_id = self.cursor_id
        return None if order_id is None else self._cache.get(order_id)

    def line_of(self, order_id: int) -> QueueLine | None:
        """The cached line of an order, when it was read."""
        return self._cache.get(order_id)

    def set_ids(
        self,
        ids: Sequence[int],
        *,
        keep_cursor: bool = True,
        changed: Iterable[int] = (),
        groups: Sequence[tuple[str, int]] = (),
    ) -> None:
        """Show these orders; the cursor stays on its order when that order is still listed.

        ``changed`` are orders to read again, marked together with the new ids so that nothing
        is drawn (or fetched) in between. When the cursor stays, it also keeps its line on
        screen: orders arriving above it push the list, not the agent's selection. At the very
        top of the list the top stays in view instead, so new arrivals are seen.
        """
        keep_id = self.cursor_id if keep_cursor else None
        at_top = self.scroll_offset.y == 0
        screen_row = self._layout.row_of(self._cursor) - self.scroll_offset.y
        self._cache.invalidate(changed)
        self._ids = ids if isinstance(ids, array) else array("q", ids)
        self._layout = Layout(len(self._ids), groups)
        self._loaded = True
        self._generation += 1
        self._in_flight.clear()
        cursor = self._cursor if keep_cursor else 0
        if keep_id is not None:
            with suppress(ValueError):
                cursor = self._ids.index(keep_id)
        self._cursor = max(0, min(cursor, len(self._ids) - 1))
        self.virtual_size = Size(LINE_WIDTH, self._layout.rows)
        row = self._layout.row_of(self._cursor)
        top = row - screen_row if keep_cursor else 0
        height = max(1, self.scrollable_content_region.height)
        if at_top and row < height:
            top = 0
        self.scroll_to(y=max(0, top), animate=False, immediate=True)
        self.refresh()

    def invalidate(self, order_ids: Iterable[int]) -> None:
        """These orders changed: read their lines again (old lines show until then)."""
        self._cache.invalidate(order_ids)
        self.refresh()

    def forget(self) -> None:
        """Drop every cached line (a forced reload)."""
        self._cache.clear()
        self.refresh()

    def select_id(self, order_id: int) -> bool:
        try:
            index = self._ids.index(order_id)
        except ValueError:
            return False
        self.move_to(index)
        return True

    def tick(self, now: datetime) -> None:
        """The clock moved on a minute: ages on screen change."""
        self._now = now
        self.refresh()

    # ----- marks -----

    @property
    def marks(self) -> frozenset[int]:
        return frozenset(self._marks)

    def toggle_mark(self) -> None:
        """Mark or unmark the cursor's order, and move down (so repeated presses mark many)."""
        order_id = self.cursor_id
        if order_id is None:
            return
        self._marks ^= {order_id}
        self.refresh_line(self._layout.row_of(self._cursor))
        self.post_message(self.MarksChanged())
        self.move_to(self._cursor + 1)

    def mark_all(self, limit: int) -> int:
        """Mark every listed order, up to ``limit``; returns how many are marked."""
        self._marks = set(self._ids[:limit])
        self.refresh()
        self.post_message(self.MarksChanged())
        return len(self._marks)

    def clear_marks(self) -> bool:
        """Unmark everything; False when nothing was marked."""
        if not self._marks:
            return False
        self._marks.clear()
        self.refresh()
        self.post_message(self.MarksChanged())
        return True

    # ----- drawing -----

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = max(self.scrollable_content_region.width, LINE_WIDTH)
        base = self.rich_style
        if row >= self._layout.rows:
            return self._message_line(y, width, base)
        where = self._layout.at(row)
        if isinstance(where, Heading):
            return self._strip(heading_cells(where.label, where.count, width), base, None)
        cursor = (
            self.get_component_rich_style("order-list--cursor") if where == self._cursor else None
        )
        return self._strip(self._cells(where, width), base, cursor)

    def _strip(self, cells: list[Cell], base: Style, cursor: Style | None) -> Strip:
        segments = []
        for text, name in cells:
            style = base if cursor is None else base + cursor
            if name:
                style += self.get_component_rich_style(f"order-list--{name}", partial=True)
            segments.append(Segment(text, style))
        strip = Strip(segments)
        scroll_x = self.scroll_offset.x
        return strip.crop_extend(scroll_x, scroll_x + self.scrollable_content_region.width, base)

    def _message_line(self, y: int, width: int, base: Style) -> Strip:
        if y != 0 or self._ids:
            return Strip.blank(self.scrollable_content_region.width, base)
        text = self.empty_text if self._loaded else "Loading…"
        style = base + self.get_component_rich_style("order-list--placeholder", partial=True)
        return Strip([Segment(placeholder_cells(text, width)[0][0], style)])

    def _cells(self, index: int, width: int) -> list[Cell]:
        order_id = self._ids[index]
        line = self._cache.get(order_id)
        if line is None or self._cache.stale([order_id]):
            self._request_page(index // self.page_size)
        if line is not None:
            return line_cells(line, self._now, width, order_id in self._marks)
        if self._cache.is_gone(order_id):
            return placeholder_cells("(this order no longer exists)", width)
        return placeholder_cells("…", width)

    # ----- reading pages -----

    def _request_page(self, page: int) -> None:
        key = (self._generation, page)
        if key in self._in_flight:
            return
        self._in_flight.add(key)
        self.run_worker(self._load_page(key), group="order-pages", exit_on_error=False)

    async def _load_page(self, key: tuple[int, int]) -> None:
        generation, page = key
        try:
            if generation != self._generation:
                return
            chunk = self._ids[page * self.page_size : (page + 1) * self.page_size]
            wanted = self._cache.missing(chunk) + self._cache.stale(chunk)
            if not wanted:
                return
            started = self._cache.epoch
            lines = await self._fetch(wanted)
            self._cache.put(wanted, lines, started)
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read orders", severity="error")
            return
        finally:
            self._in_flight.discard(key)
        if generation == self._generation:
            first = self._layout.row_of(page * self.page_size)
            last = self._layout.row_of(min(len(self._ids), (page + 1) * self.page_size) - 1)
            self.refresh_lines(first, last - first + 1)

    # ----- moving -----

    def move_to(self, index: int) -> None:
        if not self._ids:
            return
        old, self._cursor = self._cursor, max(0, min(index, len(self._ids) - 1))
        row = self._layout.row_of(self._cursor)
        if self._cursor == 0:
            row = 0  # the first group's heading stays in view above the first order
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)
        self.refresh_line(self._layout.row_of(old))
        self.refresh_line(self._layout.row_of(self._cursor))

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def cursor_down(self) -> None:
        self.move_to(self._cursor + 1)

    def cursor_up(self) -> None:
        self.move_to(self._cursor - 1)

    def page_down(self) -> None:
        step = self._page_height()
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, immediate=True)
        self.move_to(self._cursor + step)

    def page_up(self) -> None:
        step = self._page_height()
        self.scroll_to(y=max(0, self.scroll_offset.y - step), animate=False, immediate=True)
        self.move_to(self._cursor - step)

    def first(self) -> None:
        self.move_to(0)

    def last(self) -> None:
        self.move_to(len(self._ids) - 1)

    def open(self) -> None:
        order_id = self.cursor_id
        if order_id is not None:
            self.post_message(self.Opened(order_id))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y
        if row >= self._layout.rows:
            return
        where = self._layout.at(row)
        if isinstance(where, Heading):
            return
        self.move_to(where)
        if event.chain == 2:
            self.open()

    def on_focus(self) -> None:
        self.refresh_line(self._layout.row_of(self._cursor))

    def on_blur(self) -> None:
        self.refresh_line(self._layout.row_of(self._cursor))
