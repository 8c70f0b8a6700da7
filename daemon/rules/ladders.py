"""Reading ``[escalations.*]``: the ladders an escalation climbs until someone acknowledges it.

::

    [escalations.warehouse]
    ack_expires = "2h"                  # acknowledged but still open after 2h: start again

    [[escalations.warehouse.levels]]
    notify = ["team:warehouse"]         # whoever of the team is on duty
    channels = ["console", "wecom"]
    ack_within = "15m"                  # not acknowledged 15m after this level began: next

    [[escalations.warehouse.levels]]
    reassign_to = "backup"              # the owner's backup (or the team's), or "agent:ben"
    channels = ["console", "dingtalk"]
    ack_within = "30m"
    active_during = "office"            # a calendar; outside its hours ...
    outside_hours = "skip"              # ... go straight on ("wait": hold until it opens)

    [[escalations.warehouse.levels]]
    notify = ["agent:owner"]
    channels = ["console", "email"]
    repeat = { every = "30m", times = 3 }

A :class:`Policy` is frozen into every escalation that starts on it (:meth:`Policy.snapshot`,
with the calendars it uses), so a reload never changes a ladder in flight:
:func:`policy_from_snapshot` reads it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from daemon.rules.calendar import Calendar, Closure, Window
from daemon.rules.reader import Table, describe

POLICY_KEYS = frozenset({"ack_expires", "levels"})
LEVEL_KEYS = frozenset(
    {"notify", "channels", "ack_within", "reassign_to", "repeat", "active_during", "outside_hours"}
)
REPEAT_KEYS = frozenset({"every", "times"})

BACKUP = "backup"


class OutsideHours(StrEnum):
    SKIP = "skip"
    """Go straight on to the next level."""
    WAIT = "wait"
    """Hold this level until its hours begin (or its team comes on duty)."""


@dataclass(frozen=True, slots=True)
class Level:
    """One rung: whom to tell (``notify`` targets ``team:NAME`` / ``agent:LOGIN``), how, and for
    how long before the next rung."""

    notify: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    ack_within: timedelta | None = None
    reassign_to: str = ""
    """``agent:LOGIN``, or ``backup``: the owner's backup, else the notified team's."""
    repeat_every: timedelta | None = None
    repeat_times: int = 0
    active_during: Calendar | None = None
    outside_hours: OutsideHours = OutsideHours.WAIT


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    ack_expires: timedelta | None = None

    def snapshot(self) -> str:
        """The policy as JSON text, canonical (equal policies give equal text)."""
        return json.dumps(_policy_json(self), sort_keys=True, ensure_ascii=False)

    @property
    def version(self) -> str:
        return hashlib.sha256(self.snapshot().encode("utf-8")).hexdigest()[:12]


def read_policies(
    top: Table,
    calendars: Mapping[str, Calendar],
    channels: Mapping[str, object],
    teams: Mapping[str, object],
    agents: Mapping[str, object],
) -> dict[str, Policy]:
    data = top.typed("escalations", dict, "tables like [escalations.warehouse]")
    found: dict[str, Policy] = {}
    for name, body in (data or {}).items():
        path = (*top.path, "escalations", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, POLICY_KEYS)
        ack_expires = table.duration("ack_expires")
        items = table.table_list("levels")
        if not items:
            table.problem("levels", "give at least one level ([[escalations.NAME.levels]])")
        context = _Context(calendars, channels, teams, agents)
        levels = [_level(table, index, item, context) for index, item in items]
        table.finish()
        if items and items[-1][1].get("ack_within") is not None:
            top.problems.add(
                (*path, "levels", items[-1][0], "ack_within"),
                "the last level has no level after it: use repeat to remind again",
            )
        if all(level is not None for level in levels) and levels:
            found[name] = Policy(name, tuple(lv for lv in levels if lv is not None), ack_expires)
    return found


@dataclass(frozen=True, slots=True)
class _Context:
    calendars: Mapping[str, Calendar]
    channels: Mapping[str, object]
    teams: Mapping[str, object]
    agents: Mapping[str, object]


def _level(policy: Table, index: int, data: Mapping[str, Any], context: _Context) -> Level | None:
    table = Table(data, (*policy.path, "levels", index), policy.problems, LEVEL_KEYS)
    notify = table.text_list("notify")
    for position, target in enumerate(notify):
        problem = _target_problem(target, context)
        if problem:
            table.problems.add((*table.path, "notify", position), problem)
    reassign = table.text("reassign_to") or ""
    if reassign and reassign != BACKUP:
        problem = _target_problem(reassign, context, agents_only=True)
        if problem:
            table.problem("reassign_to", problem)
    if not notify and not reassign:
        table.problem("notify", "say whom this level tells: notify, reassign_to, or both")
    channels = table.text_list("channels")
    if not channels:
        table.problem("channels", "give at least one channel, like channels = ['console']")
    for position, channel in enumerate(channels):
        if channel not in context.channels:
            known = ", ".join(sorted(context.channels))
            table.problems.add(
                (*table.path, "channels", position), f"unknown channel {channel!r} ({known})"
            )
    every, times = _repeat(table)
    calendar = _calendar(table, context.calendars)
    outside = table.choice("outside_hours", {o.value: o for o in OutsideHours})
    level = Level(
        notify=notify,
        channels=channels,
        ack_within=_positive(table, "ack_within"),
        reassign_to=reassign,
        repeat_every=every,
        repeat_times=times,
        active_during=calendar,
        outside_hours=outside or OutsideHours.WAIT,
    )
    table.finish()
    return level


def _target_problem(target: str, context: _Context, agents_only: bool = False) -> str:
    kind, colon, name = target.partition(":")
    if not colon or kind not in ("team", "agent") or (agents_only and kind != "agent"):
        shape = "'agent:LOGIN'" if agents_only else "'team:NAME' or 'agent:LOGIN'"
        return f"{target!r}: write {shape}"
    known = context.teams if kind == "team" else context.agents
    if name not in known:
        return f"unknown {kind} {name!r} ({', '.join(sorted(known)) or 'none defined'})"
    return ""


def _positive(table: Table, key: str) -> timedelta | None:
    value = table.duration(key)
    if value is not None and value < timedelta(seconds=1):
        table.problem(key, "must be at least 1s")
        return None
    return value


def _repeat(table: Table) -> tuple[timedelta | None, int]:
    data = table.typed("repeat", dict, "a table like { every = '30m', times = 3 }")
    if data is None:
        return None, 0
    repeat = Table(data, (*table.path, "repeat"), table.problems, REPEAT_KEYS)
    every = _positive(repeat, "every")
    if "every" not in data:
        repeat.problem("every", "missing (this key is required)")
    times = repeat.typed("times", int, "a whole number", required=True)
    if times is not None and times < 1:
        repeat.problem("times", "must be 1 or more")
    repeat.finish()
    if every is None or times is None or times < 1:
        return None, 0
    return every, times


def _calendar(table: Table, calendars: Mapping[str, Calendar]) -> Calendar | None:
    name = table.text("active_during")
    if name is None:
        return None
    if name not in calendars:
        known = ", ".join(sorted(calendars)) or "none defined"
        table.problem("active_during", f"unknown calendar {name!r} ({known})")
        return None
    return calendars[name]


# ----- snapshots -----


def _policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "ack_expires": _seconds(policy.ack_expires),
        "levels": [
            {
                "notify": list(level.notify),
                "channels": list(level.channels),
                "ack_within": _seconds(level.ack_within),
                "reassign_to": level.reassign_to,
                "repeat": [_seconds(level.repeat_every), level.repeat_times],
                "active_during": _calendar_json(level.active_during),
                "outside_hours": str(level.outside_hours),
            }
            for level in policy.levels
        ],
    }


def policy_from_snapshot(text: str) -> Policy | None:
    """The policy frozen in ``text`` (None for '' or text this version cannot read)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        levels = tuple(_level_from(item) for item in data["levels"])
        return Policy(str(data["name"]), levels, _delta(data.get("ack_expires")))
    except (ValueError, KeyError, TypeError):
        return None


def _level_from(item: Mapping[str, Any]) -> Level:
    every, times = item.get("repeat") or [None, 0]
    return Level(
        notify=tuple(item.get("notify", ())),
        channels=tuple(item.get("channels", ())),
        ack_within=_delta(item.get("ack_within")),
        reassign_to=str(item.get("reassign_to", "")),
        repeat_every=_delta(every),
        repeat_times=int(times or 0),
        active_during=_calendar_from(item.get("active_during")),
        outside_hours=OutsideHours(item.get("outside_hours", "wait")),
    )


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _delta(value: object) -> timedelta | None:
    return None if value is None else timedelta(seconds=int(str(value)))


def _calendar_json(calendar: Calendar | None) -> dict[str, Any] | None:
    if calendar is None:
        return None
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "week": [[[w.start, w.end] for w in day] for day in calendar.week],
        "holidays": sorted(day.isoformat() for day in calendar.holidays),
        "closures": [[c.start.isoformat(), c.end.isoformat(), c.note] for c in calendar.closures],
    }


def _calendar_from(data: Mapping[str, Any] | None) -> Calendar | None:
    if data is None:
        return None
    week: Sequence[Sequence[Sequence[int]]] = data["week"]
    return Calendar(
        name=str(data["name"]),
        timezone=str(data["timezone"]),
        week=tuple(tuple(Window(int(a), int(b)) for a, b in day) for day in week),
        holidays=frozenset(date.fromisoformat(day) for day in data["holidays"]),
        closures=tuple(
            Closure(datetime.fromisoformat(a), datetime.fromisoformat(b), str(note))
            for a, b, note in data["closures"]
        ),
    )
