"""The top line of a view: what is shown, how many, and who is looking."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui.css import beside


class ViewBar(Horizontal):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, title: str, side: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self._side = side

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="view-title", markup=False)
        yield Static(self._side, id="view-side", markup=False)

    def show(self, title: str | None = None, side: str | None = None) -> None:
        if title is not None:
            self.query_one("#view-title", Static).update(title)
        if side is not None:
            self.query_one("#view-side", Static).update(side)
