"""The global find prompt (``ctrl+f``): any order by number, phone, name, email or tracking."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.desk import READ_ERRORS, Desk
from tui.screens.detail import DetailScreen
from tui.screens.orders import FIND_LIMIT, OrdersScreen


class FindScreen(ModalScreen[str]):
    """Asks what to look for; dismisses with the text, or '' when the agent backs out."""

    CSS_PATH = "find.tcss"
    AUTO_FOCUS = "#find-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss('')", "Cancel", id="find.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="find-box"):
            yield Static("Find an order", id="find-title")
            box = Input(placeholder="#1001, 王芳, 5678, +86 138…, SF123…, email", id="find-text")
            box.cursor_blink = False
            yield box
            yield Static(
                "Enter finds in all orders · Esc cancels",
                id="find-hint",
            )

    @on(Input.Submitted, "#find-text")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


async def show_matches(app: App[None], desk: Desk, text: str) -> None:
    """Find ``text`` in every order: open the one match, or list several in "all orders"."""
    try:
        ids = await desk.store.find_orders(text, limit=FIND_LIMIT)
    except READ_ERRORS as error:
        app.notify(str(error), title="Find failed", severity="error")
        return
    if not ids:
        app.notify(f"No order matches “{text}”", severity="warning")
    elif len(ids) == 1:
        await app.push_screen(DetailScreen(desk, ids[0]))
    else:
        await app.switch_mode("all")
        while not isinstance(app.screen, OrdersScreen):
            await app.pop_screen()
        app.screen.show_found(text)
