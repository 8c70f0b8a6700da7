"""The filter box of a view: hidden until ``/``, it narrows the list as the agent types.

A second line appears under it while part of the filter cannot be understood (an unknown field,
a misspelt status), saying what and suggesting the right word; the rest of the filter applies.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tui.css import beside


class FilterBar(Vertical):
    DEFAULT_CSS = beside(__file__)

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-line"):
            yield Static("/", id="filter-prompt")
            box = Input(placeholder="text, or field:value  status:exception age:>2d !carrier:sf")
            # A blinking cursor re-sends its line twice a second over SSH; a steady one is enough.
            box.cursor_blink = False
            yield box
        yield Static(id="filter-problem", markup=False)

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
        self.show_problems(())
        self.display = False

    def show_problems(self, problems: Sequence[str]) -> None:
        line = self.query_one("#filter-problem", Static)
        line.display = bool(problems)
        line.update("; ".join(problems))
