"""Keeping the learned route figures fresh: read them at start, learn them again once a day.

The figures live in the store (``route_thresholds``), so a restart reuses the day's figures
instead of scanning the checkpoints again. Learning reads the silences between scans the reports
compute (:meth:`~sync.store.reports.ReportStore.scan_gaps`) and the transit times of parcels
delivered within :data:`~daemon.rules.learned.WINDOW`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from daemon.rules.learned import REFRESH, WINDOW, RouteFigures, learn
from sync.clock import Clock
from sync.store import RouteFigure, Store

log = logging.getLogger("orderwatch.rules")


class RouteLearner:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.figures = RouteFigures()
        self._due: datetime | None = None

    async def refresh(self) -> bool:
        """Load, or learn again when a day old, the route figures; True when they changed."""
        now = self.clock.now()
        if self._due is not None and now < self._due:
            return False
        rows = await self.store.route_figures()
        newest = max((row.computed_at for row in rows), default=None)
        if newest is None or now - newest >= REFRESH:
            rows = await self.learn(now)
            newest = now
        self._due = newest + REFRESH
        figures = RouteFigures.of(rows)
        if figures == self.figures:
            return False
        self.figures = figures
        return True

    async def learn(self, now: datetime) -> list[RouteFigure]:
        since = now - WINDOW
        gaps = await self.store.scan_gaps(since, now)
        transits = await self.store.transit_times(since, now)
        rows = learn(
            ((g.carrier, g.origin, g.destination, g.seconds) for g in gaps),
            ((t.carrier, t.origin, t.destination, t.seconds) for t in transits),
            now,
        )
        await self.store.replace_route_figures(rows)
        log.info("learned %d route figures from %d scan gaps", len(rows), len(gaps))
        return rows
