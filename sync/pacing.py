"""Keeping within a provider's limits: request spacing and request budgets.

:class:`Pacer` spaces one provider's requests (17TRACK allows three a second) and holds them all
when the provider says its window is spent (AfterShip's ``X-RateLimit-Remaining: 0`` with the
reset time). :class:`Budget` caps how many requests a provider gets per hour and per day, so a
paid quota lasts the month whatever the number of parcels.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

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
    """Requests allowed in any hour (``per_hour``) and in one UTC day (``per_day``); a cap of
    0 or less means none.

    The spending can be restored from the store (:meth:`restore`), so a restart of the daemon
    does not hand a provider a fresh day's worth of requests.
    """

    def __init__(self, per_hour: int, per_day: int = 0) -> None:
        self.per_hour = per_hour
        self.per_day = per_day
        self._spent: deque[tuple[datetime, int]] = deque()

    @property
    def capped(self) -> bool:
        return self.per_hour > 0 or self.per_day > 0

    def used(self, now: datetime) -> tuple[int, int]:
        """Requests spent in the hour before ``now`` and since the start of its UTC day."""
        hour_ago = now - timedelta(hours=1)
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        while self._spent and self._spent[0][0] <= hour_ago and self._spent[0][0] < midnight:
            self._spent.popleft()
        hour = sum(n for at, n in self._spent if at > hour_ago)
        day = sum(n for at, n in self._spent if at >= midnight)
        return hour, day

    def left(self, now: datetime) -> int:
        if not self.capped:
            return 1_000_000
        hour, day = self.used(now)
        room = [cap - spent for cap, spent in ((self.per_hour, hour), (self.per_day, day)) if cap]
        return max(0, min(room))

    def short_by(self, now: datetime) -> str:
        """Which cap is spent, in words ("120 of 120 this hour"); "" while there is room."""
        if self.left(now) > 0:
            return ""
        hour, day = self.used(now)
        if self.per_day > 0 and day >= self.per_day:
            return f"{day} of {self.per_day} requests used today (UTC)"
        return f"{hour} of {self.per_hour} requests used in the last hour"

    def spend(self, now: datetime, requests: int = 1) -> None:
        if self.capped and requests > 0:
            self._spent.append((now, requests))

    def restore(self, spent: Iterable[tuple[datetime, int]]) -> None:
        """Add spending recorded before (oldest first), such as the store's minutes."""
        for at, requests in spent:
            self.spend(at, requests)
