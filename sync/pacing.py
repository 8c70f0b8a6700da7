"""Keeping within a provider's limits: request spacing and an hourly request budget.

:class:`Pacer` spaces one provider's requests (17TRACK allows three a second) and holds them all
when the provider says its window is spent (AfterShip's ``X-RateLimit-Remaining: 0`` with the
reset time). :class:`Budget` caps how many requests a provider gets per hour, so a paid quota
lasts the month whatever the number of parcels.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """At most ``rate`` request starts a second, and none while the provider asked to hold."""

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("a pacing rate must be positive")
        self.spacing = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next request may start."""
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._next, self._held_until)
            if start > now:
                await self._sleep(start - now)
            self._next = start + self.spacing

    def hold(self, seconds: float) -> None:
        """Start nothing for ``seconds`` (clamped to an hour: a wild value is not obeyed)."""
        until = self._monotonic() + min(max(seconds, 0.0), 3600.0)
        self._held_until = max(self._held_until, until)

    @property
    def held_for(self) -> float:
        return max(0.0, self._held_until - self._monotonic())


class Budget:
    """Requests allowed in any hour; ``per_hour <= 0`` means no cap."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._spent: deque[datetime] = deque()

    def left(self, now: datetime) -> int:
        if self.per_hour <= 0:
            return 1_000_000
        hour_ago = now - timedelta(hours=1)
        while self._spent and self._spent[0] <= hour_ago:
            self._spent.popleft()
        return max(0, self.per_hour - len(self._spent))

    def spend(self, now: datetime, requests: int = 1) -> None:
        if self.per_hour > 0:
            self._spent.extend([now] * requests)
