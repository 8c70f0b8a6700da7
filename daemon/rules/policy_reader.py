"""Reading what sits around the rules: ``[segments]``, ``[[modifiers]]`` and ``[[inhibit]]``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from daemon.rules.expr import ExpressionError, compile_expr
from daemon.rules.functions import FUNCTIONS
from daemon.rules.locate import Path
from daemon.rules.model import (
    Combine,
    Inhibit,
    Modifier,
    Period,
    Rule,
    TimeoutRule,
)
from daemon.rules.reader import Table, describe
from daemon.rules.schema import Kind
from daemon.rules.syntax import KEYWORDS
from sync.domain import SubjectKind

MODIFIER_KEYS = frozenset(
    {"name", "multiply", "during", "segments", "applies_to", "combine", "floor", "cap"}
)
INHIBIT_KEYS = frozenset({"source", "target", "equal"})
INHIBIT_SOURCE_KEYS = frozenset({"rule", "states"})
INHIBIT_TARGET_KEYS = frozenset({"rule"})

MUTING_STATES = ("pending", "warning", "firing", "acknowledged", "paused")
"""States an inhibit source may mute in (a feed rule's instances are pending or firing)."""

_SEGMENT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_COMBINES = {combine.value: combine for combine in Combine}


def read_segments(top: Table, timezone: str) -> dict[str, str]:
    """Segment name → expression text, each checked to compile for some kind of rule."""
    data = top.typed("segments", dict, "a table of names and conditions, like vip = 'order.vip'")
    segments: dict[str, str] = {}
    for name, text in (data or {}).items():
        path = (*top.path, "segments", name)
        if not _SEGMENT_NAME.fullmatch(name) or name in KEYWORDS or name in FUNCTIONS:
            top.problems.add(path, f"{name!r}: name a segment with lower-case letters, digits, _")
            continue
        if not isinstance(text, str):
            top.problems.add(path, f"expected a condition in quotes, got {describe(text)}")
            continue
        segments[name] = text
    for name, text in segments.items():
        error = _segment_error(text, segments, timezone)
        if error is not None:
            top.problems.add((*top.path, "segments", name), error)
    return segments


def _segment_error(text: str, segments: Mapping[str, str], timezone: str) -> str | None:
    """Why ``text`` compiles for no kind of rule, or None when it compiles for one."""
    first: str | None = None
    for scope in (SubjectKind.SHIPMENT, SubjectKind.SOURCE):
        try:
            compile_expr(text, scope, Kind.BOOL, segments=segments, timezone=timezone)
        except ExpressionError as error:
            first = first or error.located(text)
            continue
        return None
    return first


def read_modifiers(
    top: Table, periods: Mapping[str, Period], rule_ids: set[str], segments: Mapping[str, str]
) -> list[tuple[Modifier, Path]]:
    """The modifiers, not yet bound to rules (``when`` is filled in per rule by :func:`bind`)."""
    found: list[tuple[Modifier, Path]] = []
    for index, data in top.table_list("modifiers"):
        path = (*top.path, "modifiers", index)
        table = Table(data, path, top.problems, MODIFIER_KEYS)
        name = table.text("name", required=True)
        factor = _factor(table)
        during = known_names(table, "during", periods, "period")
        applies_to = known_names(table, "applies_to", rule_ids, "rule")
        segment_names = known_names(table, "segments", segments, "segment")
        combine = table.choice("combine", _COMBINES) or Combine.MAX
        floor = table.duration("floor")
        cap = table.duration("cap")
        if floor is not None and cap is not None and floor > cap:
            table.problem("cap", "is shorter than floor")
        if "during" not in data and "segments" not in data:
            table.problem(
                "multiply", "say when it applies: give during (periods), segments, or both"
            )
        table.finish()
        if name is not None and factor is not None:
            modifier = Modifier(
                name=name,
                multiply=factor,
                during=tuple(periods[period] for period in during),
                applies_to=frozenset(applies_to),
                segments=segment_names,
                combine=combine,
                floor=floor,
                cap=cap,
            )
            found.append((modifier, path))
    return found


def _factor(table: Table) -> Decimal | None:
    value = table.raw("multiply", required=True)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return Decimal(str(value))
    if value is not None:
        table.problem("multiply", f"expected a number above 0, like 1.5, got {describe(value)}")
    return None


def known_names(
    table: Table, key: str, known: Mapping[str, object] | set[str], what: str
) -> tuple[str, ...]:
    """The names listed under ``key`` that are ``known``, in order; the others are problems."""
    names = table.text_list(key)
    for index, name in enumerate(names):
        if name not in known:
            choices = ", ".join(sorted(known)) or "none defined"
            table.problems.add((*table.path, key, index), f"unknown {what} {name!r} ({choices})")
    return tuple(dict.fromkeys(name for name in names if name in known))


def bind(
    rule: Rule,
    modifiers: Sequence[tuple[Modifier, Path]],
    segments: Mapping[str, str],
    top: Table,
) -> Rule:
    """``rule`` with the modifiers that apply to it, their segments compiled for its subject."""
    if not isinstance(rule, TimeoutRule):
        for modifier, path in modifiers:
            if rule.id in modifier.applies_to:
                top.problems.add(
                    (*path, "applies_to"), f"{rule.id} is a condition rule: it has no timeout"
                )
        return rule
    bound = []
    for modifier, path in modifiers:
        if not modifier.applies(rule.id):
            continue
        if not modifier.segments:
            bound.append(modifier)
            continue
        text = " or ".join(modifier.segments)
        try:
            when = compile_expr(
                text, rule.subject, Kind.BOOL, segments=segments, timezone=rule.timezone
            )
        except ExpressionError as error:
            top.problems.add(
                (*path, "segments"), f"cannot apply to rule {rule.id}: {error.message}"
            )
            continue
        bound.append(replace(modifier, when=when))
    return replace(rule, modifiers=tuple(bound))


def read_inhibits(top: Table, rules: Sequence[Rule]) -> list[Inhibit]:
    by_id = {rule.id: rule for rule in rules}
    found = []
    for index, data in top.table_list("inhibit"):
        path = (*top.path, "inhibit", index)
        table = Table(data, path, top.problems, INHIBIT_KEYS)
        source = _side(table, "source", INHIBIT_SOURCE_KEYS, by_id)
        target = _side(table, "target", INHIBIT_TARGET_KEYS, by_id)
        equal = table.text_list("equal")
        states = _states(table)
        table.finish()
        if source is None or target is None:
            continue
        if target.subject is SubjectKind.SOURCE:
            table.problems.add((*path, "target", "rule"), f"{target.id} is about sources")
            continue
        if source.id == target.id:
            table.problems.add((*path, "target", "rule"), f"{target.id} cannot mute itself")
            continue
        for label_index, label in enumerate(equal):
            for side in (source, target):
                if not matchable(side, label):
                    table.problems.add(
                        (*path, "equal", label_index),
                        f"rule {side.id} has no label {label!r}: give it labels = {{ {label} = "
                        f"'...' }}{_BUILT_IN_HINT.get(label, '')}",
                    )
        found.append(Inhibit(source.id, states, target.id, equal))
    return found


BUILT_IN_MATCHES = {
    "order": frozenset({SubjectKind.ORDER, SubjectKind.SHIPMENT}),
    "carrier": frozenset({SubjectKind.SHIPMENT, SubjectKind.SOURCE}),
}
"""Names ``equal`` may use without a label: the same order (order and parcel rules), the same
carrier (a parcel's carrier, or one of the carriers a feed follows)."""

_BUILT_IN_HINT = {
    "order": " ('order' needs order or shipment rules on both sides)",
    "carrier": " ('carrier' needs shipment or source rules on both sides)",
}


def matchable(rule: Rule, name: str) -> bool:
    """Whether ``rule``'s instances have a value for ``name`` in an inhibit's ``equal``."""
    if name in dict(rule.labels):
        return True
    return rule.subject in BUILT_IN_MATCHES.get(name, frozenset())


def _side(
    table: Table, key: str, allowed: frozenset[str], by_id: Mapping[str, Rule]
) -> Rule | None:
    data = table.typed(key, dict, "a table like { rule = 'courier_feed_stale' }", required=True)
    if data is None:
        return None
    side = Table(data, (*table.path, key), table.problems, allowed)
    rule_id = side.text("rule", required=True)
    side.finish()
    if rule_id is None:
        return None
    if rule_id not in by_id:
        known = ", ".join(sorted(by_id)) or "none defined"
        side.problem("rule", f"unknown rule {rule_id!r} ({known})")
        return None
    return by_id[rule_id]


def _states(table: Table) -> frozenset[str]:
    data = table.data.get("source")
    if not isinstance(data, dict) or "states" not in data:
        return frozenset({"firing"})
    side = Table(data, (*table.path, "source"), table.problems, INHIBIT_SOURCE_KEYS)
    states = side.text_list("states")
    for index, state in enumerate(states):
        if state not in MUTING_STATES:
            side.problems.add(
                (*side.path, "states", index),
                f"{state!r} is not one of {', '.join(MUTING_STATES)}",
            )
    return frozenset(state for state in states if state in MUTING_STATES) or frozenset({"firing"})


def positive_interval(table: Table, key: str, default: timedelta) -> timedelta:
    value = table.duration(key)
    if value is None:
        return default
    if value < timedelta(seconds=1):
        table.problem(key, "must be at least 1s")
        return default
    return value
