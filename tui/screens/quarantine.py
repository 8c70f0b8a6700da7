"""Quarantined export rows (``I``): what could not be imported, where it is, and why.

Each line is one row of an export file set aside: its file and line, the reason, the start of
the row as the file had it, and when. A warehouse stage row that came before its order waits
here and lands by itself once the order arrives; ``r`` retries it by hand (it needs its order in
the mirror), ``d`` discards a row for good. Both are written at once with the agent's login on
the timeline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Static

from sync.csvimport.records import QuarantineRow
from sync.errors import OrderwatchError
from tui.desk import READ_ERRORS, Desk
from tui.export import export_folder, export_name, export_quarantine, exported_by
from tui.keys import Scope, bindings
from tui.live import Change
from tui.screens.base import LiveScreen
from tui.widgets.view_bar import ViewBar
from tui.words import local_time

LIMIT = 500
"""Rows shown, newest first (the status bar counts them all)."""
EXCERPT = 60
REASON = 36


def excerpt(row: QuarantineRow, width: int = EXCERPT) -> str:
    """The start of the row's cells, ``header=value`` in file order, cut to ``width``."""
    text = " · ".join(f"{header}={value}" for header, value in row.cells.items())
    return text if len(text) <= width else text[: width - 1] + "…"


def reason_text(row: QuarantineRow, width: int = REASON) -> str:
    text = f"⌛ {row.reason}" if row.waiting else row.reason
    return text if len(text) <= width else text[: width - 1] + "…"


class QuarantineScreen(LiveScreen):
    CSS_PATH = "quarantine.tcss"
    AUTO_FOCUS = "#quarantine"
    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.QUARANTINE)
    SCOPES = (Scope.QUARANTINE,)
    HELP = (
        "Export rows set aside. ⌛ marks a warehouse stage row waiting for its order: it lands "
        "by itself when the order arrives."
    )

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.rows: list[QuarantineRow] = []

    def compose(self) -> ComposeResult:
        yield from self.frame_top("Quarantined rows")
        table: DataTable[str] = DataTable(id="quarantine", cursor_type="row", zebra_stripes=True)
        table.add_columns("when", "file:line", "reason", "row", "source")
        yield table
        yield Static("Nothing in quarantine.", id="quarantine-empty", markup=False)
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.load()

    @work(exclusive=True, group="quarantine", exit_on_error=False)
    async def load(self) -> None:
        try:
            rows = await self.desk.store.quarantined(limit=LIMIT)
            total = await self.desk.store.quarantine_total()
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read the quarantine", severity="error")
            return
        self.show_rows(rows, total)

    def show_rows(self, rows: list[QuarantineRow], total: int) -> None:
        table = self.query_one("#quarantine", DataTable)
        keep = self.selected()
        self.rows = rows
        table.clear()
        for row in rows:
            table.add_row(
                local_time(row.at, self.desk.zone)[5:],
                row.where,
                reason_text(row),
                excerpt(row),
                row.source,
                key=str(row.id),
            )
        if keep is not None:
            at = next((i for i, row in enumerate(rows) if row.id == keep.id), None)
            if at is not None:
                table.move_cursor(row=at, animate=False)
        shown = f"{len(rows):,} of {total:,}" if total > len(rows) else f"{total:,}"
        self.query_one(ViewBar).show(f"Quarantined rows · {shown}")
        self.query_one("#quarantine-empty", Static).display = not rows
        table.display = bool(rows)

    def selected(self) -> QuarantineRow | None:
        table = self.query_one("#quarantine", DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def apply_change(self, change: Change) -> None:
        self.load()

    # ----- keys -----

    def action_back(self) -> None:
        self.dismiss()

    def action_cursor_down(self) -> None:
        self.query_one("#quarantine", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#quarantine", DataTable).action_cursor_up()

    def action_export(self, path: str = "") -> None:
        self._export(Path(path).expanduser() if path else None)

    @work(group="export", exit_on_error=False)
    async def _export(self, path: Path | None) -> None:
        desk = self.desk
        now = desk.clock.now()
        if path is None:
            path = export_folder(desk.config.export_dir) / export_name("quarantine", now, desk.zone)
        filters = [("view", "Quarantined rows"), ("rows", f"the newest {LIMIT:,} at most")]
        filters.append(exported_by(desk.agent, now, desk.zone))
        rows = list(self.rows)
        try:
            written = await asyncio.to_thread(export_quarantine, rows, path, desk.zone, filters)
        except OSError as error:
            self.notify(str(error), title="Export failed", severity="error")
            return
        self.notify(f"Exported {written:,} rows to {path}", title="Exported")

    def action_retry(self) -> None:
        self._act(retry=True)

    def action_discard(self) -> None:
        self._act(retry=False)

    @work(exclusive=True, group="quarantine-action", exit_on_error=False)
    async def _act(self, *, retry: bool) -> None:
        row = self.selected()
        if row is None:
            self.notify("Nothing in quarantine", severity="warning")
            return
        store, now = self.desk.store, self.desk.clock.now()
        try:
            if retry:
                done = await store.retry_quarantined(row.id, self.desk.agent, now)
                order = await store.order(done.order_id)
                number = order.number if order else "the order"
                title = "Applied" if done.changed else "Already there"
                message = f"{row.where}: stage times set on {number}"
            else:
                await store.discard_quarantined(row.id, self.desk.agent, now)
                title, message = "Discarded", f"{row.where}: {row.reason}"
        except OrderwatchError as error:
            self.notify(str(error), title="Not done", severity="warning", markup=False)
            self.load()
            return
        self.notify(message, title=title, markup=False)
        self.load()
