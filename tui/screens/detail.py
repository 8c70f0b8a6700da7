"""One order, whole: summary, parcels, escalations with their ladders, notes, the reply for the
customer, and the merged timeline. The verbs act on the order's most urgent open escalation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from sync.domain import EscalationRow
from sync.errors import OrderwatchError
from sync.store import Pushable
from sync.tracking_links import share_link_from_console
from tui import words
from tui.desk import READ_ERRORS, Desk
from tui.export import export_folder, export_name, export_timeline, exported_by
from tui.guard_dismiss import dismiss_guard
from tui.keys import Scope, bindings
from tui.live import Change
from tui.order_file import OrderFile, read_order_file
from tui.push import offer_push
from tui.screens import detail_text, guard_text
from tui.screens.acting import ActingScreen, Chosen
from tui.screens.base import ScrollsOne
from tui.verbs import UNACKNOWLEDGED, OrderRef, Verb
from tui.widgets.view_bar import ViewBar

Neighbour = Callable[[int, int], "int | None"]
"""Given an order and a step (+1, -1), the order next to it in the list it was opened from."""

Prefetched = tuple[OrderFile, "str | None"]
"""The order's file and its reply, when read before the screen opens."""

_URGENCY = {"firing": 0, "warning": 1, "acknowledged": 2}


def most_urgent(escalations: tuple[EscalationRow, ...], verb: Verb) -> EscalationRow | None:
    """The escalation of an order that ``verb`` means: the last resolved one for a reopen,
    else the most urgent open one (an unacknowledged one first for an acknowledgement)."""
    if verb is Verb.REOPEN:
        resolved = [e for e in escalations if e.state == "resolved"]
        return max(resolved, key=lambda e: (e.resolved_at or e.opened_at, e.id), default=None)
    waiting = [e for e in escalations if e.state in _URGENCY]
    if verb is Verb.ACKNOWLEDGE and any(e.state in UNACKNOWLEDGED for e in waiting):
        waiting = [e for e in waiting if e.state in UNACKNOWLEDGED]
    waiting.sort(key=lambda e: (_URGENCY[e.state], e.deadline_at, e.id))
    return waiting[0] if waiting else None


class DetailScreen(ScrollsOne, ActingScreen):
    SCROLLER = "detail"
    CSS_PATH = "detail.tcss"
    AUTO_FOCUS = "#detail"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(Scope.DETAIL), *bindings(Scope.VERBS)]
    SCOPES = (Scope.DETAIL, Scope.VERBS)
    HELP = "One order: its escalations and their ladders, notes, the reply, the timeline."

    def __init__(
        self,
        desk: Desk,
        order_id: int,
        neighbour: Neighbour | None = None,
        prefetched: Prefetched | None = None,
    ) -> None:
        super().__init__(desk)
        self.order_id = order_id
        self.neighbour = neighbour
        self.file: OrderFile | None = prefetched[0] if prefetched else None
        self.reply: str | None = prefetched[1] if prefetched else None
        languages = [desk.config.language, "zh", "en"]
        self.languages = list(dict.fromkeys(languages))
        self.language = self.languages[0]
        self.pushable: list[Pushable] = []
        """Tracking numbers the shop lacks: ``P`` is offered only while there are some."""

    def compose(self) -> ComposeResult:
        yield from self.frame_top("Order …")
        with VerticalScroll(id="detail", can_focus=True):
            yield Static("Loading…", id="summary", markup=False)
            yield Static(id="guards", markup=False)
            yield Static(id="parcels", markup=False)
            yield Static(id="escalations", markup=False)
            yield Static(id="notes", markup=False)
            yield Static(id="reply", markup=False)
            yield Static(id="timeline", markup=False)
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.find_pushable()
        if self.file is None:
            self.load()
        else:
            self._draw(self.desk.clock.now())

    @work(exclusive=True, group="order-file", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.store
        try:
            file = await read_order_file(store, self.order_id)
            reply = None
            if file is not None:
                now = self.desk.clock.now()
                reply = await store.reply_template(self.order_id, self.language, now)
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read the order", severity="error")
            return
        if file is None:
            self.query_one("#summary", Static).update("This order no longer exists.")
            return
        self.file, self.reply = file, reply
        self._draw(self.desk.clock.now())
        self.find_pushable()

    @work(exclusive=True, group="pushable", exit_on_error=False)
    async def find_pushable(self) -> None:
        try:
            self.pushable = await self.desk.store.pushable_tracking(self.order_id)
        except READ_ERRORS:
            self.pushable = []
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return bool(self.pushable) if action == "push_tracking" else True

    @work(group="verbs", exit_on_error=False)
    async def action_push_tracking(self) -> None:
        if self.file is not None:
            order = OrderRef(self.order_id, self.file.order.number)
            await offer_push(self, order, self.pushable)

    def _draw(self, now: datetime) -> None:
        file = self.file
        if file is None:
            return
        order = file.order
        status = words.order_status(order.payment_status, order.fulfillment_status, order.lifecycle)
        self.query_one(ViewBar).show(f"Order {order.number} · {status}")
        zone = self.desk.zone
        width = max(40, self.app.size.width - 1)
        sections = {
            "#summary": detail_text.summary(file, now, zone),
            "#parcels": detail_text.parcels(file, zone),
            "#escalations": detail_text.escalations(file, now, zone, width),
            "#notes": detail_text.notes(file, zone, width),
            "#reply": detail_text.reply(self.reply, self.language, width),
            "#timeline": detail_text.timeline_text(file, zone, now, width),
        }
        for selector, content in sections.items():
            self.query_one(selector, Static).update(content)
        flags = self.query_one("#guards", Static)
        flags.update(guard_text.guard_flags(file, zone, width))
        flags.display = bool(file.guards)

    def on_resize(self) -> None:
        self._draw(self.desk.clock.now())

    def apply_change(self, change: Change) -> None:
        if change.everything or self.order_id in change.order_ids:
            self.load()

    def minute_passed(self, now: datetime) -> None:
        self._draw(now)

    # ----- what the verbs act on -----

    async def chosen(self, verb: Verb) -> Chosen:
        file = self.file
        if file is None:
            return Chosen()
        escalation = most_urgent(file.escalations, verb)
        concerns = most_urgent(file.escalations, Verb.NOTE)
        order = OrderRef(self.order_id, file.order.number, concerns.id if concerns else None)
        found = () if escalation is None else (escalation,)
        return Chosen(found, (order,), without=0 if found else 1)

    def action_export(self, path: str = "") -> None:
        self._export(Path(path).expanduser() if path else None)

    @work(group="export", exit_on_error=False)
    async def _export(self, path: Path | None) -> None:
        file, desk = self.file, self.desk
        if file is None:
            self.notify("The order is still being read", severity="warning")
            return
        now = desk.clock.now()
        title = f"order {file.order.number.lstrip('#')} timeline"
        if path is None:
            path = export_folder(desk.config.export_dir) / export_name(title, now, desk.zone)
        filters = [("view", f"Order {file.order.number}, its timeline")]
        filters.append(exported_by(desk.agent, now, desk.zone))
        try:
            written = await asyncio.to_thread(export_timeline, file, path, desk.zone, filters)
        except OSError as error:
            self.notify(str(error), title="Export failed", severity="error")
            return
        self.notify(f"Exported {written:,} lines to {path}", title="Exported")

    def action_reopen(self) -> None:
        self.act(Verb.REOPEN)

    # ----- keys -----

    def action_back(self) -> None:
        self.dismiss()

    def _step(self, step: int) -> None:
        found = self.neighbour(self.order_id, step) if self.neighbour else None
        if found is None:
            self.notify("No more orders that way", severity="warning", timeout=2)
            return
        self.order_id, self.file, self.reply = found, None, None
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)
        self.load()

    def action_next_order(self) -> None:
        self._step(1)

    def action_previous_order(self) -> None:
        self._step(-1)

    def action_open_tracking(self) -> None:
        url = self.file.tracking_url() if self.file else None
        if url is None:
            self.notify("Nothing shipped yet: no tracking page", severity="warning")
            return
        self.app.open_url(url)
        self.notify(url, title="Tracking page opened", timeout=4)

    def action_copy_reply(self) -> None:
        if not self.reply:
            self.notify("No reply fits this order's situation", severity="warning")
            return
        self.app.copy_to_clipboard(self.reply)
        # Shown too: a terminal without OSC 52 support still lets the agent select it.
        self.notify(self.reply, title=f"Reply copied ({self.language})", timeout=6)

    @work(exclusive=True, group="share-link", exit_on_error=False)
    async def action_share_link(self) -> None:
        desk = self.desk
        try:
            shared = await share_link_from_console(
                desk.store,
                desk.store.db.path,
                self.order_id,
                actor=desk.agent,
                now=desk.clock.now(),
            )
        except OrderwatchError as error:
            self.notify(str(error), title="No tracking link", severity="warning")
            return
        self.app.copy_to_clipboard(shared.url)
        until = shared.expires_at.astimezone(desk.zone).strftime("%Y-%m-%d %H:%M")
        # Shown too: a terminal without OSC 52 support still lets the agent select it.
        self.notify(shared.url, title=f"Tracking link copied (valid until {until})", timeout=8)

    @work(exclusive=True, group="refresh-parcel", exit_on_error=False)
    async def action_refresh_parcel(self) -> None:
        """Ask the daemon, through the database, for the parcels' tracks now."""
        file = self.file
        parcels = [p.shipment for p in file.parcels if p.shipment.tracking_number] if file else []
        if not parcels:
            self.notify("Nothing shipped yet: no parcel to refresh", severity="warning")
            return
        desk = self.desk
        try:
            for shipment in parcels:
                await desk.store.request_refresh(shipment.id, desk.agent, desk.clock.now())
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot ask for a refresh", severity="error")
            return
        numbers = ", ".join(s.tracking_number for s in parcels)
        self.notify(f"Refreshing {numbers}…", timeout=3)
        self.load()

    @work(exclusive=True, group="dismiss-guard", exit_on_error=False)
    async def action_dismiss_guard(self, check: str = "") -> None:
        if await dismiss_guard(self, check):
            self.load()

    def action_reply_language(self) -> None:
        index = self.languages.index(self.language)
        self.language = self.languages[(index + 1) % len(self.languages)]
        self.load()
