"""Conflicting edits: one order's status changed by several different actors within a day.

Each pass reads the timeline's new status lines (from where the last pass stopped), counts the
different actors of each order they touch within ``desk.conflict_within``, and raises the
``conflicting_edits`` flag on the order when there are ``desk.conflict_actors`` or more. The
console shows the flag; an agent clears it once the order is sorted out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from daemon.rules.durations import format_duration
from daemon.rules.model import RuleSet
from daemon.rules.workflow import Workflow
from daemon.waiting import wait_any
from sync.clock import Clock
from sync.desk import CONFLICT_FLAG
from sync.errors import OrderwatchError
from sync.store import Store

log = logging.getLogger("orderwatch.conflicts")

CURSOR = "desk.conflict_event_id"
BATCH = 5000
EVERY = 60.0


class ConflictWatch:
    def __init__(self, store: Store, clock: Clock, rules: Callable[[], RuleSet]) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def scan(self) -> int:
        """Look at the status changes since the last scan; returns the flags raised."""
        settings = (self.rules().workflow or Workflow()).desk
        now = self.clock.now()
        since = now - settings.conflict_within
        stored = await self.store.get_state(CURSOR, "")
        cursor = int(stored) if stored else await self.store.first_event_id_since(since) - 1
        raised = 0
        while True:
            order_ids, last = await self.store.status_changes_after(cursor, BATCH)
            for order_id in order_ids:
                actors = await self.store.status_actors(order_id, since)
                if len(actors) < settings.conflict_actors:
                    continue
                detail = (
                    f"status changed by {', '.join(actors)} within "
                    f"{format_duration(settings.conflict_within)}"
                )
                if await self.store.raise_order_flag(order_id, CONFLICT_FLAG, detail, now):
                    log.warning("order %d: conflicting edits (%s)", order_id, ", ".join(actors))
                    raised += 1
            if last != cursor or not stored:
                await self.store.set_state({CURSOR: str(last)}, now)
                stored = str(last)
            if last == cursor or len(order_ids) < BATCH:
                return raised
            cursor = last

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.scan()
            except OrderwatchError as error:
                log.error("conflicting edits: %s", error)
            await wait_any(EVERY, self._wake, stop)
