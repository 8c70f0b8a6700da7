"""The filter box of a view: hidden until ``/``, it narrows the list as the agent types."""

from __future__ import annotations

from textual.widgets import Input

from tui.css import beside


class FilterBar(Input):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, id: str | None = None) -> None:
        super().__init__(
            placeholder="filter: order number, name, phone or its last 4, email, tracking",
            id=id,
        )
        # A blinking cursor re-sends its line twice a second over SSH; a steady one is enough.
        self.cursor_blink = False

    def open(self) -> None:
        self.display = True
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.display = False
