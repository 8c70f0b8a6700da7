"""Reading one ``[[rules]]`` table into a :class:`~daemon.rules.model.TimeoutRule`.

Every key is read even after a problem, so one pass reports them all. The accepted keys are
listed in :data:`RULE_KEYS` and :data:`OVERRIDE_KEYS`; a test checks the default ``rules.toml``
shows each of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from daemon.rules.durations import format_duration, parse_duration
from daemon.rules.locate import Path
from daemon.rules.model import Override, OverridePolicy, TimeoutRule, WarnBefore
from daemon.rules.reader import Problems, Table
from daemon.rules.schema import Kind
from daemon.rules.template import Template
from sync.domain import Severity, SubjectKind

RULE_KEYS = frozenset(
    {
        "id",
        "title",
        "subject",
        "starts_at",
        "active_while",
        "timeout",
        "overrides",
        "override_policy",
        "warn_before",
        "severity",
        "summary",
        "labels",
        "escalation",
    }
)
OVERRIDE_KEYS = frozenset({"name", "when", "timeout"})

PLANNED_RULE_KEYS = {
    "pause_while": "pausing the clock is planned",
    "clock": "business-hour calendars are planned; timeouts count wall-clock time",
    "fires_when": "condition rules are planned",
    "for": "condition rules are planned",
    "keep_firing_for": "condition rules are planned",
    "group_by": "grouped notifications are planned",
    "group_wait": "grouped notifications are planned",
}

DEFAULT_SUMMARY = {
    SubjectKind.ORDER: "Order {order.number}: {title}, {elapsed} since start (limit {timeout})",
    SubjectKind.SHIPMENT: (
        "Order {order.number}, {shipment.carrier} parcel {shipment.tracking_number}: "
        "{title}, {elapsed} since start (limit {timeout})"
    ),
}

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_SUBJECTS = {kind.value: kind for kind in SubjectKind}
_SEVERITIES = {severity.value: severity for severity in Severity}
_POLICIES = {policy.value: policy for policy in OverridePolicy}


def read_rule(
    data: Mapping[str, Any], path: Path, problems: Problems, timezone: str
) -> TimeoutRule | None:
    """The rule in ``data`` (at ``path``), or None after recording its problems."""
    table = Table(data, path, problems, RULE_KEYS, PLANNED_RULE_KEYS)
    before = len(problems.found)
    rule_id = table.text("id", required=True)
    if rule_id is not None and not _ID.fullmatch(rule_id):
        table.problem("id", f"{rule_id!r}: use letters, digits, '_' and '-' only")
    subject = table.choice("subject", _SUBJECTS, required=True)
    # With no valid subject, check expressions against every field so their other errors show.
    scope = subject or SubjectKind.SHIPMENT
    starts_at = table.expr("starts_at", scope, Kind.TIME, required=True)
    active_while = table.expr("active_while", scope, Kind.BOOL, required=True)
    timeout = _positive(table, "timeout", table.duration("timeout", required=True))
    overrides = _overrides(table, scope)
    warn_before = _warn_before(table)
    _check_warning(table, warn_before, timeout, overrides)
    summary = table.template("summary", scope, DEFAULT_SUMMARY[scope])
    title = table.text("title")
    policy = table.choice("override_policy", _POLICIES) or OverridePolicy.FIRST
    severity = table.choice("severity", _SEVERITIES) or Severity.WARNING
    labels = _labels(table, scope)
    escalation = table.text("escalation") or ""
    table.finish()
    if len(problems.found) > before:
        return None
    assert rule_id and subject and starts_at and active_while and timeout and summary
    return TimeoutRule(
        id=rule_id,
        title=title or rule_id,
        subject=subject,
        starts_at=starts_at,
        active_while=active_while,
        timeout=timeout,
        summary=summary,
        overrides=overrides,
        override_policy=policy,
        warn_before=warn_before,
        severity=severity,
        labels=labels,
        escalation=escalation,
        timezone=timezone,
    )


def _positive(table: Table, key: str | int, value: timedelta | None) -> timedelta | None:
    if value is not None and value <= timedelta():
        table.problem(key, "must be longer than 0s")
        return None
    return value


def _overrides(table: Table, subject: SubjectKind) -> tuple[Override, ...]:
    overrides = []
    for index, data in table.table_list("overrides"):
        item = Table(data, (*table.path, "overrides", index), table.problems, OVERRIDE_KEYS)
        name = item.text("name") or f"overrides[{index}]"
        when = item.expr("when", subject, Kind.BOOL, required=True)
        timeout = _positive(item, "timeout", item.duration("timeout", required=True))
        item.finish()
        if when is not None and timeout is not None:
            overrides.append(Override(name, when, timeout))
    return tuple(overrides)


def _warn_before(table: Table) -> WarnBefore | None:
    text = table.typed("warn_before", str, 'a duration or a percentage in quotes, like "25%"')
    if text is None:
        return None
    if not text.strip().endswith("%"):
        lead = table.convert("warn_before", text, parse_duration)
        return None if lead is None else WarnBefore(lead=lead)
    try:
        percent = Decimal(text.strip()[:-1])
    except InvalidOperation:
        percent = Decimal(-1)
    if not 0 < percent < 100:
        table.problem("warn_before", f"{text!r}: a percentage must be between 0% and 100%")
        return None
    return WarnBefore(percent=percent)


def _labels(table: Table, subject: SubjectKind) -> tuple[tuple[str, Template], ...]:
    data = table.typed("labels", dict, "a table of texts, like { team = 'warehouse' }")
    if data is None:
        return ()
    labels = Table(data, (*table.path, "labels"), table.problems, frozenset(data))
    found = []
    for name in data:
        template = labels.template(name, subject, "")
        if template is not None:
            found.append((name, template))
    return tuple(found)


def _check_warning(
    table: Table,
    warn_before: WarnBefore | None,
    timeout: timedelta | None,
    overrides: tuple[Override, ...],
) -> None:
    """A fixed warning lead must be shorter than every timeout it can apply to."""
    if warn_before is None or warn_before.lead is None:
        return
    lead = warn_before.lead
    if timeout is not None and lead >= timeout:
        table.problem(
            "warn_before",
            f"{format_duration(lead)} is not shorter than the timeout "
            f'{format_duration(timeout)}; use a percentage such as "25%"',
        )
    for index, override in enumerate(overrides):
        if lead >= override.timeout:
            table.problems.add(
                (*table.path, "overrides", index, "timeout"),
                f"{format_duration(override.timeout)} is not longer than warn_before "
                f"{format_duration(lead)}; use a percentage for warn_before",
            )
