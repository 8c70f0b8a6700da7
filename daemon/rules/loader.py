"""Loading ``rules.toml`` into a :class:`~daemon.rules.model.RuleSet`, or every reason it can't.

Loading is all-or-nothing: the text is parsed, every table type-checked, every expression
compiled, every reference (calendar, period, segment, rule) checked and every template rendered
against a sample order, parcel and source. Any problem, anywhere, raises
:class:`~sync.errors.ConfigError` listing them all as ``FILE:LINE: key: message``; the caller (the
daemon's reload) then keeps running the rules it had.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path as FilePath
from typing import Any

from daemon.rules.business import BusinessClock, RuleClock
from daemon.rules.calendar import Calendar
from daemon.rules.calendar_reader import (
    CALENDAR_KEYS,
    CLOSURE_KEYS,
    PERIOD_KEYS,
    RANGE_KEYS,
    read_calendars,
    read_periods,
    read_timezone,
)
from daemon.rules.guard_reader import GUARD_KEYS, read_guards
from daemon.rules.locate import Path, key_lines
from daemon.rules.model import Rule, RuleSet, Segment, TimeoutRule
from daemon.rules.plan import render_labels, render_summary
from daemon.rules.policy_reader import (
    INHIBIT_KEYS,
    INHIBIT_SOURCE_KEYS,
    INHIBIT_TARGET_KEYS,
    MODIFIER_KEYS,
    bind,
    positive_interval,
    read_inhibits,
    read_modifiers,
    read_segments,
)
from daemon.rules.reader import Problems, Table
from daemon.rules.rule_reader import FEEDS, OVERRIDE_KEYS, RULE_KEYS, RuleContext, read_rule
from daemon.rules.subject import sample_subject
from daemon.rules.workflow import WORKFLOW_TOP_KEYS, read_workflow
from sync.errors import ConfigError

SCHEMA = 1

TOP_KEYS = frozenset(
    {
        "schema",
        "timezone",
        "eval_interval",
        "calendars",
        "periods",
        "segments",
        "modifiers",
        "rules",
        "inhibit",
        "feeds",
        "guards",
        *WORKFLOW_TOP_KEYS,
    }
)

ACCEPTED_KEYS: dict[str, frozenset[str]] = {
    "": TOP_KEYS,
    "calendars.*": CALENDAR_KEYS,
    "calendars.*.closures[]": CLOSURE_KEYS,
    "periods.*": PERIOD_KEYS,
    "periods.*.ranges[]": RANGE_KEYS,
    "modifiers[]": MODIFIER_KEYS,
    "rules[]": RULE_KEYS,
    "rules[].overrides[]": OVERRIDE_KEYS,
    "inhibit[]": INHIBIT_KEYS,
    "inhibit[].source": INHIBIT_SOURCE_KEYS,
    "inhibit[].target": INHIBIT_TARGET_KEYS,
    "feeds": frozenset(FEEDS),
    "guards": GUARD_KEYS,
}
"""Every key the loader accepts, by table; the default ``rules.toml`` shows each one. (Day keys
under ``hours`` and segment names are the shop's own words, so they are not listed.) The keys of
the escalation workflow's tables are in
:data:`~daemon.rules.workflow.WORKFLOW_ACCEPTED_KEYS`."""

DEFAULT_EVAL_INTERVAL = timedelta(minutes=1)

_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def load_rules(path: str | FilePath) -> RuleSet:
    """The rules in the file at ``path``; :class:`ConfigError` if it is unreadable or invalid."""
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}:1: cannot read the rules file: {error}") from None
    return parse_rules(text, str(path))


def parse_rules(text: str, filename: str = "rules.toml") -> RuleSet:
    """The rules in ``text``, named ``filename`` in messages; :class:`ConfigError` if invalid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_syntax_problem(str(error), text, filename)) from None
    problems = Problems(filename, key_lines(text))
    top = Table(data, (), problems, TOP_KEYS)
    schema = top.typed("schema", int, "a whole number")
    if schema is not None and schema != SCHEMA:
        top.problem("schema", f"this orderwatch reads schema {SCHEMA}, not {schema}")
    timezone = read_timezone(top, "timezone", "UTC")
    eval_interval = positive_interval(top, "eval_interval", DEFAULT_EVAL_INTERVAL)
    calendars = read_calendars(top, timezone)
    clocks: dict[str, RuleClock] = {name: BusinessClock(cal) for name, cal in calendars.items()}
    periods = read_periods(top, timezone, calendars)
    segments = read_segments(top, timezone)
    context = RuleContext(timezone, segments, clocks)
    rules = _rules(top, context)
    modifiers = read_modifiers(top, periods, _declared_ids(top), segments)
    rules = [bind(rule, modifiers, segments, top) for rule in rules]
    inhibits = read_inhibits(top, rules)
    workflow = read_workflow(top, timezone, calendars, periods, rules)
    feeds = _feeds(top)
    guards = read_guards(top)
    top.finish()
    _check_clocks(rules, calendars, top)
    for index, rule in enumerate(rules):
        _dry_run(rule, _rule_path(top, rule.id, index), problems)
    problems.raise_if_any()
    dormant = [rule for rule in rules if rule.needs_feed and rule.needs_feed not in feeds]
    return RuleSet(
        version=text_version(text),
        source=filename,
        timezone=timezone,
        rules=tuple(rule for rule in rules if rule not in dormant),
        dormant=tuple(dormant),
        periods=tuple(periods.values()),
        modifiers=tuple(modifier for modifier, _ in modifiers),
        calendars=tuple(calendars.values()),
        segments=tuple(Segment(name, text) for name, text in segments.items()),
        inhibits=tuple(inhibits),
        eval_interval=eval_interval,
        workflow=workflow,
        guards=guards,
        text=text,
    )


def text_version(text: str) -> str:
    """The version of a rules file: a short hash of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _syntax_problem(message: str, text: str, filename: str) -> str:
    match = _SYNTAX_POSITION.search(message)
    if match is not None:
        line, column = match.group(1), match.group(2)
        reason = message[: match.start()]
        return f"{filename}:{line}: syntax: {reason} (column {column})"
    line = str(text.count("\n") + 1)
    reason = message.replace(" (at end of document)", " at the end of the file")
    return f"{filename}:{line}: syntax: {reason}"


def _feeds(top: Table) -> frozenset[str]:
    """The feeds the shop has switched on under ``[feeds]`` (``warehouse_stages = true``)."""
    data = top.typed("feeds", dict, "a table like { warehouse_stages = true }")
    if data is None:
        return frozenset()
    table = Table(data, (*top.path, "feeds"), top.problems, frozenset(FEEDS))
    found = {name for name in FEEDS if table.typed(name, bool, "true or false")}
    table.finish()
    return frozenset(found)


def _declared_ids(top: Table) -> set[str]:
    """Every rule id written in the file, valid rule or not (so references to a rule with a
    problem of its own are not reported twice)."""
    return {data["id"] for _, data in top.table_list("rules") if isinstance(data.get("id"), str)}


def _rules(top: Table, context: RuleContext) -> list[Rule]:
    rules: list[Rule] = []
    first_seen: dict[str, int] = {}
    for index, data in top.table_list("rules"):
        path = (*top.path, "rules", index)
        rule = read_rule(data, path, top.problems, context)
        rule_id = data.get("id")
        if isinstance(rule_id, str) and rule_id in first_seen:
            top.problems.add(
                (*path, "id"),
                f"duplicate rule id {rule_id!r} (first used on line {first_seen[rule_id]})",
            )
        elif isinstance(rule_id, str):
            first_seen[rule_id] = top.problems.line((*path, "id"))
        if rule is not None:
            rules.append(replace(rule, fingerprint=_fingerprint(data, top.data)))
    return rules


def _fingerprint(rule: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """What decides a rule's timers: its own table and every shared table (calendars, periods,
    segments, modifiers, inhibit, timezone). A reload re-plans only the rules whose fingerprint
    moved; a comment, another rule's edit or a change to who is told (agents, teams,
    escalation ladders, channels, the desk, replies) leaves a rule's timers alone."""
    ignored = {"rules", "schema", *WORKFLOW_TOP_KEYS}
    shared = {key: value for key, value in document.items() if key not in ignored}
    text = json.dumps({"rule": rule, "shared": shared}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _rule_path(top: Table, rule_id: str, fallback: int) -> Path:
    for index, data in top.table_list("rules"):
        if data.get("id") == rule_id:
            return (*top.path, "rules", index)
    return (*top.path, "rules", fallback)


def _check_clocks(rules: list[Rule], calendars: dict[str, Calendar], top: Table) -> None:
    """A rule cannot count on a calendar that is never open: its deadline would never come."""
    for index, rule in enumerate(rules):
        if not isinstance(rule, TimeoutRule):
            continue
        clocks = [("clock", rule.clock)] + [
            (f"overrides[{i}].clock", o.clock) for i, o in enumerate(rule.overrides) if o.clock
        ]
        for key, clock in clocks:
            calendar = calendars.get(clock.name) if clock is not None else None
            if calendar is not None and calendar.weekly_minutes == 0:
                top.problems.add(
                    (*_rule_path(top, rule.id, index), "clock"),
                    f"{key}: calendar {calendar.name!r} has no open hours, so this rule "
                    "would never fire",
                )


def _dry_run(rule: Rule, path: Path, problems: Problems) -> None:
    """Render the rule's templates against a sample subject, as a reload would."""
    subject = sample_subject(rule.subject)
    now = datetime(2025, 3, 27, 12, tzinfo=UTC) + timedelta(hours=1)
    try:
        render_summary(rule, subject, now)
        render_labels(rule, subject, now)
    except Exception as error:  # a template bug must reach the shop as a problem, not a crash
        problems.add((*path, "summary"), f"cannot be rendered: {error}")
