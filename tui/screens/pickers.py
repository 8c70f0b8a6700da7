"""Small modal questions: pick one of a list (or type your own), and yes or no.

A picker is an input line over a list: typing narrows the list, ↑/↓ move in it, Enter takes
the highlighted choice (or, where typing is allowed, what was typed), Esc backs out. The mouse
works too: clicking a choice takes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen value, the typed text, or None."""

    CSS_PATH = "pickers.tcss"
    AUTO_FOCUS = "#choice-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="choice.cancel"),
        Binding("down", "move(1)", show=False, id="choice.down"),
        Binding("up", "move(-1)", show=False, id="choice.up"),
    ]

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str]], *, free_text: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.free_text = free_text
        """A placeholder when the agent may type a value of their own; '' when they may not."""

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(self.title_text, id="choice-title", markup=False)
            placeholder = self.free_text or "type to narrow the list"
            box = Input(placeholder=placeholder, id="choice-text")
            box.cursor_blink = False
            yield box
            options = OptionList(id="choice-list")
            options.can_focus = False
            options.display = bool(self.choices)
            yield options
            hint = "Enter takes it · Esc cancels"
            yield Static(("↑↓ choose · " if self.choices else "") + hint, id="choice-hint")

    def on_mount(self) -> None:
        self._show("")

    def _show(self, typed: str) -> None:
        options = self.query_one("#choice-list", OptionList)
        options.clear_options()
        wanted = typed.strip().lower()
        options.add_options(
            Option(label, id=value)
            for value, label in self.choices
            if wanted in label.lower() or wanted in value.lower()
        )
        options.highlighted = 0 if options.option_count else None

    @on(Input.Changed, "#choice-text")
    def _typed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#choice-list", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted, "#choice-text")
    def _entered(self, event: Input.Submitted) -> None:
        options = self.query_one("#choice-list", OptionList)
        typed = event.value.strip()
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        elif self.free_text and typed:
            self.dismiss(typed)
        else:
            self.app.bell()

    @on(OptionList.OptionSelected, "#choice-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class ConfirmScreen(ModalScreen[bool]):
    """A yes-or-no question: y or Enter says yes, n, q or Esc says no."""

    CSS_PATH = "pickers.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "dismiss(True)", "Yes", id="confirm.yes"),
        Binding("n,escape,q", "dismiss(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static("y yes · n no", id="confirm-hint")
