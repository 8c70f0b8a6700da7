"""Rule clocks: what a timeout counts. ``wall`` counts real time; a calendar counts open hours.

Both answer the same three questions, always in UTC:

- :meth:`add` — the instant ``amount`` of counted time after ``start`` (a deadline);
- :meth:`elapsed` — how much counted time lies between two instants;
- :meth:`windows` — the stretches of counted time between two instants (for ``rules explain``).

A :class:`BusinessClock` keeps its calendar's open intervals over a span of time as sorted UTC
microseconds with a running total of open time before each, so a deadline is two binary searches
and never a walk through the days. The span grows on demand (both ways) up to :data:`HORIZON`
past the instant asked about; a calendar that stays closed that long gives no deadline (None).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from daemon.rules.calendar import Calendar

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
SECOND = 1_000_000
DAY = 86_400 * SECOND
HORIZON = 3 * 366 * DAY
_FIRST_SPAN = 64 * DAY
_LEAST_REACH = 8 * DAY
"""How far past a start the index must reach before :meth:`BusinessClock.add` looks."""


class RuleClock(Protocol):
    """What a rule's timeout counts."""

    @property
    def name(self) -> str: ...

    def add(self, start: datetime, amount: timedelta) -> datetime | None:
        """The instant ``amount`` of counted time after ``start``; None if it never comes."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Counted time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        ...

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The stretches of counted time between ``start`` and ``end``."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WallClock:
    """Real elapsed time: 24h is 86 400 seconds, across any daylight-saving night."""

    @property
    def name(self) -> str:
        return "wall"

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return start + amount

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return end - start

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        return [(start, end)] if end > start else []

    def describe(self) -> str:
        return "wall clock (real elapsed time)"


WALL = WallClock()


def to_micro(instant: datetime) -> int:
    return (instant - EPOCH) // MICRO


def from_micro(value: int) -> datetime:
    return EPOCH + MICRO * value  # exact, and twice as quick as timedelta(microseconds=...)


@dataclass(slots=True)
class _Index:
    """Open intervals within [low, high) with the open time before each (``before``)."""

    low: int = 0
    high: int = 0
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=list)
    through: list[int] = field(default_factory=list)
    last: tuple[datetime, int, int] | None = None
    """The start last asked about, in microseconds, and its position: a timer's warning is
    asked from the same start right after its deadline."""

    def covers(self, low: int, high: int) -> bool:
        return self.low <= low and high <= self.high and self.high > self.low

    def position(self, instant: int) -> int:
        """Open time from ``low`` up to ``instant`` (which must lie in [low, high])."""
        index = bisect_right(self.starts, instant) - 1
        if index < 0:
            return 0
        return self.before[index] + min(instant, self.ends[index]) - self.starts[index]

    @property
    def total(self) -> int:
        return self.through[-1] if self.through else 0


@dataclass(frozen=True, slots=True)
class BusinessClock:
    """Open hours of a calendar. The index is a memo: it never changes what the clock answers."""

    calendar: Calendar
    _index: _Index = field(default_factory=_Index, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.calendar.name

    def describe(self) -> str:
        return f"calendar {self.calendar.name} ({self.calendar.timezone})"

    def add(self, start: datetime, amount: timedelta) -> datetime | None:
        # A full re-plan asks this twice per timer: the index look-ups are written out here.
        wanted = amount // MICRO
        index = self._index
        last = index.last
        if last is not None and last[0] is start:
            begin, position = last[1], last[2]
        else:
            begin, position = (start - EPOCH) // MICRO, -1
        if wanted <= 0:
            return start if wanted == 0 else self._back(begin, -wanted)
        reach = wanted * 2 if wanted > _LEAST_REACH // 2 else _LEAST_REACH
        while True:
            if not (index.low <= begin and begin + reach <= index.high):  # reach > 0
                index, position = self._cover(begin, begin + reach), -1
            if position < 0:  # open time from the index's start up to begin (position())
                starts = index.starts
                slot = bisect_right(starts, begin) - 1
                position = 0
                if slot >= 0:
                    end = index.ends[slot]
                    position = index.before[slot] + (begin if begin < end else end) - starts[slot]
                index.last = (start, begin, position)
            target = position + wanted
            through = index.through
            if through and target <= through[-1]:
                slot = bisect_left(through, target)
                return EPOCH + MICRO * (index.ends[slot] - (through[slot] - target))
            if reach >= HORIZON:
                return None
            reach = min(reach * 2, HORIZON)

    def _back(self, begin: int, wanted: int) -> datetime | None:
        """The instant ``wanted`` open microseconds before ``begin`` (used for warnings)."""
        reach = max(wanted * 2, 8 * DAY)
        while True:
            index = self._cover(begin - reach, begin)
            target = index.position(begin) - wanted
            if target > 0:
                slot = bisect_left(index.through, target)
                return from_micro(index.ends[slot] - (index.through[slot] - target))
            if reach >= HORIZON:
                return None
            reach = min(reach * 2, HORIZON)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        a, b = to_micro(start), to_micro(end)
        index = self._cover(min(a, b), max(a, b))
        return MICRO * (index.position(b) - index.position(a))

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        a, b = to_micro(start), to_micro(end)
        if b <= a:
            return []
        index = self._cover(a, b)
        first = max(0, bisect_right(index.starts, a) - 1)
        found = []
        for slot in range(first, len(index.starts)):
            lo, hi = max(a, index.starts[slot]), min(b, index.ends[slot])
            if index.starts[slot] >= b:
                break
            if hi > lo:
                found.append((from_micro(lo), from_micro(hi)))
        return found

    def is_open(self, instant: datetime) -> bool:
        at = to_micro(instant)
        index = self._cover(at, at + SECOND)
        slot = bisect_right(index.starts, at) - 1
        return slot >= 0 and at < index.ends[slot]

    def adopt(self, other: BusinessClock) -> None:
        """Take ``other``'s index of open hours (same calendar: the same answers)."""
        if other.calendar == self.calendar:
            object.__setattr__(self, "_index", other._index)

    def _cover(self, low: int, high: int) -> _Index:
        index = self._index
        if index.covers(low, high):
            return index
        if index.high > index.low:  # grow generously, so a batch of subjects builds once
            span = max(index.high - index.low, _FIRST_SPAN)
            low, high = (
                min(low, index.low, low - span // 2),
                max(high, index.high, high + span // 2),
            )
        else:
            low, high = low - _FIRST_SPAN // 4, high + _FIRST_SPAN
        self._build(low, high)
        return self._index

    def _build(self, low: int, high: int) -> None:
        calendar = self.calendar
        zone = calendar.zone
        first = from_micro(low).astimezone(zone).date() - timedelta(days=1)
        last = from_micro(high).astimezone(zone).date() + timedelta(days=1)
        index = _Index(low=low, high=high)
        total = 0
        for start_s, end_s in calendar.intervals(first, last):
            start, end = max(start_s * SECOND, low), min(end_s * SECOND, high)
            if end <= start:
                continue
            index.starts.append(start)
            index.ends.append(end)
            index.before.append(total)
            total += end - start
            index.through.append(total)
        # Frozen outside, a memo inside: swap the whole index in one assignment.
        object.__setattr__(self, "_index", index)
