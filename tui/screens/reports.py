"""The managers' report in the console (``6``): the figures of ``orderwatchd report`` for a day,
a week or a month, with the delay heatmaps drawn in terminal cells.

It starts on the period that holds today, in the shop's time zone (what the daemon published from
``rules.toml``, else the agent's own); ``d`` ``w`` ``m`` choose the length and ``[`` ``]`` step
back and forth. The figures are read in a thread of their own on a connection of their own, so the
screen opens at once and a month of a big shop never holds up the keys. ``R`` reads them again.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import get_current_worker

from sync.desk import SHOP_ZONE_KEY
from sync.reports.model import PeriodKind, build_report, period_containing, shift_period
from sync.store import Store
from tui.desk import READ_ERRORS, Desk
from tui.export import export_folder, export_name, export_report, exported_by
from tui.keys import Scope, bindings
from tui.live import Change
from tui.report_text import sections
from tui.screens.base import LiveScreen, ScrollsOne
from tui.widgets.view_bar import ViewBar

SECTIONS = (
    "orders",
    "breaches",
    "reasons",
    "hours",
    "stalls",
    "response",
    "interventions",
    "agreement",
    "trials",
    "lookups",
)


async def read_report(
    path: Path, kind: PeriodKind, first: date, after: date, fallback: tzinfo
) -> dict[str, Any]:
    """The report, read on a connection of its own (for a thread with its own event loop)."""
    store = await Store.open(path)
    try:
        zone = _zone(await store.get_state(SHOP_ZONE_KEY), fallback)
        return await build_report(store, kind, first, after, zone)
    finally:
        await store.close()


def _zone(name: str, fallback: tzinfo) -> ZoneInfo:
    """The shop's zone as published, else the agent's when it has a name, else UTC."""
    for candidate in (name, getattr(fallback, "key", "")):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


class ReportsScreen(ScrollsOne, LiveScreen):
    SCROLLER = "report"
    CSS_PATH = "reports.tcss"
    AUTO_FOCUS = "#report"
    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.REPORTS)
    SCOPES = (Scope.REPORTS,)
    HELP = (
        "The managers' report: orders, breaches, delay heatmaps, stalls, response, "
        "interventions, agreement, rules on trial, look-ups. Days are the shop's."
    )

    def __init__(self, desk: Desk, kind: PeriodKind = PeriodKind.WEEKLY) -> None:
        super().__init__(desk)
        self.kind = kind
        self.first, self.after = period_containing(kind, self._today())
        self.report: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield from self.frame_top(self._title("reading…"))
        with VerticalScroll(id="report", can_focus=True):
            for key in SECTIONS:
                yield Static(id=f"report-{key}", classes="report-section")
        yield from self.frame_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.load()

    def _today(self) -> date:
        return self.desk.clock.now().astimezone(self.desk.zone).date()

    def _title(self, state: str = "") -> str:
        last = self.after - timedelta(days=1)
        span = self.first.isoformat()
        if last != self.first:
            span += f" – {last.isoformat()[5 if last.year == self.first.year else 0 :]}"
        text = f"Reports · {self.kind} {span}"
        if self.first <= self._today() < self.after:
            text += " (so far)"
        return f"{text} · {state}" if state else text

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def load(self) -> None:
        desk = self.desk
        worker = get_current_worker()
        try:
            found = asyncio.run(
                read_report(desk.store.db.path, self.kind, self.first, self.after, desk.zone)
            )
        except READ_ERRORS as error:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, str(error))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, found)

    def _failed(self, text: str) -> None:
        self.notify(text, title="Cannot read the report", severity="error")
        self.show_title("")

    def _show(self, report: dict[str, Any]) -> None:
        self.report = report
        self._draw(report)
        self.show_title(report["period"]["time_zone"])

    def _draw(self, report: dict[str, Any]) -> None:
        width = max(40, self.size.width - 2)
        for key, content in sections(report, width).items():
            self.query_one(f"#report-{key}", Static).update(content)

    def on_resize(self) -> None:
        if self.report is not None:
            self._draw(self.report)

    def show_title(self, state: str) -> None:
        self.query_one(ViewBar).show(self._title(state))

    def apply_change(self, change: Change) -> None:
        # Figures move slowly and a month of a big shop is a few seconds of reading: only an
        # explicit reload (R) reads them again.
        if change.everything:
            self.load()

    # ----- keys -----

    def action_period(self, kind: str) -> None:
        self.kind = PeriodKind(kind)
        self.first, self.after = period_containing(self.kind, self._today())
        self._reload()

    def action_step(self, steps: int) -> None:
        self.first, self.after = shift_period(self.kind, self.first, steps)
        self._reload()

    def _reload(self) -> None:
        self.show_title("reading…")
        self.load()

    def action_back(self) -> None:
        self.app.switch_mode("queue")

    def action_export(self, path: str = "") -> None:
        self._export(Path(path).expanduser() if path else None)

    @work(group="export", exit_on_error=False)
    async def _export(self, path: Path | None) -> None:
        report = self.report
        if report is None:
            self.notify("The figures are still being read", severity="warning")
            return
        desk = self.desk
        now = desk.clock.now()
        if path is None:
            name = f"report {report['period']['kind']} {report['period']['from']}"
            path = export_folder(desk.config.export_dir) / export_name(name, now, desk.zone)
        try:
            filters = [exported_by(desk.agent, now, desk.zone)]
            written = await asyncio.to_thread(export_report, report, path, filters)
        except OSError as error:
            self.notify(str(error), title="Export failed", severity="error")
            return
        self.notify(f"Exported {written:,} figures to {path}", title="Exported")
