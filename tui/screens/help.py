"""The key help (``?``) of the view in use, written from the key registry so it cannot drift
from the bindings: the view in a line, its keys, the keys that work everywhere, and the words
the ``/`` filter understands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.filters import FIELD_NAMES
from tui.keys import Scope, in_scope, keys_label

KEY_WIDTH = 20


def help_text(scopes: Sequence[Scope], about: str = "") -> Content:
    parts: list[str | tuple[str, str]] = []
    if about:
        parts += [(about, "italic"), "\n\n"]
    for scope in [*scopes, Scope.APP]:
        keys = [key for key in in_scope(scope) if key.keys]
        if not keys:
            continue
        parts += [(scope.value, "bold $accent"), "\n"]
        for key in keys:
            parts += [(f"  {keys_label(key):<{KEY_WIDTH}}", "bold"), key.description, "\n"]
        parts.append("\n")
    if Scope.LIST in scopes:
        parts += [("Filter words (field:value, ! negates, commas for any of)", "bold $accent")]
        parts += ["\n  ", ", ".join(FIELD_NAMES), "\n"]
    parts += ["\n", ("Every command, with its key: ctrl+p or :", "$text-muted")]
    return Content.assemble(*parts).rstrip()


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    AUTO_FOCUS = "#help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll('down')", show=False, id="help.down"),
        Binding("k,up", "scroll('up')", show=False, id="help.up"),
    ]

    def __init__(self, scopes: Sequence[Scope] = (), about: str = "") -> None:
        super().__init__()
        self.scopes = tuple(scopes)
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", can_focus=True):
            yield Static(help_text(self.scopes, self.about), id="help-keys")

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
