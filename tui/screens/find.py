"""The global find prompt (``ctrl+f``): any order by number, phone, name, email or tracking.

When one order matches, the prompt reads the whole order before it gives way, and the detail
replaces it at once: the agent sees the order, not the list flashing by in between.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sync.store import LookupKind
from tui.desk import READ_ERRORS, Desk
from tui.lookups import note_lookup
from tui.order_file import read_order_file
from tui.screens.detail import DetailScreen, Prefetched
from tui.screens.orders import FIND_LIMIT, OrdersScreen


class FindScreen(ModalScreen[str]):
    """Finds what the agent typed: one match opens in place of the prompt; otherwise it
    dismisses with the text (for the list of matches), or '' when the agent backs out."""

    CSS_PATH = "find.tcss"
    AUTO_FOCUS = "#find-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss('')", "Cancel", id="find.cancel"),
    ]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        with Vertical(id="find-box"):
            yield Static("Find an order", id="find-title")
            box = Input(placeholder="#1001, 王芳, 5678, +86 138…, SF123…, email", id="find-text")
            box.cursor_blink = False
            yield box
            yield Static("Enter finds in all orders · Esc cancels", id="find-hint")

    @on(Input.Submitted, "#find-text")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self._look_up(text)
        else:
            self.dismiss("")

    @work(exclusive=True, group="find", exit_on_error=False)
    async def _look_up(self, text: str) -> None:
        try:
            ids = await self.desk.store.find_orders(text, limit=2)
            prefetched = await prefetch(self.desk, ids[0]) if len(ids) == 1 else None
        except READ_ERRORS as error:
            self.notify(str(error), title="Find failed", severity="error")
            return
        if prefetched is None:
            self.dismiss(text)
        else:
            note_lookup(self.app, self.desk, LookupKind.FIND, ids[0])
            # Not awaited: the switch removes this screen, and with it this worker.
            self.app.switch_screen(DetailScreen(self.desk, ids[0], prefetched=prefetched))


async def prefetch(desk: Desk, order_id: int) -> Prefetched | None:
    """Everything the detail shows about the order, read before the detail opens."""
    file = await read_order_file(desk.store, order_id)
    if file is None:
        return None
    reply = await desk.store.reply_template(order_id, desk.config.language, desk.clock.now())
    return file, reply


async def show_matches(app: App[None], desk: Desk, text: str) -> None:
    """Find ``text`` in every order: open the one match, or list several in "all orders"."""
    try:
        ids = await desk.store.find_orders(text, limit=FIND_LIMIT)
        prefetched = await prefetch(desk, ids[0]) if len(ids) == 1 else None
    except READ_ERRORS as error:
        app.notify(str(error), title="Find failed", severity="error")
        return
    note_lookup(app, desk, LookupKind.FIND, ids[0] if len(ids) == 1 else None)
    if not ids:
        app.notify(f"No order matches “{text}”", severity="warning", markup=False)
    elif len(ids) == 1:
        await app.push_screen(DetailScreen(desk, ids[0], prefetched=prefetched))
    else:
        await app.switch_mode("all")
        while not isinstance(app.screen, OrdersScreen):
            await app.pop_screen()
        app.screen.show_found(text)
