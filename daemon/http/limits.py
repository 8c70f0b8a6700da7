"""Abuse limits of the tracking page: token buckets per address, link and look-up, and penalties.

A bucket holds ``burst`` requests and refills at ``rate``; an empty one answers how long until the
next request may pass (the ``Retry-After`` of a 429). An address whose requests keep failing (bad
or expired links, look-ups that match nothing) is shut out for a while, twice as long at every
further failure, up to a ceiling: guessing gets slower the more one guesses. An order number gets
a budget of failed look-ups too, so four phone digits cannot be guessed from many addresses.

Time comes from the daemon's clock; tables are bounded (the least recently used keys go first),
so a flood of fresh addresses costs memory once, not forever.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

MAX_KEYS = 50_000
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Rate:
    """``requests`` per ``per``, with bursts of up to ``burst`` (default: ``requests``)."""

    requests: int
    per: timedelta
    burst: int = 0

    @property
    def capacity(self) -> float:
        return float(self.burst or self.requests)

    @property
    def per_second(self) -> float:
        return self.requests / self.per.total_seconds()


@dataclass(frozen=True, slots=True)
class PageLimits:
    per_address: Rate = Rate(60, timedelta(minutes=1), burst=30)
    per_link: Rate = Rate(30, timedelta(minutes=1), burst=10)
    lookups_per_address: Rate = Rate(5, timedelta(minutes=10))
    failures_allowed: int = 5
    """Failures an address may make within ``failure_window`` before it is shut out."""
    failure_window: timedelta = timedelta(minutes=15)
    first_block: timedelta = timedelta(minutes=1)
    longest_block: timedelta = timedelta(hours=1)
    lookup_failures_per_order: int = 10
    """Failed look-ups of one order number (from anywhere) before it is locked for a day."""
    order_lock: timedelta = timedelta(days=1)


class Buckets:
    """Token buckets by key."""

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: datetime) -> float:
        """Take one request for ``key``: 0 when it may pass, else the seconds to wait."""
        at = now.timestamp()
        tokens, since = self._buckets.pop(key, (self.rate.capacity, at))
        tokens = min(self.rate.capacity, tokens + max(0.0, at - since) * self.rate.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens, at)
        _trim(self._buckets, self.max_keys)
        return wait


@dataclass(slots=True)
class _Record:
    failures: list[float] = field(default_factory=list)
    blocks: int = 0
    blocked_until: float = 0.0


class Penalties:
    """Failures by key; a key past its allowance is blocked, longer each time."""

    def __init__(
        self,
        allowed: int,
        window: timedelta,
        first_block: timedelta,
        longest_block: timedelta,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.allowed = allowed
        self.window = window.total_seconds()
        self.first_block = first_block.total_seconds()
        self.longest_block = longest_block.total_seconds()
        self.max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def blocked(self, key: str, now: datetime) -> float:
        """Seconds ``key`` stays blocked (0 when it is not)."""
        record = self._records.get(key)
        if record is None:
            return 0.0
        return max(0.0, record.blocked_until - now.timestamp())

    def fail(self, key: str, now: datetime) -> float:
        """Count a failure; returns the block it earned (0 while within the allowance)."""
        at = now.timestamp()
        record = self._records.pop(key, None) or _Record()
        self._records[key] = record
        _trim(self._records, self.max_keys)
        record.failures = [t for t in record.failures if at - t < self.window] + [at]
        if len(record.failures) <= self.allowed:
            return 0.0
        block = min(self.first_block * 2**record.blocks, self.longest_block)
        record.blocks = min(record.blocks + 1, 32)
        record.blocked_until = max(record.blocked_until, at + block)
        return record.blocked_until - at

    def forgive(self, key: str) -> None:
        """Forget ``key``'s failures (a look-up that finally matched)."""
        self._records.pop(key, None)


class Gate:
    """Every limit of the page, in one place, on the daemon's clock."""

    def __init__(self, limits: PageLimits) -> None:
        self.limits = limits
        self.addresses = Buckets(limits.per_address)
        self.links = Buckets(limits.per_link)
        self.lookups = Buckets(limits.lookups_per_address)
        self.failures = Penalties(
            limits.failures_allowed,
            limits.failure_window,
            limits.first_block,
            limits.longest_block,
        )
        self.orders = Penalties(
            limits.lookup_failures_per_order,
            limits.order_lock,
            limits.order_lock,
            limits.order_lock,
        )

    def admit(self, address: str, now: datetime) -> float:
        """0 when a request from ``address`` may go on, else the seconds to wait."""
        return self.failures.blocked(address, now) or self.addresses.take(address, now)


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


def _trim(table: OrderedDict[str, V], size: int) -> None:
    while len(table) > size:
        table.popitem(last=False)
