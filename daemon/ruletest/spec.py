"""Reading a ``rules test`` file: which rules to load, and scenarios of timed events and
expectations.

::

    rule_files = ["rules.toml"]            # relative to this file
    timezone = "Europe/Berlin"             # naive times below are local to this zone

    [fixtures.orders]                      # order fields an event can start from
    vip = { tags = ["vip"], total = 80 }

    [[tests]]
    name = "VIP order breaches after one hour of warehouse time"
    start = "2027-03-25T15:30:00"
    heartbeats = [{ source = "17track", kind = "17track", every = "30m" }]
    events = [
      { at = "+0m", order = { id = "A1", fixture = "vip", paid_at = "now" } },
    ]
    expect = [
      { at = "+0m", rule = "paid_not_shipped", key = "A1", state = "pending" },
      { between = ["+1h", "+2h"], notifications = [] },
    ]

``at`` is relative to ``start`` (``+45m``) or a time; inside events ``now`` is the event's time
and ``-3h`` is relative to it. Problems are reported like rules problems: ``FILE:LINE: key: ...``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from daemon.rules.calendar_reader import read_timezone
from daemon.rules.durations import parse_duration
from daemon.rules.locate import key_lines
from daemon.rules.reader import Problems, Table, describe
from sync.errors import ConfigError

FILE_KEYS = frozenset({"rule_files", "timezone", "fixtures", "tests"})
CASE_KEYS = frozenset({"name", "start", "events", "expect", "heartbeats"})
EVENT_KINDS = ("order", "shipment", "source", "ack", "reload")
EVENT_KEYS = frozenset({"at", *EVENT_KINDS})
HEARTBEAT_KEYS = frozenset({"source", "kind", "every"})
EXPECT_KEYS = frozenset(
    {
        "at",
        "between",
        "rule",
        "key",
        "state",
        "deadline",
        "warn_at",
        "remaining",
        "timeout",
        "override",
        "modifiers",
        "clock",
        "muted_by",
        "escalation",
        "reason",
        "absent",
        "notifications",
        "reload",
        "error_contains",
        "active_version",
        "level",
        "assignee",
        "notified",
        "policy_version",
    }
)

_RELATIVE = re.compile(r"\s*([+-])\s*(\S+)\s*")


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str
    data: Mapping[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    source: str
    kind: str
    every: timedelta


@dataclass(frozen=True, slots=True)
class Expectation:
    """What must hold at ``at`` (or, for notifications, over ``between``)."""

    line: int
    at: datetime
    checks: Mapping[str, Any]
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    start: datetime
    events: tuple[Event, ...]
    expects: tuple[Expectation, ...]
    heartbeats: tuple[Heartbeat, ...] = ()

    @property
    def end(self) -> datetime:
        times = [self.start, *(e.at for e in self.events)]
        times += [x.until or x.at for x in self.expects]
        return max(times)


@dataclass(frozen=True, slots=True)
class TestFile:
    path: Path
    rule_files: tuple[Path, ...]
    timezone: str
    cases: tuple[Case, ...]
    fixtures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def read_test_file(path: Path) -> TestFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}:1: cannot read the test file: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: syntax: {error}") from None
    problems = Problems(str(path), key_lines(text))
    top = Table(data, (), problems, FILE_KEYS)
    rule_files = tuple(path.parent / name for name in top.text_list("rule_files"))
    if not rule_files:
        top.problem("rule_files", 'give the rules to test, like rule_files = ["rules.toml"]')
    timezone = read_timezone(top, "timezone", "UTC")
    fixtures = _fixtures(top)
    zone = ZoneInfo(timezone)
    cases = [_case(top, index, data, zone) for index, data in top.table_list("tests")]
    top.finish()
    problems.raise_if_any()
    return TestFile(path, rule_files, timezone, tuple(c for c in cases if c), fixtures)


def _fixtures(top: Table) -> dict[str, Mapping[str, Any]]:
    data = top.typed("fixtures", dict, "tables like [fixtures.orders]") or {}
    found: dict[str, Mapping[str, Any]] = {}
    for group in data.values():
        if isinstance(group, dict):
            found.update({name: body for name, body in group.items() if isinstance(body, dict)})
    return found


def _case(top: Table, index: int, data: Mapping[str, Any], zone: ZoneInfo) -> Case | None:
    table = Table(data, ("tests", index), top.problems, CASE_KEYS)
    name = table.text("name", required=True) or f"tests[{index}]"
    start = read_instant(table, "start", table.raw("start", required=True), zone, None)
    table.finish()
    if start is None:
        return None
    events = []
    for position, item in table.table_list("events"):
        event = _event(table, position, item, zone, start)
        if event is not None:
            events.append(event)
    expects = []
    for position, item in table.table_list("expect"):
        expect = _expect(table, position, item, zone, start)
        if expect is not None:
            expects.append(expect)
    beats = []
    for position, item in table.table_list("heartbeats"):
        beat = Table(item, (*table.path, "heartbeats", position), table.problems, HEARTBEAT_KEYS)
        source = beat.text("source", required=True)
        every = beat.duration("every", required=True)
        beat.finish()
        if source is not None and every is not None and every > timedelta():
            beats.append(Heartbeat(source, beat.text("kind") or source, every))
    events.sort(key=lambda event: event.at)
    return Case(name, start, tuple(events), tuple(expects), tuple(beats))


def _event(
    table: Table, index: int, data: Mapping[str, Any], zone: ZoneInfo, start: datetime
) -> Event | None:
    path = (*table.path, "events", index)
    item = Table(data, path, table.problems, EVENT_KEYS)
    at = read_instant(item, "at", item.raw("at", required=True), zone, start)
    kinds = [kind for kind in EVENT_KINDS if kind in data]
    item.finish()
    if len(kinds) != 1:
        item.problem("at", f"give exactly one of {', '.join(EVENT_KINDS)} per event")
        return None
    body = data[kinds[0]]
    if not isinstance(body, dict):
        item.problem(kinds[0], f"expected a table, got {describe(body)}")
        return None
    if at is None:
        return None
    return Event(at, kinds[0], body, table.problems.line(path))


def _expect(
    table: Table, index: int, data: Mapping[str, Any], zone: ZoneInfo, start: datetime
) -> Expectation | None:
    path = (*table.path, "expect", index)
    item = Table(data, path, table.problems, EXPECT_KEYS)
    line = table.problems.line(path)
    checks = {key: value for key, value in data.items() if key not in {"at", "between"}}
    item.finish()
    if "between" in data:
        span = data["between"]
        if not isinstance(span, list) or len(span) != 2:
            item.problem("between", "give two times, like between = ['+1h', '+2h']")
            return None
        first = read_instant(item, "between", span[0], zone, start)
        last = read_instant(item, "between", span[1], zone, start)
        if first is None or last is None:
            return None
        return Expectation(line, first, checks, last)
    at = read_instant(item, "at", item.raw("at", required=True), zone, start)
    return None if at is None else Expectation(line, at, checks)


def read_instant(
    table: Table, key: str, value: object, zone: ZoneInfo, base: datetime | None
) -> datetime | None:
    """``value`` as a UTC instant: ``+45m``/``-3h`` from ``base``, ``now`` (= base), or a time
    (naive times are in ``zone``)."""
    found = instant_of(value, zone, base)
    if found is None and value is not None:
        relative = "+45m, " if base is not None else ""
        table.problem(key, f"expected a time ({relative}2027-03-25T15:30), got {describe(value)}")
    return found


def instant_of(value: object, zone: ZoneInfo, base: datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(UTC)
    if not isinstance(value, str):
        return None
    if value.strip() == "now":
        return base
    match = _RELATIVE.fullmatch(value)
    if match is not None and base is not None:
        try:
            amount = parse_duration(match.group(2))
        except ValueError:
            return None
        return base + amount if match.group(1) == "+" else base - amount
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant_of(parsed, zone, base)
