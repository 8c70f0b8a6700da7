"""Loading ``rules.toml`` into a :class:`~daemon.rules.model.RuleSet`, or every reason it can't.

Loading is all-or-nothing: the text is parsed, every table type-checked, every expression
compiled and every template rendered against a sample order and parcel. Any problem, anywhere,
raises :class:`~sync.errors.ConfigError` listing them all as ``FILE:LINE: key: message``; the
caller (the daemon's reload) then keeps running the rules it had.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.rules.locate import Path, key_lines
from daemon.rules.model import Modifier, Period, RuleSet, TimeoutRule
from daemon.rules.plan import render_labels, render_summary
from daemon.rules.reader import Problems, Table, describe
from daemon.rules.rule_reader import OVERRIDE_KEYS, RULE_KEYS, read_rule
from daemon.rules.subject import sample_subject
from sync.errors import ConfigError

SCHEMA = 1

TOP_KEYS = frozenset({"schema", "timezone", "rules", "periods", "modifiers"})
PERIOD_KEYS = frozenset({"dates", "ranges"})
RANGE_KEYS = frozenset({"from", "to"})
MODIFIER_KEYS = frozenset({"name", "during", "multiply", "applies_to"})


ACCEPTED_KEYS: dict[str, frozenset[str]] = {
    "": TOP_KEYS,
    "rules[]": RULE_KEYS,
    "rules[].overrides[]": OVERRIDE_KEYS,
    "periods.*": PERIOD_KEYS,
    "periods.*.ranges[]": RANGE_KEYS,
    "modifiers[]": MODIFIER_KEYS,
}
"""Every key the loader accepts, by table; the default ``rules.toml`` shows each one."""

PLANNED_TOP_KEYS = {
    "calendars": "business-hour calendars are planned",
    "segments": "named segments are planned",
    "escalations": "escalation policies are planned",
    "channels": "notification channels are planned",
    "inhibit": "inhibition is planned",
    "eval_interval": "the daemon re-plans on every change; no sweep interval is needed yet",
}

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
    top = Table(data, (), problems, TOP_KEYS, PLANNED_TOP_KEYS)
    schema = top.typed("schema", int, "a whole number")
    if schema is not None and schema != SCHEMA:
        top.problem("schema", f"this orderwatch reads schema {SCHEMA}, not {schema}")
    timezone = _timezone(top)
    periods = _periods(top)
    rules = _rules(top, timezone)
    modifiers = _modifiers(top, periods, {rule.id for rule in rules})
    top.finish()
    rules = [_with_modifiers(rule, modifiers) for rule in rules]
    for index, rule in enumerate(rules):
        _dry_run(rule, (*top.path, "rules", index), problems)
    problems.raise_if_any()
    return RuleSet(
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        source=filename,
        timezone=timezone,
        rules=tuple(rules),
        periods=tuple(periods.values()),
        modifiers=tuple(modifiers),
    )


def _syntax_problem(message: str, text: str, filename: str) -> str:
    match = _SYNTAX_POSITION.search(message)
    if match is not None:
        line, column = match.group(1), match.group(2)
        reason = message[: match.start()]
        return f"{filename}:{line}: syntax: {reason} (column {column})"
    line = str(text.count("\n") + 1)
    reason = message.replace(" (at end of document)", " at the end of the file")
    return f"{filename}:{line}: syntax: {reason}"


def _timezone(top: Table) -> str:
    name = top.text("timezone")
    if name is None:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        top.problem("timezone", f"{name!r} is not a time zone (use a name like 'Europe/Berlin')")
        return "UTC"
    return name


def _rules(top: Table, timezone: str) -> list[TimeoutRule]:
    rules: list[TimeoutRule] = []
    first_seen: dict[str, int] = {}
    for index, data in top.table_list("rules"):
        path = (*top.path, "rules", index)
        rule = read_rule(data, path, top.problems, timezone)
        rule_id = data.get("id")
        if isinstance(rule_id, str) and rule_id in first_seen:
            top.problems.add(
                (*path, "id"),
                f"duplicate rule id {rule_id!r} (first used on line {first_seen[rule_id]})",
            )
        elif isinstance(rule_id, str):
            first_seen[rule_id] = top.problems.line((*path, "id"))
        if rule is not None:
            rules.append(rule)
    return rules


def _periods(top: Table) -> dict[str, Period]:
    data = top.typed("periods", dict, "tables like [periods.holidays]")
    periods: dict[str, Period] = {}
    for name, body in (data or {}).items():
        path = (*top.path, "periods", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, PERIOD_KEYS)
        dates = _dates(table)
        ranges = _ranges(table)
        table.finish()
        periods[name] = Period(name, frozenset(dates), tuple(ranges))
    return periods


def _dates(table: Table) -> list[date]:
    value = table.typed("dates", list, 'a list of dates, like ["2025-12-25"]')
    found = []
    for index, item in enumerate(value or []):
        day = _date(table, ("dates", index), item)
        if day is not None:
            found.append(day)
    return found


def _ranges(table: Table) -> list[tuple[date, date]]:
    found = []
    for index, data in table.table_list("ranges"):
        item = Table(data, (*table.path, "ranges", index), table.problems, RANGE_KEYS)
        first = _date(item, ("from",), item.raw("from", required=True))
        last = _date(item, ("to",), item.raw("to", required=True))
        item.finish()
        if first is not None and last is not None:
            if last < first:
                item.problem("to", f"{last} is before {first}")
            found.append((first, last))
    return found


def _date(table: Table, key: tuple[str | int, ...], value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    table.problems.add(
        (*table.path, *key), f"expected a date like 2025-12-25, got {describe(value)}"
    )
    return None


def _modifiers(top: Table, periods: Mapping[str, Period], rule_ids: set[str]) -> list[Modifier]:
    modifiers: list[Modifier] = []
    for index, data in top.table_list("modifiers"):
        table = Table(data, (*top.path, "modifiers", index), top.problems, MODIFIER_KEYS)
        name = table.text("name", required=True)
        factor = _factor(table)
        during = _known(table, "during", periods, "period")
        applies_to = _known(table, "applies_to", rule_ids, "rule")
        if not during and "during" not in data:
            table.raw("during", required=True)
        table.finish()
        if name is not None and factor is not None and during:
            chosen = tuple(periods[period] for period in during)
            modifiers.append(Modifier(name, factor, chosen, frozenset(applies_to)))
    return modifiers


def _factor(table: Table) -> Decimal | None:
    value = table.raw("multiply", required=True)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return Decimal(str(value))
    if value is not None:
        table.problem("multiply", f"expected a number above 0, like 1.5, got {describe(value)}")
    return None


def _known(
    table: Table, key: str, known: Mapping[str, Any] | set[str], what: str
) -> tuple[str, ...]:
    """The names listed under ``key`` that are ``known``, in order; the others are problems."""
    names = table.text_list(key)
    for index, name in enumerate(names):
        if name not in known:
            choices = ", ".join(sorted(known)) or "none defined"
            table.problems.add((*table.path, key, index), f"unknown {what} {name!r} ({choices})")
    return tuple(dict.fromkeys(name for name in names if name in known))


def _with_modifiers(rule: TimeoutRule, modifiers: list[Modifier]) -> TimeoutRule:
    return replace(rule, modifiers=tuple(m for m in modifiers if m.applies(rule.id)))


def _dry_run(rule: TimeoutRule, path: Path, problems: Problems) -> None:
    """Render the rule's templates against a sample subject, as a reload would."""
    subject = sample_subject(rule.subject)
    now = datetime(2025, 3, 27, 12, tzinfo=UTC) + timedelta(hours=1)
    try:
        render_summary(rule, subject, now)
        render_labels(rule, subject, now)
    except Exception as error:  # a template bug must reach the shop as a problem, not a crash
        problems.add((*path, "summary"), f"cannot be rendered: {error}")
