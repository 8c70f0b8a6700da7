"""Reading one ``[[rules]]`` table into a :class:`TimeoutRule` or a :class:`ConditionRule`.

A rule with ``fires_when`` is a condition rule; any other is a timeout rule. Every key is read even
after a problem, so one pass reports them all. The accepted keys are listed in :data:`RULE_KEYS`
and :data:`OVERRIDE_KEYS`; a test checks the default ``rules.toml`` shows each of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from daemon.rules.business import WALL, RuleClock
from daemon.rules.durations import format_duration, parse_duration
from daemon.rules.expr import Expr
from daemon.rules.learned import DEFAULT_MIN_SAMPLES, TIMEOUT_NAMES, LearnedTimeout
from daemon.rules.locate import Path
from daemon.rules.model import (
    ConditionRule,
    Override,
    OverridePolicy,
    Rule,
    TimeoutRule,
    WarnBefore,
)
from daemon.rules.reader import Problems, Table
from daemon.rules.schema import Kind
from daemon.rules.template import Template
from sync.domain import Severity, SubjectKind

COMMON_KEYS = frozenset(
    {
        "id",
        "title",
        "subject",
        "severity",
        "summary",
        "labels",
        "escalation",
        "rollout",
        "needs_feed",
    }
)
FEEDS = {
    "warehouse_stages": "a warehouse or ERP export with reserved, picked and packed times",
}
"""The feeds a rule can need (``needs_feed``), switched on under ``[feeds]``."""
TIMEOUT_KEYS = frozenset(
    {
        "starts_at",
        "active_while",
        "pause_while",
        "clock",
        "timeout",
        "overrides",
        "override_policy",
        "warn_before",
        "fallback",
        "min_samples",
    }
)
CONDITION_KEYS = frozenset({"fires_when", "for", "keep_firing_for"})
RULE_KEYS = COMMON_KEYS | TIMEOUT_KEYS | CONDITION_KEYS
OVERRIDE_KEYS = frozenset({"name", "when", "timeout", "clock", "severity", "escalation"})

PLANNED_RULE_KEYS = {
    "group_by": "grouped notifications are planned",
    "group_wait": "grouped notifications are planned",
}

DEFAULT_SUMMARY = {
    SubjectKind.ORDER: "Order {order.number}: {title}, {elapsed} since start (limit {timeout})",
    SubjectKind.SHIPMENT: (
        "Order {order.number}, {shipment.carrier} parcel {shipment.tracking_number}: "
        "{title}, {elapsed} since start (limit {timeout})"
    ),
    SubjectKind.SOURCE: "{title}: {source.name} ({source.kind}), {elapsed} so far",
}

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_SUBJECTS = {kind.value: kind for kind in SubjectKind}
_SEVERITIES = {severity.value: severity for severity in Severity}
_POLICIES = {policy.value: policy for policy in OverridePolicy}


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What rules may refer to: the file's zone, its segments and its clocks (by name)."""

    timezone: str = "UTC"
    segments: Mapping[str, str] = field(default_factory=dict)
    clocks: Mapping[str, RuleClock] = field(default_factory=dict)


def read_rule(
    data: Mapping[str, Any], path: Path, problems: Problems, context: RuleContext
) -> Rule | None:
    """The rule in ``data`` (at ``path``), or None after recording its problems."""
    table = Table(data, path, problems, RULE_KEYS, PLANNED_RULE_KEYS)
    before = len(problems.found)
    rule_id = table.text("id", required=True)
    if rule_id is not None and not _ID.fullmatch(rule_id):
        table.problem("id", f"{rule_id!r}: use letters, digits, '_' and '-' only")
    subject = table.choice("subject", _SUBJECTS, required=True)
    if "fires_when" in data:
        rule: Rule | None = _condition(table, rule_id, subject, context)
    else:
        rule = _timeout(table, rule_id, subject, context)
    needs = table.choice("needs_feed", {name: name for name in FEEDS})
    table.finish()
    if rule is not None and needs:
        rule = replace(rule, needs_feed=needs)
    return rule if len(problems.found) == before else None


def _common(
    table: Table, scope: SubjectKind, context: RuleContext
) -> tuple[Template | None, str | None, Severity, tuple[tuple[str, Template], ...], str]:
    summary = table.template("summary", scope, DEFAULT_SUMMARY[scope])
    title = table.text("title")
    severity = table.choice("severity", _SEVERITIES) or Severity.WARNING
    labels = _labels(table, scope)
    escalation = table.text("escalation") or ""
    return summary, title, severity, labels, escalation


def _timeout(
    table: Table, rule_id: str | None, subject: SubjectKind | None, context: RuleContext
) -> TimeoutRule | None:
    for key in sorted(CONDITION_KEYS & table.data.keys()):
        table.problem(key, "only condition rules (with fires_when) take this key")
    if subject is SubjectKind.SOURCE:
        table.problem("subject", "rules about sources are condition rules: give fires_when")
    # With no valid subject, check expressions against every field so their other errors show.
    scope = SubjectKind.SHIPMENT if subject in (None, SubjectKind.SOURCE) else subject
    expr = _expr_reader(table, scope, context)
    starts_at = expr("starts_at", Kind.TIME, True)
    active_while = expr("active_while", Kind.BOOL, True)
    pause_while = expr("pause_while", Kind.BOOL, False)
    clock = read_clock(table, "clock", context) or WALL
    learned = _learned(table, subject)
    if learned is not None:
        timeout = _positive(table, "fallback", table.duration("fallback", required=True))
    else:
        timeout = _positive(table, "timeout", table.duration("timeout", required=True))
    overrides = _overrides(table, scope, context)
    warn_before = _warn_before(table)
    _check_warning(table, warn_before, timeout, overrides)
    summary, title, severity, labels, escalation = _common(table, scope, context)
    policy = table.choice("override_policy", _POLICIES) or OverridePolicy.FIRST
    rollout = read_rollout(table)
    if not (rule_id and subject and starts_at and active_while and timeout and summary):
        return None
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
        timezone=context.timezone,
        pause_while=pause_while,
        clock=clock,
        rollout=rollout,
        learned=learned,
    )


def _learned(table: Table, subject: SubjectKind | None) -> LearnedTimeout | None:
    """``timeout = "route.p90_silence"``: a timeout learned per route, with its ``fallback``
    and ``min_samples``; None when the timeout is a plain duration."""
    metric = TIMEOUT_NAMES.get(str(table.data.get("timeout", "")))
    if metric is None:
        for key in ("fallback", "min_samples"):
            if key in table.data:
                table.problem(key, 'only a learned timeout (like "route.p90_silence") takes it')
        return None
    if subject is not None and subject is not SubjectKind.SHIPMENT:
        table.problem("timeout", "routes are learned for parcels: use it in shipment rules")
    samples = table.typed("min_samples", int, "a whole number, like 20")
    if samples is not None and samples < 1:
        table.problem("min_samples", "must be 1 or more")
        samples = None
    return LearnedTimeout(metric, samples or DEFAULT_MIN_SAMPLES)


def _condition(
    table: Table, rule_id: str | None, subject: SubjectKind | None, context: RuleContext
) -> ConditionRule | None:
    for key in sorted(TIMEOUT_KEYS & table.data.keys()):
        table.problem(key, "condition rules (with fires_when) do not take this key")
    scope = subject or SubjectKind.SOURCE
    fires_when = _expr_reader(table, scope, context)("fires_when", Kind.BOOL, True)
    hold_for = table.duration("for") or timedelta()
    keep = table.duration("keep_firing_for") or timedelta()
    summary, title, severity, labels, escalation = _common(table, scope, context)
    rollout = read_rollout(table)
    if not (rule_id and subject and fires_when and summary):
        return None
    return ConditionRule(
        id=rule_id,
        title=title or rule_id,
        subject=subject,
        fires_when=fires_when,
        summary=summary,
        hold_for=hold_for,
        keep_firing_for=keep,
        severity=severity,
        labels=labels,
        escalation=escalation,
        timezone=context.timezone,
        rollout=rollout,
    )


def _expr_reader(
    table: Table, scope: SubjectKind, context: RuleContext
) -> Callable[[str, Kind, bool], Expr | None]:
    def read(key: str, expect: Kind, required: bool) -> Expr | None:
        return table.expr(key, scope, expect, required, context.segments, context.timezone)

    return read


def read_clock(table: Table, key: str, context: RuleContext) -> RuleClock | None:
    name = table.text(key)
    if name is None:
        return None
    if name == "wall":
        return WALL
    clock = context.clocks.get(name)
    if clock is None:
        known = ", ".join(["wall", *sorted(context.clocks)])
        table.problem(key, f"unknown clock {name!r}: use 'wall' or a calendar ({known})")
    return clock


def read_rollout(table: Table) -> Decimal | None:
    """``rollout = "10%"``: the share of orders the rule runs for while it is being tried."""
    text = table.typed("rollout", str, 'a percentage in quotes, like "10%"')
    if text is None:
        return None
    share = _percent(text)
    if share is None or not 0 < share <= 100:
        table.problem("rollout", f"{text!r}: write a share above 0% and up to 100%, like '10%'")
        return None
    return share


def _percent(text: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped.endswith("%"):
        return None
    try:
        return Decimal(stripped[:-1])
    except InvalidOperation:
        return None


def _positive(table: Table, key: str | int, value: timedelta | None) -> timedelta | None:
    if value is not None and value <= timedelta():
        table.problem(key, "must be longer than 0s")
        return None
    return value


def _overrides(table: Table, subject: SubjectKind, context: RuleContext) -> tuple[Override, ...]:
    overrides = []
    for index, data in table.table_list("overrides"):
        item = Table(data, (*table.path, "overrides", index), table.problems, OVERRIDE_KEYS)
        name = item.text("name") or f"overrides[{index}]"
        when = _expr_reader(item, subject, context)("when", Kind.BOOL, True)
        timeout = _positive(item, "timeout", item.duration("timeout", required=True))
        clock = read_clock(item, "clock", context)
        severity = item.choice("severity", _SEVERITIES)
        escalation = item.text("escalation")
        item.finish()
        if when is not None and timeout is not None:
            overrides.append(Override(name, when, timeout, clock, severity, escalation))
    return tuple(overrides)


def _warn_before(table: Table) -> WarnBefore | None:
    text = table.typed("warn_before", str, 'a duration or a percentage in quotes, like "25%"')
    if text is None:
        return None
    if not text.strip().endswith("%"):
        lead = table.convert("warn_before", text, parse_duration)
        return None if lead is None else WarnBefore(lead=lead)
    percent = _percent(text)
    if percent is None or not 0 < percent < 100:
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
