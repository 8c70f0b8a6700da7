"""The open escalations: firing first, then by deadline.

There are hundreds at most, so the built-in DataTable does: rows are keyed by escalation id and a
refresh changes only the cells that changed (a countdown, who acknowledged), so the cursor and the
terminal stay still.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Footer, Static

from sync.domain import EscalationRow
from tui import words
from tui.acknowledge import acknowledge
from tui.desk import READ_ERRORS, Desk
from tui.keys import Scope, bindings
from tui.live import Change
from tui.screens.base import LiveScreen
from tui.screens.detail import DetailScreen
from tui.widgets.view_bar import ViewBar

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("severity", "Sev", 4),
    ("order", "Order", 8),
    ("rule", "Rule", 15),
    ("summary", "Summary", 18),
    ("left", "Left", 7),
    ("state", "State", 6),
    ("acked_by", "Acked", 7),
)

_SEVERITY = {"critical": ("crit", "bold red"), "warning": ("warn", "yellow"), "info": ("info", "")}
_STATE = {"firing": "bold red", "warning": "yellow", "acknowledged": "green"}

Cells = tuple[Text, ...]


def escalation_cells(esc: EscalationRow, now: datetime) -> Cells:
    severity, severity_style = _SEVERITY.get(esc.severity, (esc.severity[:4], ""))
    late = words.overdue(esc.deadline_at, now)
    return (
        Text(severity, style=severity_style),
        Text(esc.order_number),
        Text(esc.rule_id, overflow="ellipsis", no_wrap=True),
        Text(esc.summary, overflow="ellipsis", no_wrap=True),
        Text(
            words.time_left(esc.deadline_at, now), style="bold red" if late else "", justify="right"
        ),
        Text(words.escalation_state_words(esc.state), style=_STATE.get(esc.state, "")),
        Text(esc.acked_by or "—", overflow="ellipsis", no_wrap=True),
    )


class EscalationsScreen(LiveScreen):
    CSS_PATH = "escalations.tcss"
    AUTO_FOCUS = "#escalations"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(Scope.LIST), *bindings(Scope.ESCALATIONS)]

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.rows: dict[str, EscalationRow] = {}
        self._cells: dict[str, Cells] = {}
        self.loaded = False

    def compose(self) -> ComposeResult:
        now = self.desk.clock.now()
        yield ViewBar("Escalations · counting…", self.side_text(now), id="view-bar")
        table: DataTable[Text] = DataTable(id="escalations", cursor_type="row")
        for key, label, width in COLUMNS:
            table.add_column(label, width=width, key=key)
        yield table
        yield Static("No open escalations", id="empty")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.reload()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#escalations", DataTable)

    @work(exclusive=True, group="escalations", exit_on_error=False)
    async def reload(self) -> None:
        try:
            rows = await self.desk.store.open_escalations()
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read escalations", severity="error")
            return
        self.rows = {str(row.id): row for row in rows}
        self.loaded = True
        self._show(self.desk.clock.now())

    def apply_change(self, change: Change) -> None:
        self.reload()

    def minute_passed(self, now: datetime) -> None:
        self._show(now)

    # ----- updating the table by difference -----

    def _show(self, now: datetime) -> None:
        wanted = {key: escalation_cells(row, now) for key, row in self.rows.items()}
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
        self._show_title()

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

    def _show_title(self) -> None:
        firing = sum(1 for row in self.rows.values() if row.state == "firing")
        text = f"Escalations · {len(self.rows)} open · {firing} firing"
        self.query_one(ViewBar).show(text)

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
        if escalation is not None:
            self.app.push_screen(DetailScreen(self.desk, escalation.order_id))

    @on(DataTable.RowSelected, "#escalations")
    def _row_selected(self) -> None:
        self.action_open()

    def action_acknowledge(self) -> None:
        escalation = self.selected()
        if escalation is not None:
            self._acknowledge(escalation)

    @work(group="acknowledge", exit_on_error=False)
    async def _acknowledge(self, escalation: EscalationRow) -> None:
        outcome = await acknowledge(self.desk, escalation)
        self.notify(outcome.message, title=outcome.title, severity=outcome.severity)
        self.reload()
