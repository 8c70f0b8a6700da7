"""Until when a snooze lasts, from what the agent picked or typed.

``15m``, ``2h``, ``1d`` count from now; ``17:30`` is the next time the agent's clock shows 17:30;
``tomorrow`` is tomorrow at 09:00 and ``tomorrow 10:30`` says the hour. Local times are turned
into instants in the agent's zone and compared in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo

SNOOZE_CHOICES: tuple[tuple[str, str], ...] = (
    ("15m", "15 minutes"),
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    ("tomorrow", "tomorrow 09:00"),
)

MORNING = time(9, 0)

_SPAN = re.compile(r"(\d+)\s*([mhd])")
_CLOCK = re.compile(r"(?:(tomorrow)\s*)?(\d{1,2}):(\d{2})")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def snooze_until(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The instant a snooze typed as ``text`` ends; ValueError says what is wrong."""
    said = text.strip().lower()
    span = _SPAN.fullmatch(said)
    if span:
        amount = int(span[1]) * _UNITS[span[2]]
        if not amount:
            raise ValueError("a snooze must last a while")
        return now + amount
    if said == "tomorrow":
        return _local(now, zone, 1, MORNING)
    clock = _CLOCK.fullmatch(said)
    if clock is None:
        raise ValueError(f"“{text}” is not a snooze: try 30m, 2h, 1d, 17:30 or tomorrow 10:00")
    hour, minute = int(clock[2]), int(clock[3])
    if hour > 23 or minute > 59:
        raise ValueError(f"“{text}” is not a time of day")
    at = time(hour, minute)
    if clock[1]:
        return _local(now, zone, 1, at)
    today = _local(now, zone, 0, at)
    return today if today > now else _local(now, zone, 1, at)


def _local(now: datetime, zone: tzinfo, days: int, at: time) -> datetime:
    day = now.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, at, zone).astimezone(UTC)
