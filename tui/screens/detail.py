"""One order, whole: summary, parcels, escalations, and the merged timeline."""

from __future__ import annotations

from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from sync.domain import EscalationRow
from tui import words
from tui.acknowledge import acknowledge, to_acknowledge
from tui.desk import READ_ERRORS, Desk
from tui.keys import Scope, bindings
from tui.live import Change
from tui.order_file import OrderFile, read_order_file
from tui.screens import detail_text
from tui.screens.base import LiveScreen
from tui.widgets.view_bar import ViewBar


class DetailScreen(LiveScreen):
    CSS_PATH = "detail.tcss"
    AUTO_FOCUS = "#detail"
    BINDINGS = bindings(Scope.DETAIL)

    def __init__(self, desk: Desk, order_id: int) -> None:
        super().__init__(desk)
        self.order_id = order_id
        self.file: OrderFile | None = None

    def compose(self) -> ComposeResult:
        yield ViewBar("Order …", self.side_text(self.desk.clock.now()), id="view-bar")
        with VerticalScroll(id="detail", can_focus=True):
            yield Static("Loading…", id="summary", markup=False)
            yield Static(id="parcels", markup=False)
            yield Static(id="escalations", markup=False)
            yield Static(id="timeline", markup=False)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="order-file", exit_on_error=False)
    async def load(self) -> None:
        try:
            file = await read_order_file(self.desk.store, self.order_id)
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read the order", severity="error")
            return
        if file is None:
            self.query_one("#summary", Static).update("This order no longer exists.")
            return
        self.file = file
        self._draw(self.desk.clock.now())

    def _draw(self, now: datetime) -> None:
        file = self.file
        if file is None:
            return
        order = file.order
        status = words.order_status(order.payment_status, order.fulfillment_status, order.lifecycle)
        self.query_one(ViewBar).show(f"Order {order.number} · {status}")
        zone = self.desk.zone
        width = max(40, self.app.size.width - 1)
        self.query_one("#summary", Static).update(detail_text.summary(file, now, zone))
        self.query_one("#parcels", Static).update(detail_text.parcels(file, zone))
        self.query_one("#escalations", Static).update(
            detail_text.escalations(file, now, zone, width)
        )
        self.query_one("#timeline", Static).update(
            detail_text.timeline_text(file, zone, now, width)
        )

    def on_resize(self) -> None:
        self._draw(self.desk.clock.now())

    def apply_change(self, change: Change) -> None:
        if change.everything or self.order_id in change.order_ids:
            self.load()

    def minute_passed(self, now: datetime) -> None:
        self._draw(now)

    # ----- keys -----

    def action_back(self) -> None:
        self.dismiss()

    def action_acknowledge(self) -> None:
        escalation = to_acknowledge(self.file.escalations) if self.file else None
        if escalation is None:
            self.notify(
                "This order has no escalation waiting for acknowledgement", severity="warning"
            )
            return
        self._acknowledge(escalation)

    @work(group="acknowledge", exit_on_error=False)
    async def _acknowledge(self, escalation: EscalationRow) -> None:
        outcome = await acknowledge(self.desk, escalation)
        self.notify(outcome.message, title=outcome.title, severity=outcome.severity)
        self.load()

    def _scroller(self) -> VerticalScroll:
        return self.query_one("#detail", VerticalScroll)

    def action_scroll_down(self) -> None:
        self._scroller().scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self._scroller().scroll_up(animate=False)

    def action_page_down(self) -> None:
        self._scroller().scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self._scroller().scroll_page_up(animate=False)

    def action_scroll_home(self) -> None:
        self._scroller().scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self._scroller().scroll_end(animate=False)
