"""Durations as shops write them in ``rules.toml``: ``90s``, ``15m``, ``1h30m``, ``2d``, ``1d12h``.

The grammar is Prometheus's: one or more ``<whole number><unit>`` parts, units from the largest
to the smallest, each at most once, no spaces. Units: ``w`` (week), ``d``, ``h``, ``m``, ``s``.
A duration is always *elapsed* time: ``24h`` is 86 400 real seconds, never "the same local time
tomorrow" (that distinction matters across a DST switch).
"""

from __future__ import annotations

import re
from datetime import timedelta

UNITS: dict[str, timedelta] = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}

HINT = "use 90s, 15m, 4h, 2d"

_PART = re.compile(r"(\d+)([a-zA-Z]+)")


class DurationError(ValueError):
    """Text that is not a duration; ``str()`` is the message to show the shop."""


def parse_duration(text: str) -> timedelta:
    """The duration ``text`` spells, or :class:`DurationError` saying what is wrong with it."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    stripped = text.strip()
    parts = _split(stripped)
    if not stripped or parts is None:
        raise DurationError(f"{shown!r} is not a duration ({HINT})")
    total = timedelta()
    previous = ""
    for amount, unit in parts:
        if unit not in UNITS:
            raise DurationError(f"{shown!r} is not a duration: unknown unit {unit!r} ({HINT})")
        if previous and UNITS[unit] >= UNITS[previous]:
            raise DurationError(
                f"{shown!r} is not a duration: write units from largest to smallest, "
                f"each once (e.g. 1h30m)"
            )
        total += int(amount) * UNITS[unit]
        previous = unit
    return total


def _split(text: str) -> list[tuple[str, str]] | None:
    """``text`` cut into (number, unit) pairs, or None when anything else is in the way."""
    parts: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None:
            return None
        parts.append((match.group(1), match.group(2)))
        position = match.end()
    return parts


def format_duration(value: timedelta) -> str:
    """``value`` in the same grammar, largest unit first (``1d12h``); sub-second parts dropped.

    Weeks are not used on the way out: ``14d`` reads better than ``2w`` in a message. A negative
    value (an overdue ``remaining``) keeps its sign: ``-15m``.
    """
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    out = []
    for unit in ("d", "h", "m", "s"):
        size = int(UNITS[unit].total_seconds())
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return sign + "".join(out)


def format_elapsed(value: timedelta) -> str:
    """``value`` rounded down for people: seconds only under an hour (``4h12m``, ``12m30s``)."""
    seconds = int(value.total_seconds())
    if abs(seconds) >= 3600:
        sign = -1 if seconds < 0 else 1
        seconds = sign * (abs(seconds) // 60 * 60)
    return format_duration(timedelta(seconds=seconds))
