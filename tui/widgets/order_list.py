"""The order list: a line-API view over an ordered list of order ids.

It holds only the ids of the orders in its view (8 bytes an order) and draws the lines on screen
from a small cache. A line that is not cached yet is drawn as a placeholder while a worker reads
its whole page (``page_size`` ids) from the store; the message pump never waits on SQLite. The
cursor is an order id as much as a position: when the ids change, it stays on the same order.
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
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sync.clock import Clock
from sync.store import QueueLine
from tui.css import beside
from tui.desk import READ_ERRORS
from tui.keys import Scope, bindings
from tui.row_cache import RowCache
from tui.widgets.order_columns import LINE_WIDTH, Cell, line_cells, placeholder_cells

FetchLines = Callable[[Sequence[int]], Awaitable[list[QueueLine]]]

_STYLED = ("firing", "warning", "acknowledged", "trouble", "closed", "placeholder")


class OrderList(ScrollView, can_focus=True):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = bindings(Scope.LIST)
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "order-list--cursor",
        *(f"order-list--{name}" for name in _STYLED),
    }

    class Opened(Message):
        """The agent asked to open an order."""

        def __init__(self, order_id: int) -> None:
            super().__init__()
            self.order_id = order_id

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
        self._cursor = 0
        self._loaded = False
        self._cache = RowCache(cache_rows)
        self._generation = 0
        self._in_flight: set[tuple[int, int]] = set()
        self._now = clock.now()

    # ----- what the screen asks -----

    @property
    def loaded(self) -> bool:
        """True once the first id list arrived."""
        return self._loaded

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

    def set_ids(
        self, ids: Sequence[int], *, keep_cursor: bool = True, changed: Iterable[int] = ()
    ) -> None:
        """Show these orders; the cursor stays on its order when that order is still listed.

        ``changed`` are orders to read again, marked together with the new ids so that nothing
        is drawn (or fetched) in between. When the cursor stays, it also keeps its line on
        screen: orders arriving above it push the list, not the agent's selection. At the very
        top of the list the top stays in view instead, so new arrivals are seen.
        """
        keep_id = self.cursor_id if keep_cursor else None
        at_top = self.scroll_offset.y == 0
        screen_row = self._cursor - self.scroll_offset.y
        self._cache.invalidate(changed)
        self._ids = ids if isinstance(ids, array) else array("q", ids)
        self._loaded = True
        self._generation += 1
        self._in_flight.clear()
        cursor = self._cursor if keep_cursor else 0
        if keep_id is not None:
            with suppress(ValueError):
                cursor = self._ids.index(keep_id)
        self._cursor = max(0, min(cursor, len(self._ids) - 1))
        self.virtual_size = Size(LINE_WIDTH, len(self._ids))
        top = self._cursor - screen_row if keep_cursor else 0
        height = max(1, self.scrollable_content_region.height)
        if at_top and self._cursor < height:
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
        self._move_to(index)
        return True

    def tick(self, now: datetime) -> None:
        """The clock moved on a minute: ages on screen change."""
        self._now = now
        self.refresh()

    # ----- drawing -----

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = max(self.scrollable_content_region.width, LINE_WIDTH)
        base = self.rich_style
        if index >= len(self._ids):
            return self._message_line(y, width, base)
        cells = self._cells(index, width)
        cursor = (
            self.get_component_rich_style("order-list--cursor") if index == self._cursor else None
        )
        segments = []
        for text, name in cells:
            style = base if cursor is None else base + cursor
            if name:
                style += self.get_component_rich_style(f"order-list--{name}", partial=True)
            segments.append(Segment(text, style))
        strip = Strip(segments, width)
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
            return line_cells(line, self._now, width)
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
            self.refresh_lines(page * self.page_size, self.page_size)

    # ----- moving -----

    def _move_to(self, index: int) -> None:
        if not self._ids:
            return
        old, self._cursor = self._cursor, max(0, min(index, len(self._ids) - 1))
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True)
        self.refresh_line(old)
        self.refresh_line(self._cursor)

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self._move_to(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self._cursor - 1)

    def action_page_down(self) -> None:
        step = self._page_height()
        self.scroll_to(y=self.scroll_offset.y + step, animate=False, immediate=True)
        self._move_to(self._cursor + step)

    def action_page_up(self) -> None:
        step = self._page_height()
        self.scroll_to(y=max(0, self.scroll_offset.y - step), animate=False, immediate=True)
        self._move_to(self._cursor - step)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self._ids) - 1)

    def action_open(self) -> None:
        order_id = self.cursor_id
        if order_id is not None:
            self.post_message(self.Opened(order_id))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if index < len(self._ids):
            self._move_to(index)
            if event.chain == 2:
                self.action_open()

    def on_focus(self) -> None:
        self.refresh_line(self._cursor)

    def on_blur(self) -> None:
        self.refresh_line(self._cursor)
