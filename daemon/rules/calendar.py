"""Business calendars: when a shop's warehouse, couriers or support desk are at work.

A :class:`Calendar` is opening hours per weekday (several windows a day, a window may run past
midnight), holidays (whole local days off), one-off closures (local date-times) and an IANA time
zone. Everything is evaluated in the calendar's zone and handed back as UTC instants: the rest of
orderwatch never sees a local time.

Daylight-saving switches are handled where local times are turned into instants
(:func:`local_to_utc`): a window edge that falls in the spring-forward gap moves to the first
instant that exists after it, and in the repeated autumn hour a window opens at the first
occurrence and closes at the second, so a window never loses the hour it spans.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class Window:
    """Open from ``start`` to ``end`` minutes after local midnight; ``end`` may pass 1440."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end % DAY if self.end > DAY else self.end)}"

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Closure:
    """A one-off closure between two local date-times (stocktaking, a move)."""

    start: datetime
    end: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Calendar:
    """Opening hours in one zone. ``week[0]`` is Monday's windows, ``week[6]`` Sunday's."""

    name: str
    timezone: str
    week: tuple[tuple[Window, ...], ...]
    holidays: frozenset[date] = frozenset()
    closures: tuple[Closure, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def weekly_minutes(self) -> int:
        return sum(window.minutes for day in self.week for window in day)

    def open_days(self) -> list[str]:
        return [WEEKDAYS[index] for index, windows in enumerate(self.week) if windows]

    def intervals(self, first: date, last: date) -> list[tuple[int, int]]:
        """Open intervals of the local days ``first``..``last`` as sorted, merged UTC seconds.

        Closures are cut out. Intervals of a day can reach into the next (overnight windows);
        callers clip to the span they asked about.
        """
        zone = self.zone
        spans: list[tuple[int, int]] = []
        day = first
        while day <= last:
            if day not in self.holidays:
                midnight = datetime.combine(day, time())
                for window in self.week[day.weekday()]:
                    start = local_to_utc(midnight + timedelta(minutes=window.start), zone, True)
                    end = local_to_utc(midnight + timedelta(minutes=window.end), zone, False)
                    if end > start:
                        spans.append((start, end))
            day += timedelta(days=1)
        merged = merge(spans)
        for closure in self.closures:
            cut_start = local_to_utc(closure.start, zone, True)
            cut_end = local_to_utc(closure.end, zone, False)
            merged = subtract(merged, cut_start, cut_end)
        return merged


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_to_utc(local: datetime, zone: ZoneInfo, opening: bool) -> int:
    """The UTC instant (epoch seconds) of the naive ``local`` time in ``zone``.

    A time that exists twice (the repeated autumn hour) gives its first occurrence when
    ``opening`` and its second otherwise. A time that does not exist (the spring-forward gap)
    gives the instant the clocks jumped, the first one that exists after it.
    """
    first = int(local.replace(tzinfo=zone, fold=0).timestamp())
    second = int(local.replace(tzinfo=zone, fold=1).timestamp())
    if first == second:
        return first
    if first < second:  # ambiguous: fold=0 is the earlier occurrence
        return first if opening else second
    # In a gap fold=0 reads the time with the offset before the switch (a later instant) and
    # fold=1 with the offset after it: the switch lies between them.
    return _switch_between(second, first, zone)


def _switch_between(low: int, high: int, zone: ZoneInfo) -> int:
    """The first second in (low, high] whose UTC offset differs from ``low``'s."""
    offset = _offset(low, zone)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(middle, zone) == offset:
            low = middle
        else:
            high = middle
    return high


def _offset(instant: int, zone: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping, non-touching intervals covering the same time as ``spans``."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(spans: list[tuple[int, int]], cut_start: int, cut_end: int) -> list[tuple[int, int]]:
    """``spans`` without the time between ``cut_start`` and ``cut_end``."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= cut_start or start >= cut_end:
            out.append((start, end))
            continue
        if start < cut_start:
            out.append((start, cut_start))
        if end > cut_end:
            out.append((cut_end, end))
    return out


def local_days(start: int, end: int, zone: ZoneInfo) -> Iterator[date]:
    """The local dates the UTC span touches, one day of margin either side."""
    first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
