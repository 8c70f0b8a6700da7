"""The filter box of a view: hidden until ``/``, it narrows the list as the agent types."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static

from tui.css import beside


class FilterBar(Horizontal):
    DEFAULT_CSS = beside(__file__)

    def compose(self) -> ComposeResult:
        yield Static("/", id="filter-prompt")
        box = Input(placeholder="order number, name, phone or its last 4, email, tracking")
        # A blinking cursor re-sends its line twice a second over SSH; a steady one is enough.
        box.cursor_blink = False
        yield box

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self.input.value = text

    def open(self) -> None:
        self.display = True
        self.input.focus()

    def close(self) -> None:
        self.input.value = ""
        self.display = False
