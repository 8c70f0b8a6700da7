"""The order list's column titles, drawn with the same widths as the lines below them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.css import beside
from tui.widgets.order_columns import LINE_WIDTH, header_cells


class ColumnHeader(Static):
    DEFAULT_CSS = beside(__file__)

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = max(LINE_WIDTH, self.size.width - 1)
        self.update(Text("".join(text for text, _ in header_cells(width))))
