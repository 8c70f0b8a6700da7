"""The daemon's side of on-demand parcel refreshes, and the trackers' budgets for the status.

Agents ask through the database only (the console's key, ``orderwatchd refresh``): a waiting
row in ``parcel_refreshes``. This loop polls SQLite's ``PRAGMA data_version``, which moves only
when another process commits, and looks for waiting requests each time it does, so an agent's
request is answered within a fraction of a second without the daemon reading the table in a
tight loop. Each answer goes through :func:`sync.refresh.answer_refreshes`.

At start it publishes each tracker's request caps in the daemon state, where
``orderwatchd status`` reads them next to what was spent (:func:`budget_report`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from daemon.waiting import wait_any
from sync.clock import Clock
from sync.errors import OrderwatchError
from sync.follow import Follower
from sync.refresh import answer_refreshes
from sync.store import Store
from sync.store.following import BUDGET_STATE

log = logging.getLogger("orderwatch.tracking")

POLL_SECONDS = 0.3
"""How often the commit counter is read: cheap (no table is touched), and short enough that the
agent sees "refreshing…" only for the time the provider takes."""


async def publish_budgets(store: Store, followers: Sequence[Follower], clock: Clock) -> None:
    caps = {
        BUDGET_STATE + f.provider.name: f"{f.plan.budget_per_hour}/{f.plan.budget_per_day}"
        for f in followers
    }
    if caps:
        await store.set_state(caps, clock.now())


class RefreshDesk:
    def __init__(
        self,
        store: Store,
        followers: Sequence[Follower],
        clock: Clock,
        on_changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.followers = followers
        self.clock = clock
        self.on_changed = on_changed

    async def run(self, stop: asyncio.Event) -> None:
        await publish_budgets(self.store, self.followers, self.clock)
        seen: int | None = None
        while not stop.is_set():
            try:
                version = await self.store.data_version()
                if version != seen:
                    seen = version
                    await self.answer()
                    if await self.store.waiting_refreshes(1):
                        seen = None  # more than one batch was waiting
            except OrderwatchError as exc:
                log.error("refreshes: %s", exc)
                seen = None  # look again next turn: a request may still be waiting
            await wait_any(POLL_SECONDS, stop)

    async def answer(self) -> int:
        """Answer every waiting request; returns how many orders' parcels moved."""
        changed = await answer_refreshes(self.store, self.followers, self.clock)
        if changed:
            self.on_changed()
        return len(changed)


async def budget_report(store: Store, now: datetime) -> list[dict[str, Any]]:
    """Each tracker's requests this hour and this UTC day, with what is left of its caps."""
    return [
        {
            "provider": use.provider,
            "hour": {"used": use.hour, "cap": use.per_hour or None, "left": use.hour_left},
            "day": {"used": use.day, "cap": use.per_day or None, "left": use.day_left},
        }
        for use in await store.budget_uses(now)
    ]


def budget_lines(report: list[dict[str, Any]]) -> list[str]:
    lines = []
    for entry in report:
        parts = []
        for window, words in (("hour", "in the last hour"), ("day", "today (UTC)")):
            spent = entry[window]
            left = "" if spent["cap"] is None else f", {spent['left']} of {spent['cap']} left"
            parts.append(f"{spent['used']} {words}{left}")
        lines.append(f"budget       {entry['provider']}: requests {'; '.join(parts)}")
    return lines
