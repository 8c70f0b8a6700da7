"""What the data screens share: following the store's changes and the clock."""

from __future__ import annotations

from datetime import datetime

from textual.screen import Screen

from tui.desk import Desk
from tui.live import Change, MinutePassed, StoreChanged
from tui.widgets.view_bar import ViewBar
from tui.words import local_time


class LiveScreen(Screen[None]):
    """A screen that shows data from the store and follows its changes."""

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self._seen = desk.changes.serial

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

    def side_text(self, now: datetime) -> str:
        """The right of the view bar: who is working, and their local time."""
        return f"{self.desk.agent} · {local_time(now, self.desk.zone)[-5:]}"

    def on_minute_passed(self, message: MinutePassed) -> None:
        self._clock_moved(message.now)

    def on_screen_resume(self) -> None:
        self.catch_up()
        self._clock_moved(self.desk.clock.now())

    def _clock_moved(self, now: datetime) -> None:
        for bar in self.query(ViewBar):
            bar.show(side=self.side_text(now))
        self.minute_passed(now)
