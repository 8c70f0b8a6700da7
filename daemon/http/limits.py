"""Abuse limits of the tracking page: token buckets per address, link and look-up, and penalties.

A bucket holds ``burst`` requests and refills at ``rate``; an empty one answers how long until the
next request may pass (the ``Retry-After`` of a 429). An address whose requests keep failing (bad
or expired links, look-ups that match nothing) is shut out for a while, twice as long at every
further failure, up to a ceiling: guessing gets slower the more one guesses. An order number gets
a budget of failed look-ups too, so four phone digits cannot be guessed from many addresses.

Time comes from the daemon's clock; tables are bounded (the least recently used keys go first),
so a flood of fresh addresses costs memory once, not forever. What a restart must not lift (the
links' and look-ups' buckets, every penalty) is handed to the store as it changes
(:meth:`Gate.changes`) and given back at start-up (:meth:`Gate.restore`); the per-address bucket
of all requests refills within a minute and is not kept.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sync.store.page_limits import SavedBucket, SavedLimits, SavedPenalty

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

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS, name: str = "") -> None:
        self.rate = rate
        self.max_keys = max_keys
        self.name = name
        self.changed: set[str] = set()
        """Keys taken from since the last :meth:`saved` (kept only for a named table)."""
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
        if self.name:
            self.changed.add(key)
        _trim(self._buckets, self.max_keys)
        return wait

    def saved(self) -> list[SavedBucket]:
        """The buckets changed since the last call, as the store keeps them."""
        found = []
        for key in self.changed:
            if key in self._buckets:
                tokens, at = self._buckets[key]
                full_at = at + (self.rate.capacity - tokens) / self.rate.per_second
                found.append(SavedBucket(self.name, key, tokens, at, full_at))
        self.changed.clear()
        return found

    def restore(self, saved: SavedBucket) -> None:
        self._buckets[saved.key] = (min(saved.tokens, self.rate.capacity), saved.at)
        _trim(self._buckets, self.max_keys)


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
        name: str = "",
    ) -> None:
        self.allowed = allowed
        self.window = window.total_seconds()
        self.first_block = first_block.total_seconds()
        self.longest_block = longest_block.total_seconds()
        self.max_keys = max_keys
        self.name = name
        self.changed: set[str] = set()
        """Keys that failed or were forgiven since the last :meth:`saved`."""
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
        record = self._records.pop(key, None)
        if record is None or at >= self._until(record):
            record = _Record()  # quiet long enough after its last block: a fresh start
        self._records[key] = record
        if self.name:
            self.changed.add(key)
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
        if self.name:
            self.changed.add(key)

    def saved(self) -> list[SavedPenalty]:
        """The records changed since the last call; a forgiven key is saved as spent."""
        found = []
        for key in self.changed:
            record = self._records.get(key)
            if record is None:
                found.append(SavedPenalty(self.name, key, (), 0, 0.0, 0.0))
                continue
            found.append(
                SavedPenalty(
                    self.name,
                    key,
                    tuple(record.failures),
                    record.blocks,
                    record.blocked_until,
                    self._until(record),
                )
            )
        self.changed.clear()
        return found

    def restore(self, saved: SavedPenalty) -> None:
        self._records[saved.key] = _Record(list(saved.failures), saved.blocks, saved.blocked_until)
        _trim(self._records, self.max_keys)

    def _until(self, record: _Record) -> float:
        """When ``record`` stops mattering: its last failure out of the window, and its last
        block over for as long as the longest block (until then the next block is longer)."""
        last = max(record.failures, default=0.0)
        ends = last + self.window
        if record.blocks:
            ends = max(ends, record.blocked_until + self.longest_block)
        return ends


class Gate:
    """Every limit of the page, in one place, on the daemon's clock."""

    def __init__(self, limits: PageLimits) -> None:
        self.limits = limits
        self.addresses = Buckets(limits.per_address)
        self.links = Buckets(limits.per_link, name="link")
        self.lookups = Buckets(limits.lookups_per_address, name="lookups")
        self.failures = Penalties(
            limits.failures_allowed,
            limits.failure_window,
            limits.first_block,
            limits.longest_block,
            name="address",
        )
        self.orders = Penalties(
            limits.lookup_failures_per_order,
            limits.order_lock,
            limits.order_lock,
            limits.order_lock,
            name="order",
        )

    def admit(self, address: str, now: datetime) -> float:
        """0 when a request from ``address`` may go on, else the seconds to wait."""
        return self.failures.blocked(address, now) or self.addresses.take(address, now)

    def changes(self) -> SavedLimits:
        """What changed since the last call among the limits a restart must keep."""
        return SavedLimits(
            tuple(self.links.saved() + self.lookups.saved()),
            tuple(self.failures.saved() + self.orders.saved()),
        )

    def restore(self, saved: SavedLimits) -> None:
        """Take back the limits the store kept (at start-up, before the first request)."""
        buckets = {b.name: b for b in (self.links, self.lookups)}
        penalties = {p.name: p for p in (self.failures, self.orders)}
        for bucket in saved.buckets:
            if bucket.bucket in buckets:
                buckets[bucket.bucket].restore(bucket)
        for penalty in saved.penalties:
            if penalty.penalty in penalties:
                penalties[penalty.penalty].restore(penalty)


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


def _trim(table: OrderedDict[str, V], size: int) -> None:
    while len(table) > size:
        table.popitem(last=False)
