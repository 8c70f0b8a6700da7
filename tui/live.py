"""Live refresh: noticing other processes' commits and telling the screens what moved.

:class:`Watcher` polls ``PRAGMA data_version`` on a connection of its own (it moves only when
another connection commits, our own agent actions included since they go through the main
connection) and then asks which orders' ``change_seq`` moved. Changes go into a :class:`ChangeLog`;
the screens on display are told at once, and a screen that was hidden catches up when it comes
back, so hidden views cost nothing while the daemon writes.

Whenever anything was committed, the :class:`Feed` also reads the status bar's figures (sources,
rules, escalation counts) and the notices addressed to this agent, which become toasts. ``p``
pauses the lists: changes are held (and counted) until the agent resumes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from sync.clock import Clock
from sync.errors import OrderwatchError
from sync.store import Store
from sync.store.console import ConsoleNotice
from tui.desk import Board

log = logging.getLogger(__name__)

CHANGE_BATCH = 5000
"""More changed orders than this in one poll and the screens simply reload everything."""


@dataclass(frozen=True, slots=True)
class Change:
    order_ids: frozenset[int] = frozenset()
    everything: bool = False
    """Too much moved to list (or the agent asked for a reload): re-read all that is shown."""
    feeds: bool = False
    """An escalation about a source (a stale feed, no order) moved: the escalation lists
    re-read."""

    def __bool__(self) -> bool:
        return self.everything or self.feeds or bool(self.order_ids)

    def __or__(self, other: Change) -> Change:
        if self.everything or other.everything:
            return Change(everything=True)
        return Change(self.order_ids | other.order_ids, feeds=self.feeds or other.feeds)


class ChangeLog:
    """The recent changes, numbered, so each screen can ask for what it has not seen."""

    def __init__(self, keep: int = 256) -> None:
        self.serial = 0
        self._entries: deque[tuple[int, Change]] = deque(maxlen=keep)

    def add(self, change: Change) -> None:
        self.serial += 1
        self._entries.append((self.serial, change))

    def since(self, serial: int) -> Change:
        """Everything that changed after ``serial`` (all of it when that is too far back)."""
        if serial >= self.serial:
            return Change()
        if not self._entries or self._entries[0][0] > serial + 1:
            return Change(everything=True)
        merged = Change()
        for number, change in self._entries:
            if number > serial:
                merged = merged | change
        return merged


class Watcher:
    """Turns "another connection committed" into "these orders changed"."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._version = -1
        self._seq = 0

    async def start(self) -> None:
        self._version = await self._store.data_version()
        self._seq = await self._store.change_seq()

    async def check(self) -> Change | None:
        """What changed since the last look; None when nothing at all was committed."""
        version = await self._store.data_version()
        if version == self._version:
            return None
        self._version = version
        since = self._seq
        ids, self._seq = await self._store.changed_order_ids(since, limit=CHANGE_BATCH)
        if len(ids) >= CHANGE_BATCH - 1:
            self._seq = await self._store.change_seq()
            return Change(everything=True)
        return Change(frozenset(ids), feeds=await self._store.feed_escalations_changed(since))


class StoreChanged(Message):
    """Posted to the screens on display when the change log grew."""


class BoardChanged(Message):
    """Posted to the screens on display when the status bar's figures changed."""


class MinutePassed(Message):
    """Posted to the screens on display when the clock enters a new minute."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now


Tell = Callable[[Callable[[], Message]], None]
"""Posts a fresh message (made by the callable) to every screen on display."""

Toast = Callable[[ConsoleNotice], None]


class Feed:
    """What the app's two timers call: the data_version poll and the minute check."""

    def __init__(
        self,
        watcher: Watcher,
        changes: ChangeLog,
        clock: Clock,
        tell: Tell,
        *,
        store: Store,
        agent: str,
        board: Board,
        toast: Toast,
    ) -> None:
        self._watcher = watcher
        self._changes = changes
        self._clock = clock
        self._tell = tell
        self._store = store
        self._agent = agent
        self._board = board
        self._toast = toast
        self._held = Change()
        self._notice_id = 0
        self._minute = _minute_of(clock.now())

    async def start(self) -> None:
        """Read the figures once; notices already there are not shown again."""
        self._notice_id = await self._store.last_notice_id()
        await self._read_board()

    async def poll(self) -> None:
        try:
            change = await self._watcher.check()
            if change is None:
                return
            if change:
                self.publish(change)
            await self._read_board()
            await self._read_notices()
        except (OrderwatchError, sqlite3.Error) as error:
            # A busy or briefly unreadable file is retried at the next tick.
            log.warning("data_version poll failed: %s", error)

    def publish(self, change: Change, *, force: bool = False) -> None:
        """Tell the screens what changed, or hold it while paused (unless ``force``: the agent's
        own actions and reloads show at once)."""
        if self._board.paused and not force:
            self._held = self._held | change
            self._board.held = -1 if self._held.everything else len(self._held.order_ids)
            self._tell(BoardChanged)
            return
        self._changes.add(change)
        self._tell(StoreChanged)

    def pause(self) -> bool:
        """Pause or resume the lists; True when now paused."""
        board = self._board
        board.paused = not board.paused
        if not board.paused:
            held, self._held = self._held, Change()
            board.held = 0
            if held:
                self.publish(held)
        self._tell(BoardChanged)
        return board.paused

    async def _read_board(self) -> None:
        self._board.health = await self._store.desk_health(self._clock.now())
        self._tell(BoardChanged)

    async def _read_notices(self) -> None:
        for notice in await self._store.notices_since(self._agent, self._notice_id):
            self._notice_id = max(self._notice_id, notice.id)
            self._toast(notice)

    async def check_minute(self) -> None:
        now = self._clock.now()
        minute = _minute_of(now)
        if minute != self._minute:
            self._minute = minute
            self._tell(lambda: MinutePassed(now))
            try:
                await self._read_board()  # snoozes end and sources age by the minute
            except (OrderwatchError, sqlite3.Error) as error:
                log.warning("status read failed: %s", error)


def _minute_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)
