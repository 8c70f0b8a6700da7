"""The always-visible status line: the sources' health, the rules, and what needs a human.

Left: each source with the age of its last good sync, and its circuit breaker when not closed.
Right: the rules version, the firing and warning escalations, and whether the lists are paused
or actions are waiting to be written. Everything is at minute resolution, so it redraws at most
once a minute unless something changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from sync.store.console import SourceState
from tui import words
from tui.css import beside
from tui.desk import Board

Part = str | tuple[str, str]


def source_parts(source: SourceState, now: datetime) -> list[Part]:
    seen = source.last_success_at
    age = words.age(seen, now) if seen else "never"
    failing = bool(source.last_error) and (
        seen is None or (source.last_error_at is not None and source.last_error_at > seen)
    )
    parts: list[Part] = [(source.name, "bold"), " ", (age, "$error" if failing else "")]
    if source.run_started_at is not None and source.run_rows:
        parts += [" ", (run_text(source, now), "$accent")]
    if source.breaker != "closed":
        style = "bold $error" if source.breaker == "open" else "$warning"
        parts += [" ", (source.breaker.replace("_", "-"), style)]
    return parts


def run_text(source: SourceState, now: datetime) -> str:
    """A run in progress: ``⟳ 42% 1.2k/s 1m left``, or ``⟳ 12,000 1.2k/s`` without a total."""
    assert source.run_started_at is not None
    seconds = (now - source.run_started_at).total_seconds()
    rate = source.run_rows / seconds if seconds >= 1 else None
    speed = "" if rate is None else f" {rate / 1000:.1f}k/s" if rate >= 1000 else f" {rate:.0f}/s"
    total = source.run_total
    if not total:
        return f"⟳ {source.run_rows:,}{speed}"
    done = min(100, source.run_rows * 100 // total)
    left = ""
    if rate:
        remaining = timedelta(seconds=max(0, total - source.run_rows) / rate)
        left = (
            f" {words.minutes_text(remaining) if remaining.total_seconds() >= 60 else '<1m'} left"
        )
    return f"⟳ {done}%{speed}{left}"


def left_text(board: Board, now: datetime) -> Content:
    health = board.health
    if health is None:
        return Content("reading…")
    if not health.sources:
        return Content.styled("no sources yet", "$text-muted")
    parts: list[Part] = []
    for source in health.sources:
        if parts:
            parts.append((" · ", "$text-muted"))
        parts += source_parts(source, now)
    return Content.assemble(*parts)


def right_text(board: Board) -> Content:
    parts: list[Part] = []
    if board.waiting:
        parts += [(f"⌛{len(board.waiting)} u undoes", "bold $warning"), "  "]
    if board.paused:
        held = "all" if board.held < 0 else f"{board.held}"
        parts += [(f"PAUSED · {held} pending", "bold reverse $warning"), "  "]
    health = board.health
    if health is not None:
        if health.quarantined:
            parts += [(f"{health.quarantined:,} set aside · I", "bold $warning"), "  "]
        if health.rules_error:
            parts += [("rules ✗", "bold $error"), "  "]
        elif health.rules_version:
            parts += [(f"rules {health.rules_version[:7]}", "$text-muted"), "  "]
        parts += [
            (f"{health.firing} firing", "bold $error" if health.firing else "$text-muted"),
            " ",
            (f"{health.warning} warn", "bold $warning" if health.warning else "$text-muted"),
        ]
    return Content.assemble(*parts)


class StatusBar(Horizontal):
    DEFAULT_CSS = beside(__file__)

    def compose(self) -> ComposeResult:
        yield Static(id="status-sources")
        yield Static(id="status-figures")

    def show(self, board: Board, now: datetime) -> None:
        self.query_one("#status-sources", Static).update(left_text(board, now))
        self.query_one("#status-figures", Static).update(right_text(board))
