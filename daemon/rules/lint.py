"""``orderwatchd rules check``: what was understood, and what loads but cannot be what was meant.

A file that loads can still hold mistakes the loader has no reason to refuse: a segment no rule
uses, an override that can never win, a calendar with no open hours, a period nothing refers to.
:func:`lint` finds them (each placed on its line, like load problems) and :func:`summary` says
what the file was read as, so a shop owner can compare it with what they meant.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator
from typing import Any

from daemon.rules.calendar import WEEKDAYS, Calendar
from daemon.rules.durations import format_duration
from daemon.rules.expr import Expr
from daemon.rules.locate import Path, key_lines, line_of
from daemon.rules.model import ConditionRule, OverridePolicy, Rule, RuleSet, TimeoutRule
from daemon.rules.reader import dotted
from daemon.rules.syntax import ExpressionError, Logic, Node, parse
from daemon.rules.workflow import describe as describe_workflow


def lint(rules: RuleSet, text: str, filename: str) -> list[str]:
    """Warnings about ``text`` (already loaded as ``rules``), ordered by line."""
    data = tomllib.loads(text)
    lines = key_lines(text)
    found: list[tuple[int, str]] = []

    def warn(path: Path, message: str) -> None:
        line = line_of(lines, path)
        found.append((line, f"{filename}:{line}: {dotted(path)}: warning: {message}"))

    for path, message in _unused(rules, data):
        warn(path, message)
    for calendar in rules.calendars:
        if calendar.weekly_minutes == 0:
            warn(("calendars", calendar.name, "hours"), "this calendar has no open hours")
    for index, rule in _indexed(data, rules):
        if isinstance(rule, TimeoutRule):
            for at, message in _unreachable(rule):
                warn(("rules", index, "overrides", at), message)
    for path, message in _short_steps(rules):
        warn(path, message)
    return [message for _, message in sorted(found, key=lambda item: item[0])]


def _short_steps(rules: RuleSet) -> Iterator[tuple[Path, str]]:
    """Ladder steps shorter than ``eval_interval``: the engine may look later than they ask."""
    if rules.workflow is None:
        return
    interval = rules.eval_interval
    for name, policy in rules.workflow.policies.items():
        for index, level in enumerate(policy.levels):
            steps = (("ack_within", level.ack_within), ("repeat", level.repeat_every))
            for key, step in steps:
                if step is not None and step < interval:
                    yield (
                        ("escalations", name, "levels", index, key),
                        f"{format_duration(step)} is shorter than eval_interval "
                        f"{format_duration(interval)}",
                    )


def _indexed(data: dict[str, Any], rules: RuleSet) -> Iterator[tuple[int, Rule]]:
    for index, table in enumerate(data.get("rules", [])):
        rule = rules.rule(table.get("id", "")) if isinstance(table, dict) else None
        if rule is not None:
            yield index, rule


def _unused(rules: RuleSet, data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    used_segments: set[str] = set()
    for rule in rules.rules:
        for expr in _exprs(rule):
            used_segments |= expr.segments
    for modifier in rules.modifiers:
        used_segments.update(modifier.segments)
    for segment in rules.segments:
        if segment.name not in used_segments:
            yield ("segments", segment.name), f"segment {segment.name!r} is not used by any rule"
    used_periods = {period.name for modifier in rules.modifiers for period in modifier.during}
    if rules.workflow is not None:
        used_periods |= rules.workflow.periods_used
    for period in rules.periods:
        if period.name not in used_periods:
            message = f"period {period.name!r} is not used by any modifier or channel"
            yield ("periods", period.name), message
    used_calendars = _calendars_referenced(rules, data)
    for calendar in rules.calendars:
        if calendar.name not in used_calendars:
            yield (
                ("calendars", calendar.name),
                f"calendar {calendar.name!r} is not used by any rule, period or calendar",
            )


def _calendars_referenced(rules: RuleSet, data: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for rule in rules.timeout_rules:
        names.add(rule.clock.name)
        names.update(o.clock.name for o in rule.overrides if o.clock is not None)
    if rules.workflow is not None:
        names |= rules.workflow.calendars_used
    for table, key in (("calendars", "holidays_from"), ("periods", "holidays_of")):
        for body in (data.get(table) or {}).values():
            value = body.get(key) if isinstance(body, dict) else None
            names.update([value] if isinstance(value, str) else value or [])
    return names


def _exprs(rule: Rule) -> list[Expr]:
    if isinstance(rule, ConditionRule):
        return [rule.fires_when]
    found = [rule.starts_at, rule.active_while, *(o.when for o in rule.overrides)]
    if rule.pause_while is not None:
        found.append(rule.pause_while)
    return found


def _unreachable(rule: TimeoutRule) -> Iterator[tuple[int, str]]:
    """Overrides that can never be the one chosen, by comparing their conditions' parts: if
    every part of B's condition is also a part of A's, B matches whenever A does."""
    parts = [_conjuncts(override.when.source) for override in rule.overrides]
    for i, override in enumerate(rule.overrides):
        mine = parts[i]
        for j, other in enumerate(rule.overrides):
            theirs = parts[j]
            if i == j or mine is None or theirs is None or not theirs <= mine:
                continue
            if rule.override_policy is OverridePolicy.FIRST and j < i:
                yield (
                    i,
                    (
                        f"override {override.name!r} can never apply: {other.name!r} comes first "
                        "and matches whenever it does"
                    ),
                )
                break
            same_clock = (override.clock or rule.clock) == (other.clock or rule.clock)
            shorter = other.timeout < override.timeout or (
                other.timeout == override.timeout and j < i
            )
            if rule.override_policy is OverridePolicy.MIN and shorter and same_clock:
                yield (
                    i,
                    (
                        f"override {override.name!r} can never apply: {other.name!r} matches "
                        f"whenever it does and its {format_duration(other.timeout)} is not longer"
                    ),
                )
                break


def _conjuncts(text: str) -> frozenset[object] | None:
    """The parts of a condition joined by a top-level ``and``, in a form that ignores spacing."""
    try:
        node = parse(text)
    except ExpressionError:
        return None
    operands = node.operands if isinstance(node, Logic) and node.op == "and" else (node,)
    return frozenset(_canon(operand) for operand in operands if _canon(operand) != _TRUE)


_TRUE = ("Literal", True)


def _canon(node: Node | object) -> object:
    if isinstance(node, tuple):
        return tuple(_canon(item) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    if type(node).__name__ == "Literal":
        return (type(node).__name__, getattr(node, "value", None))
    return (
        type(node).__name__,
        *(_canon(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "column"),
    )


def summary(rules: RuleSet, filename: str) -> list[str]:
    """What the file was read as: counts on the first line, then one line per thing."""
    timeouts, conditions = rules.timeout_rules, rules.condition_rules
    counts = [
        _count(len(rules.rules), "rule")
        + f" ({len(timeouts)} timeout, {len(conditions)} condition)",
        _count(len(rules.calendars), "calendar"),
        _count(len(rules.periods), "period"),
        _count(len(rules.segments), "segment"),
        _count(len(rules.modifiers), "modifier"),
        _count(len(rules.inhibits), "inhibit rule"),
    ]
    lines = [f"{filename}: ok, {', '.join(counts)}; version {rules.version}"]
    lines += [f"  rule {_describe_rule(rule)}" for rule in rules.rules]
    lines += [
        f"  rule {rule.id} [{rule.subject}]: off until [feeds] {rule.needs_feed} = true"
        for rule in rules.dormant
    ]
    lines += [f"  calendar {_describe_calendar(calendar)}" for calendar in rules.calendars]
    for modifier in rules.modifiers:
        when = [p.name for p in modifier.during] + list(modifier.segments)
        lines.append(
            f"  modifier {modifier.name}: x{modifier.multiply} ({modifier.combine}) when "
            f"{' / '.join(when)}, for {', '.join(sorted(modifier.applies_to)) or 'every rule'}"
        )
    for inhibit in rules.inhibits:
        lines.append(
            f"  inhibit {inhibit.source_rule} ({'/'.join(sorted(inhibit.states))}) mutes "
            f"{inhibit.target_rule} on equal {', '.join(inhibit.equal) or '(everything)'}"
        )
    if rules.workflow is not None:
        lines += describe_workflow(rules.workflow)
    return lines


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _describe_rule(rule: Rule) -> str:
    head = f"{rule.id} [{rule.subject}]"
    if isinstance(rule, ConditionRule):
        text = f"{head}: fires after {format_duration(rule.hold_for)}"
        if rule.keep_firing_for:
            text += f", keeps firing {format_duration(rule.keep_firing_for)}"
    else:
        text = f"{head}: {format_duration(rule.timeout)} on {rule.clock.name}"
        if rule.learned is not None:
            text = (
                f"{head}: {rule.learned.name} of each parcel's route (at least "
                f"{rule.learned.min_samples} samples, else {format_duration(rule.timeout)}) "
                f"on {rule.clock.name}"
            )
        if rule.overrides:
            text += f", {_count(len(rule.overrides), 'override')} ({rule.override_policy})"
        if rule.pause_while is not None:
            text += ", pauses"
        if rule.warn_before is not None:
            text += f", warns {rule.warn_before} before"
        if rule.modifiers:
            text += f", modifiers {', '.join(m.name for m in rule.modifiers)}"
    if rule.rollout is not None:
        text += f", rollout {rule.rollout}%"
    return text


def _describe_calendar(calendar: Calendar) -> str:
    runs: list[tuple[int, int, str]] = []  # consecutive days with the same windows
    for index, windows in enumerate(calendar.week):
        shown = " ".join(str(window) for window in windows)
        if windows and runs and runs[-1][1] == index - 1 and runs[-1][2] == shown:
            runs[-1] = (runs[-1][0], index, shown)
        elif windows:
            runs.append((index, index, shown))
    days = [
        f"{WEEKDAYS[first]}{'' if first == last else '-' + WEEKDAYS[last]} {shown}"
        for first, last, shown in runs
    ]
    hours = f"{calendar.weekly_minutes / 60:g}h"
    return (
        f"{calendar.name} ({calendar.timezone}): {hours} a week; {'; '.join(days) or 'closed'}; "
        f"{_count(len(calendar.holidays), 'holiday')}, {_count(len(calendar.closures), 'closure')}"
    )
