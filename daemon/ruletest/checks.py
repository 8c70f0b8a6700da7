"""Checking one expectation of a ``rules test`` scenario; a failure is a few lines of text:
what differed, and the timeline of the instance it is about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from daemon.outbox.message import Message
from daemon.rules.durations import format_duration, parse_duration
from daemon.ruletest.spec import Expectation, instant_of
from daemon.ruletest.view import Instance, show
from sync.domain import SubjectKind

if TYPE_CHECKING:
    from daemon.ruletest.runner import CaseRun

_TEXT_FIELDS = ("state", "override", "clock", "muted_by", "escalation", "reason")
_TIME_FIELDS = ("deadline", "warn_at")
_DURATION_FIELDS = ("remaining", "timeout")
_LADDER_FIELDS = ("level", "assignee", "policy_version", "notified")


async def check(run: CaseRun, expect: Expectation) -> list[str]:
    where = f"{run.file.path}:{expect.line}: at {_when(run, expect.until or expect.at)}"
    checks = dict(expect.checks)
    failures: list[str] = []
    if "notifications" in checks:
        failures += await _notifications(run, expect, checks.pop("notifications"))
    failures += _reload(run, checks)
    if "rule" in checks or "key" in checks:
        failures += await _instance(run, checks)
    return [failure if failure.startswith("  ") else f"{where}: {failure}" for failure in failures]


def _when(run: CaseRun, at: datetime) -> str:
    offset = at - run.case.start
    sign = "-" if offset < timedelta() else "+"
    return f"{show(at, run.zone)} ({sign}{format_duration(abs(offset))})"


def _reload(run: CaseRun, checks: dict[str, Any]) -> list[str]:
    failures = []
    reloads = run.reloads
    if "reload" in checks and checks["reload"] != reloads.result:
        failures.append(f"the last reload was {reloads.result}, expected {checks['reload']}")
    wanted = checks.get("error_contains")
    if wanted is not None and str(wanted) not in reloads.error:
        failures.append(f"the reload error {reloads.error!r} does not mention {wanted!r}")
    version = checks.get("active_version")
    if version is not None and version != reloads.version:
        failures.append(f"rules version {reloads.version} is active, expected {version}")
    return failures


async def _instance(run: CaseRun, checks: dict[str, Any]) -> list[str]:
    rule_id, key = str(checks.get("rule", "")), str(checks.get("key", ""))
    found = next((i for i in await run.instances() if i.rule_id == rule_id and i.key == key), None)
    name = f"{rule_id} {key}"
    if checks.get("absent") is True:
        if found is not None and found.live:
            return [f"{name}: expected no instance, found one {found.state}", *_timeline(run, name)]
        return []
    if found is None:
        return [f"{name}: no such instance (rule {rule_id!r} never started for {key!r})"]
    failures = [
        f"{name}: {problem}" for problem in _differences(run, found, checks) if problem is not None
    ]
    failures += [f"{name}: {problem}" for problem in await _ladder(run, checks, rule_id, key)]
    return failures + _timeline(run, name) if failures else []


def _differences(run: CaseRun, found: Instance, checks: dict[str, Any]) -> list[str | None]:
    problems: list[str | None] = []
    actual: dict[str, Any] = {
        "state": found.state,
        "override": found.override,
        "clock": found.clock,
        "muted_by": found.muted_by,
        "escalation": found.escalation,
        "reason": found.reason,
    }
    for field in _TEXT_FIELDS:
        if field in checks and str(checks[field]) != actual[field]:
            problems.append(f"{field} is {actual[field]!r}, expected {checks[field]!r}")
    times = {"deadline": found.deadline_at, "warn_at": found.warn_at}
    for field in _TIME_FIELDS:
        if field in checks:
            problems.append(_compare_time(run, field, times[field], checks[field]))
    durations = {"remaining": found.remaining, "timeout": found.timeout}
    for field in _DURATION_FIELDS:
        if field in checks:
            problems.append(_compare(field, durations[field], checks[field], parse_duration))
    if "modifiers" in checks and list(found.modifiers) != list(checks["modifiers"]):
        problems.append(f"modifiers are {list(found.modifiers)}, expected {checks['modifiers']}")
    return problems


async def _ladder(run: CaseRun, checks: dict[str, Any], rule_id: str, key: str) -> list[str]:
    """The escalation's ladder: its level, owner, policy version (numbered by the rules
    version that first had it) and whom it notified at this moment ("channel:login")."""
    wanted = {field: checks[field] for field in _LADDER_FIELDS if field in checks}
    if not wanted:
        return []
    escalation = await run.escalation_of(rule_id, key)
    if escalation is None:
        return [f"no escalation to check {', '.join(wanted)} on"]
    actual: dict[str, Any] = {
        "level": escalation.level,
        "assignee": escalation.assignee,
        "policy_version": run.policy_versions.get(escalation.policy_version, 0),
    }
    if "notified" in wanted:
        now = run.clock.now()
        actual["notified"] = sorted(
            f"{row.channel}:{person.login}"
            for row in await run.store.outbox_rows(escalation.id)
            if row.created_at == now and row.state != "coalesced"
            for person in Message.from_json(row.payload).recipients
        )
        wanted["notified"] = sorted(str(item) for item in wanted["notified"])
    return [
        f"{field} is {actual[field]!r}, expected {value!r}"
        for field, value in wanted.items()
        if actual[field] != value
    ]


def _compare_time(run: CaseRun, field: str, value: datetime | None, wanted: object) -> str | None:
    expected = instant_of(wanted, run.zone, run.case.start)
    if expected is None:
        return f"{field}: {wanted!r} is not a time"
    if value != expected:
        shown = show(value, run.zone) if value is not None else "none"
        return f"{field} is {shown}, expected {show(expected, run.zone)}"
    return None


def _compare(
    field: str, value: timedelta | None, wanted: object, parse: Callable[[str], timedelta]
) -> str | None:
    try:
        expected = parse(str(wanted))
    except ValueError as error:
        return f"{field}: {error}"
    if value != expected:
        shown = format_duration(value) if value is not None else "none"
        return f"{field} is {shown}, expected {format_duration(expected)}"
    return None


async def _notifications(run: CaseRun, expect: Expectation, wanted: object) -> list[str]:
    first = expect.at if expect.until is not None else expect.at - timedelta(seconds=1)
    last = expect.until or expect.at
    orders, parcels = await run.keys()
    feeds = {timer.id: timer.source for timer in await run.store.source_timers()}
    kinds: dict[str, dict[int, str]] = {SubjectKind.SHIPMENT: parcels, SubjectKind.SOURCE: feeds}
    sent = []
    for notice in await run.store.notices(first, last):
        names = kinds.get(notice.subject_kind, orders)
        key = names.get(notice.subject_id, str(notice.subject_id))
        sent.append(f"{notice.rule_id}:{key}:{notice.state}")
    expected = [str(item) for item in wanted] if isinstance(wanted, list) else [str(wanted)]
    if sent != expected:
        return [f"notifications were {sent}, expected {expected}"]
    return []


def _timeline(run: CaseRun, name: str) -> list[str]:
    rule_id, _, key = name.partition(" ")
    lines = run.timelines.get((rule_id, key), [])
    if not lines:
        return []
    return [f"  timeline of {name}:", *(f"    {line}" for line in lines)]
