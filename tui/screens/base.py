"""What the data screens share: following the store's changes and the clock, and the frame
around every view (the view bar, the rules banner, the status bar and the footer)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tui.desk import Desk
from tui.keys import Scope
from tui.live import BoardChanged, Change, MinutePassed, StoreChanged
from tui.widgets.rules_banner import RulesBanner
from tui.widgets.status_bar import StatusBar
from tui.widgets.view_bar import ViewBar
from tui.words import local_time


class LiveScreen(Screen[None]):
    """A screen that shows data from the store and follows its changes."""

    SCOPES: ClassVar[tuple[Scope, ...]] = ()
    """The registry's scopes whose keys work here (besides the app's), for help and commands."""
    HELP: ClassVar[str] = ""
    """One line about the view, at the top of its help."""

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self._seen = desk.changes.serial

    def help_line(self) -> str:
        return self.HELP

    def frame_top(self, title: str) -> Iterator[Widget]:
        yield ViewBar(title, self.side_text(self.desk.clock.now()), id="view-bar")
        yield RulesBanner(id="rules-banner")

    def frame_bottom(self) -> Iterator[Widget]:
        yield StatusBar(id="status-bar")
        yield Footer(show_command_palette=False)

    def catch_up(self) -> None:
        change = self.desk.changes.since(self._seen)
        self._seen = self.desk.changes.serial
        if change:
            self.apply_change(change)

    def apply_change(self, change: Change) -> None:
        """Show ``change``: re-read what it touches."""

    def minute_passed(self, now: datetime) -> None:
        """Redraw what depends on the time (ages, countdowns)."""

    def on_store_changed(self, _message: StoreChanged) -> None:
        self.catch_up()

    def on_board_changed(self, _message: BoardChanged) -> None:
        self.show_board(self.desk.clock.now())

    def show_board(self, now: datetime) -> None:
        for bar in self.query(StatusBar):
            bar.show(self.desk.board, now)
        for banner in self.query(RulesBanner):
            banner.show(self.desk.board)

    def side_text(self, now: datetime) -> str:
        """The right of the view bar: who is working, and their local time."""
        return f"{self.desk.agent} · {local_time(now, self.desk.zone)[-5:]}"

    def on_minute_passed(self, message: MinutePassed) -> None:
        self._clock_moved(message.now)

    def on_mount(self) -> None:
        self.show_board(self.desk.clock.now())

    def on_screen_resume(self) -> None:
        if not self.desk.board.paused:
            self.catch_up()
        self._clock_moved(self.desk.clock.now())

    def _clock_moved(self, now: datetime) -> None:
        for bar in self.query(ViewBar):
            bar.show(side=self.side_text(now))
        self.show_board(now)
        self.minute_passed(now)


class ScrollsOne(Screen[None]):
    """A screen whose keys scroll one :class:`VerticalScroll`, named by ``SCROLLER``."""

    SCROLLER: ClassVar[str]

    def _scroller(self) -> VerticalScroll:
        return self.query_one(f"#{self.SCROLLER}", VerticalScroll)

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
