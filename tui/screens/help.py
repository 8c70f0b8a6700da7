"""The key help (``?``), written from the key registry so it cannot drift from the bindings."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import Scope, in_scope, keys_label

KEY_WIDTH = 17


def help_text() -> Content:
    parts: list[str | tuple[str, str]] = []
    for scope in Scope:
        keys = in_scope(scope)
        if not keys:
            continue
        if parts:
            parts.append("\n")
        parts += [(scope.value, "bold $accent"), "\n"]
        for key in keys:
            parts += [(f"  {keys_label(key):<{KEY_WIDTH}}", "bold"), key.description, "\n"]
    return Content.assemble(*parts).rstrip()


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    AUTO_FOCUS = "#help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll('down')", show=False, id="help.down"),
        Binding("k,up", "scroll('up')", show=False, id="help.up"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", can_focus=True):
            yield Static(help_text(), id="help-keys")

    def on_mount(self) -> None:
        box = self.query_one("#help", VerticalScroll)
        box.border_title = "orderwatch keys"
        box.border_subtitle = "Esc closes · j/k scroll"

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#help", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)
