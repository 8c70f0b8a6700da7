"""How far this box's clock is from the sources' clocks, read from their HTTP ``Date`` headers.

A wrong clock makes every timeout rule wrong: an hour fast and every order looks an hour late,
which means false alarms. Each vendor's answer carries a ``Date`` (whole seconds), so the
difference to our own clock, taken when the answer arrives, bounds the skew to about a second
plus the time the answer spent travelling. The daemon watches every answer of its shared HTTP
client; ``orderwatchd doctor`` asks each source once; ``orderwatchd status`` warns from what the
daemon saw last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from sync.store import Store

SKEW_LIMIT = 30.0
"""Seconds of difference that count as a wrong clock."""

SKEW_SECONDS = "clock.skew_seconds"
SKEW_HOST = "clock.skew_host"
SKEW_AT = "clock.skew_at"


@dataclass(frozen=True, slots=True)
class Skew:
    host: str
    seconds: float
    """Our clock minus theirs: positive when this box is ahead."""

    @property
    def wrong(self) -> bool:
        return abs(self.seconds) > SKEW_LIMIT

    def words(self) -> str:
        if abs(self.seconds) < 2:
            return f"this clock agrees with {self.host} (within 2s)"
        way = "ahead of" if self.seconds > 0 else "behind"
        return f"this clock is {abs(self.seconds):.0f}s {way} {self.host}"


def date_header(response: httpx.Response) -> datetime | None:
    value = response.headers.get("date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def skew_of(response: httpx.Response, local: float) -> Skew | None:
    """The skew that ``response`` shows, ``local`` being our clock (epoch seconds) on arrival."""
    when = date_header(response)
    if when is None:
        return None
    # The header drops the fraction of its second: its middle is the best guess.
    return Skew(response.request.url.host, local - (when.timestamp() + 0.5))


class SkewWatch:
    """An httpx response hook that remembers the latest skew per host."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self.wall = wall
        self.by_host: dict[str, Skew] = {}

    async def observe(self, response: httpx.Response) -> None:
        found = skew_of(response, self.wall())
        if found is not None:
            self.by_host[found.host] = found

    def worst(self) -> Skew | None:
        if not self.by_host:
            return None
        return max(self.by_host.values(), key=lambda s: abs(s.seconds))

    def state(self, now: datetime) -> dict[str, str]:
        """The worst skew as daemon_state rows, for ``orderwatchd status``."""
        worst = self.worst()
        if worst is None:
            return {}
        return {
            SKEW_SECONDS: f"{worst.seconds:.1f}",
            SKEW_HOST: worst.host,
            SKEW_AT: now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def stored_skew(state: dict[str, str]) -> Skew | None:
    """The skew the daemon recorded, from its daemon_state rows."""
    try:
        return Skew(state.get(SKEW_HOST, ""), float(state[SKEW_SECONDS]))
    except (KeyError, ValueError):
        return None


async def skew_report(store: Store) -> dict[str, object]:
    """What ``orderwatchd status`` shows about the clock: the daemon's last record of the skew."""
    state = {key: await store.get_state(key) for key in (SKEW_SECONDS, SKEW_HOST, SKEW_AT)}
    skew = stored_skew(state)
    if skew is None:
        return {}
    return {
        "skew_seconds": skew.seconds,
        "host": skew.host,
        "seen_at": state[SKEW_AT],
        "wrong": skew.wrong,
    }


def skew_lines(report: dict[str, object]) -> list[str]:
    if not report:
        return []
    skew = Skew(str(report["host"]), float(str(report["skew_seconds"])))
    line = f"clock        {skew.words()} (seen {report['seen_at']})"
    if not skew.wrong:
        return [line]
    return [line, f"  ! {FIX}"]


FIX = (
    "timeout rules fire at the wrong times with a wrong clock: turn on time sync "
    "(timedatectl set-ntp true, or chrony/ntpd) and check the time zone of the box"
)
