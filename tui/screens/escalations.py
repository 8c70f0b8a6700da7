"""The escalation lists: open (firing and warning first, then by time left), mine, snoozed.

An escalation about a feed (a rule about a source, such as a stale tracking feed) has no order:
its line names the feed, and opening it shows the feed's health in one line instead of an order.

There are hundreds at most, so the built-in DataTable does: rows are keyed by escalation id and a
refresh changes only the cells that changed (a countdown, who acknowledged), so the cursor and the
terminal stay still. Countdowns are in minutes and move when the minute does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Input, Static

from sync.domain import EscalationRow
from sync.store import LookupKind, SourceHealth
from sync.store.views import OrderQuery, View
from tui import words
from tui.desk import READ_ERRORS, Desk
from tui.export import (
    export_escalations,
    export_folder,
    export_name,
    exported_by,
    view_filters,
)
from tui.filters import Context, parse
from tui.keys import Scope, bindings
from tui.live import Change
from tui.lookups import note_lookup
from tui.screens.acting import Chosen
from tui.screens.detail import DetailScreen
from tui.screens.listing import ListingScreen
from tui.verbs import OrderRef, Verb
from tui.views import EscalationView
from tui.widgets.filter_bar import FilterBar

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mark", " ", 1),
    ("severity", "Sev", 4),
    ("order", "Order", 8),
    ("rule", "Rule", 14),
    ("summary", "Summary", 16),
    ("left", "Left", 7),
    ("state", "State", 6),
    ("owner", "Owner", 7),
)

_SEVERITY = {"critical": ("crit", "bold red"), "warning": ("warn", "yellow"), "info": ("info", "")}
_STATE = {"firing": "bold red", "warning": "yellow", "acknowledged": "green"}
_URGENCY = {"firing": 0, "warning": 1, "acknowledged": 2}

SORTS: dict[str, str] = {
    "urgency": "firing and warning first, then time left",
    "left": "time left",
    "order": "order number",
    "rule": "rule",
    "owner": "owner",
}

Cells = tuple[Text, ...]


def escalation_cells(esc: EscalationRow, now: datetime, marked: bool = False) -> Cells:
    severity, severity_style = _SEVERITY.get(esc.severity, (esc.severity[:4], ""))
    late = words.overdue(esc.deadline_at, now)
    if esc.snoozed(now) and esc.snoozed_until is not None:
        left = Text("z" + words.time_left(esc.snoozed_until, now), style="dim", justify="right")
    else:
        left = Text(
            words.time_left(esc.deadline_at, now), style="bold red" if late else "", justify="right"
        )
    return (
        Text("*" if marked else " ", style="bold"),
        Text(severity, style=severity_style),
        Text(esc.about, overflow="ellipsis", no_wrap=True),
        Text(esc.rule_id, overflow="ellipsis", no_wrap=True),
        Text(esc.summary, overflow="ellipsis", no_wrap=True),
        left,
        Text(words.escalation_state_words(esc.state), style=_STATE.get(esc.state, "")),
        Text(esc.assignee or esc.acked_by or "—", overflow="ellipsis", no_wrap=True),
    )


def sort_key(name: str) -> Callable[[EscalationRow], tuple[Any, ...]]:
    def key(esc: EscalationRow) -> tuple[Any, ...]:
        by: dict[str, tuple[object, ...]] = {
            "urgency": (_URGENCY.get(esc.state, 3), esc.deadline_at),
            "left": (esc.deadline_at,),
            "order": (esc.about,),
            "rule": (esc.rule_id, esc.deadline_at),
            "owner": (esc.assignee or esc.acked_by or "~", esc.deadline_at),
        }
        return (*by[name], esc.id)

    return key


def feed_health(health: SourceHealth, now: datetime) -> str:
    """A feed's health in one line: when it last answered, its last error, its breaker."""
    if health.last_success_at is None:
        parts = ["never answered"]
    else:
        ago = words.age(health.last_success_at, now)
        parts = ["answered just now" if ago == "now" else f"last answered {ago} ago"]
    if health.last_error:
        parts.append(f"last error: {health.last_error}")
    if health.breaker != "closed":
        parts.append(f"breaker {health.breaker.replace('_', '-')}")
    return "; ".join(parts)


class EscalationsScreen(ListingScreen):
    CSS_PATH = "escalations.tcss"
    AUTO_FOCUS = "#escalations"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(Scope.LIST), *bindings(Scope.VERBS)]
    SCOPES = (Scope.LIST, Scope.VERBS)

    def __init__(self, desk: Desk, view: EscalationView) -> None:
        super().__init__(desk)
        self.view = view
        self.rows: dict[str, EscalationRow] = {}
        self._cells: dict[str, Cells] = {}
        self.marks: set[str] = set()
        self.sort = "urgency"
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield from self.frame_top(f"{self.view.title} · counting…")
        table: DataTable[Text] = DataTable(id="escalations", cursor_type="row")
        for key, label, width in COLUMNS:
            table.add_column(label, width=width, key=key)
        yield table
        yield Static(self.view.empty, id="empty")
        yield FilterBar(id="filter")
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        self.reload()

    def help_line(self) -> str:
        return self.view.help

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#escalations", DataTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter", FilterBar)

    @work(exclusive=True, group="escalations", exit_on_error=False)
    async def reload(self) -> None:
        desk = self.desk
        now = desk.clock.now()
        parsed = parse(self.filter_text, Context(desk.agent, now, desk.zone))
        query = OrderQuery(view=View.ALL, text=parsed.text, filters=parsed.filters)
        try:
            rows = await desk.store.escalation_list(
                self.view.which, agent=desk.agent, now=now, query=query
            )
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read escalations", severity="error")
            return
        if self.sort != "urgency" or self.reverse:
            rows.sort(key=sort_key(self.sort), reverse=self.reverse)
        self.rows = {str(row.id): row for row in rows}
        self.marks &= set(self.rows)
        self.loaded = True
        self.filter_bar.show_problems(parsed.problems)
        self._show(now)

    def apply_change(self, change: Change) -> None:
        self.reload()

    def minute_passed(self, now: datetime) -> None:
        self._show(now)
        if not self.desk.board.paused:
            self.reload()  # a snooze may have ended

    # ----- updating the table by difference -----

    def _show(self, now: datetime) -> None:
        wanted = {
            key: escalation_cells(row, now, key in self.marks) for key, row in self.rows.items()
        }
        table = self.table
        existing = [key for row in table.ordered_rows if isinstance(key := row.key.value, str)]
        kept = [key for key in existing if key in wanted]
        with self.app.batch_update():
            if kept != list(wanted)[: len(kept)]:
                self._rebuild(wanted)
            else:
                for key in existing:
                    if key not in wanted:
                        table.remove_row(key)
                        self._cells.pop(key, None)
                self._update(wanted, kept)
        self.query_one("#empty").display = not wanted
        self.show_title()

    def _update(self, wanted: dict[str, Cells], kept: list[str]) -> None:
        table = self.table
        for key in kept:
            old = self._cells.get(key)
            for (column, _, _), value, before in zip(
                COLUMNS, wanted[key], old or [None] * len(COLUMNS), strict=True
            ):
                if before is None or value != before:
                    table.update_cell(key, column, value)
            self._cells[key] = wanted[key]
        for key in list(wanted)[len(kept) :]:
            table.add_row(*wanted[key], key=key)
            self._cells[key] = wanted[key]

    def _rebuild(self, wanted: dict[str, Cells]) -> None:
        table = self.table
        selected = self.selected_key()
        table.clear()
        self._cells = dict(wanted)
        for key, cells in wanted.items():
            table.add_row(*cells, key=key)
        if selected in wanted:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    def _title(self) -> str:
        if not self.loaded:
            return f"{self.view.title} · counting…"
        firing = sum(1 for row in self.rows.values() if row.state == "firing")
        text = f"{self.view.title} · {len(self.rows)} open · {firing} firing"
        if self.sort != "urgency" or self.reverse:
            text += f" · by {self.sort}{' ↑' if self.reverse else ''}"
        if self.marks:
            text += f" · {len(self.marks)} marked"
        return f"{text} · filter “{self.filter_text}”" if self.filter_text else text

    # ----- keys -----

    def selected_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if isinstance(key, str) else None

    def selected(self) -> EscalationRow | None:
        key = self.selected_key()
        return None if key is None else self.rows.get(key)

    def action_cursor_down(self) -> None:
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.table.action_cursor_up()

    def action_page_down(self) -> None:
        self.table.action_page_down()

    def action_page_up(self) -> None:
        self.table.action_page_up()

    def action_first(self) -> None:
        self.table.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        self.table.move_cursor(row=self.table.row_count - 1, animate=False)

    def action_open(self) -> None:
        escalation = self.selected()
        if escalation is None:
            return
        if escalation.order_id is None:
            self.show_feed(escalation.source)
            return
        note_lookup(self.app, self.desk, LookupKind.OPEN, escalation.order_id)
        self.app.push_screen(DetailScreen(self.desk, escalation.order_id, self._neighbour))

    @work(group="feed", exit_on_error=False)
    async def show_feed(self, name: str) -> None:
        """An escalation about a feed has no order to open: say how the feed is doing."""
        try:
            found = [h for h in await self.desk.store.source_health() if h.name == name]
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read the feed", severity="error")
            return
        line = feed_health(found[0], self.desk.clock.now()) if found else "no longer configured"
        self.notify(f"{name}: {line}", title="Feed, not an order", markup=False)

    def _neighbour(self, order_id: int, step: int) -> int | None:
        """The order ``step`` lines from ``order_id`` (lines about a feed are passed over)."""
        rows = [row for row in self.rows.values() if row.order_id is not None]
        places = [n for n, row in enumerate(rows) if row.order_id == order_id]
        if not places:
            return None
        index = places[0] + step
        if not 0 <= index < len(rows):
            return None
        self.table.move_cursor(row=self.table.get_row_index(str(rows[index].id)), animate=False)
        return rows[index].order_id

    @on(DataTable.RowSelected, "#escalations")
    def _row_selected(self) -> None:
        self.action_open()

    def action_filter(self, text: str | None = None) -> None:
        if text is not None:
            self.filter_text = text.strip()
            self.reload()
            return
        self.filter_bar.value = self.filter_text
        self.filter_bar.open()

    @on(Input.Changed, "#filter Input")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value.strip() != self.filter_text:
            self.filter_text = event.value.strip()
            self.reload()

    @on(Input.Submitted, "#filter Input")
    def _filter_done(self) -> None:
        if not self.filter_text:
            self.filter_bar.close()
        self.table.focus()

    def action_clear(self) -> None:
        if self.filter_bar.display or self.filter_text:
            self.filter_bar.close()
            self.filter_text = ""
            self.table.focus()
            self.reload()
        elif self.marks:
            self.action_clear_marks()

    def action_mark(self) -> None:
        key = self.selected_key()
        if key is None:
            return
        self.marks ^= {key}
        self._show(self.desk.clock.now())
        self.table.action_cursor_down()

    def action_mark_all(self) -> None:
        self.marks = set(self.rows)
        self._show(self.desk.clock.now())

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self._show(self.desk.clock.now())

    def action_copy_number(self) -> None:
        escalation = self.selected()
        if escalation is not None:
            self.app.copy_to_clipboard(escalation.about)
            self.notify(f"Copied {escalation.about}", timeout=2)

    def sort_choices(self) -> list[tuple[str, str]]:
        return list(SORTS.items())

    @property
    def sort_name(self) -> str:
        return self.sort

    def set_sort(self, name: str, reverse: bool | None = None) -> None:
        self.sort = name
        if reverse is not None:
            self.reverse = reverse
        self.reload()

    async def export_to(self, path: Path | None) -> None:
        desk = self.desk
        now = desk.clock.now()
        if path is None:
            path = export_folder(desk.config.export_dir) / export_name(
                self.view.title, now, desk.zone
            )
        filters = view_filters(
            self.view.title,
            typed=self.filter_text,
            sort=f"{self.sort}{' reversed' if self.reverse else ''}",
        )
        filters.append(exported_by(desk.agent, now, desk.zone))
        written = export_escalations(list(self.rows.values()), path, desk.zone, filters)
        self.notify(f"Exported {written:,} escalations to {path}", title="Exported")

    # ----- what the verbs act on -----

    async def chosen(self, verb: Verb) -> Chosen:
        keys = [k for k in self.rows if k in self.marks] or [
            k for k in [self.selected_key()] if k is not None
        ]
        escalations = tuple(self.rows[k] for k in keys)
        orders = tuple(OrderRef(e.order_id, e.about, e.id) for e in escalations)
        return Chosen(escalations, orders)

    def submitted(self) -> None:
        if self.marks:
            self.action_clear_marks()
