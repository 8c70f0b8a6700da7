"""Where an API order source's sync stands, and the rules that make it lose nothing.

A *run* lists every order changed at or after ``since`` (inclusive: an order stamped in the same
second as the bookmark is asked for again rather than missed) and follows the vendor's own page
position (``after``: a GraphQL end cursor, a REST ``page_info``, a page number) until the vendor
says there is no more. Inside a run the vendor's position is what moves, so any number of orders
sharing one ``updated_at`` straddle page boundaries without being skipped or looping forever.

Each page's cursor also records ``last``, the (updated_at, id) of the last order of that page in
listing order. Should the vendor refuse its own position later (an expired page token after a
long outage), the run restarts at ``last``'s time, inclusive, and drops what sorts at or before
``last`` (the id tie-break), so equal timestamps at the boundary are neither lost nor re-applied.

When a run ends, the next one starts at ``high - lookback``: ``high`` is the newest ``updated_at``
seen, taken only from the vendor's data (never the local clock), and the lookback window
catches updates the vendor indexed late. What even that misses (an update older than the
window, a change that did not bump ``updated_at``) is caught by a full reconciliation run,
``since = None``, that the sync engine schedules (:meth:`Window.full_pass`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sync.domain import OrderRecord
from sync.errors import SourceError

_TRAILING_NUMBER = re.compile(r"(\d+)$")

Position = tuple[datetime, str]


def id_key(external_id: str) -> tuple[int, str]:
    """Sort key of a vendor id: numerically by its trailing number (``gid://…/Order/42``)."""
    match = _TRAILING_NUMBER.search(external_id)
    return (int(match.group(1)) if match else -1, external_id)


def position_key(position: Position) -> tuple[datetime, tuple[int, str]]:
    return (position[0], id_key(position[1]))


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None


def _instant(text: object) -> datetime | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"expected a time, got {text!r}")
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return instant.astimezone(UTC)


def _position(value: object) -> Position | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected [time, id], got {value!r}")
    at = _instant(value[0])
    if at is None:
        raise ValueError("a position needs a time")
    return (at, str(value[1]))


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime | None = None
    """Lower bound (inclusive) of the run's ``updated_at`` filter; None lists everything."""
    after: str | None = None
    """The vendor's position inside the run; None between runs."""
    high: datetime | None = None
    """The newest ``updated_at`` seen so far."""
    last: Position | None = None
    """(updated_at, id) of the last order of the last page, in listing order."""
    skip: Position | None = None
    """After a restart: orders sorting at or before this were already saved."""
    full: bool = False
    """This run is a full reconciliation."""

    @classmethod
    def load(cls, text: str, source: str) -> Window:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                since=_instant(data.get("since")),
                after=None if data.get("after") is None else str(data["after"]),
                high=_instant(data.get("high")),
                last=_position(data.get("last")),
                skip=_position(data.get("skip")),
                full=bool(data.get("full", False)),
            )
        except (ValueError, AttributeError, TypeError) as exc:
            raise SourceError(f"{source}: saved cursor is unreadable ({exc})") from exc

    def dump(self) -> str:
        data: dict[str, object] = {
            "since": _iso(self.since),
            "after": self.after,
            "high": _iso(self.high),
        }
        for key, position in (("last", self.last), ("skip", self.skip)):
            if position is not None:
                data[key] = [_iso(position[0]), position[1]]
        if self.full:
            data["full"] = True
        return json.dumps(data, separators=(",", ":"))

    @property
    def between_runs(self) -> bool:
        return self.after is None and self.skip is None

    def keep(self, orders: Sequence[OrderRecord]) -> list[OrderRecord]:
        """``orders`` less those a restart already saved (at or before ``skip``)."""
        if self.skip is None:
            return list(orders)
        bound = position_key(self.skip)
        return [o for o in orders if position_key((o.updated_at, o.external_id)) > bound]

    def advance(
        self, orders: Sequence[OrderRecord], after: str | None, *, lookback: timedelta
    ) -> Window:
        """The window after a page of ``orders``: the next page at ``after``, or, when
        ``after`` is None, the start of the next run."""
        high = max((o.updated_at for o in orders), default=None)
        if self.high is not None and (high is None or self.high > high):
            high = self.high
        last = (orders[-1].updated_at, orders[-1].external_id) if orders else self.last
        skip = self.skip if self.skip is not None and not orders else None
        if after is not None:
            return replace(self, after=after, high=high, last=last, skip=skip)
        since = self.since
        if high is not None:
            since = high - lookback
            if self.since is not None and not self.full and since < self.since:
                since = self.since  # a window never moves back
        return Window(since=since, after=None, high=high, last=None, skip=None, full=False)

    def restart(self) -> Window:
        """The run again from its last saved order, after the vendor refused ``after``."""
        if self.last is None:
            return replace(self, after=None, skip=None)
        return replace(self, since=self.last[0], after=None, skip=self.last)

    def full_pass(self) -> Window | None:
        """The start of a full reconciliation run; None while a run is under way."""
        if not self.between_runs:
            return None
        return Window(since=None, after=None, high=self.high, full=True)
