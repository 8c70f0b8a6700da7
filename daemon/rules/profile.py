"""What a timeout rule's conditions say about a subject, worked out once per kind of subject.

A full re-plan asks every rule about hundreds of thousands of subjects, and most of what a rule
asks (``active_while``, which override applies, ``pause_while``, which modifiers' segments hold)
depends on a handful of columns with few distinct values: statuses, tags, channel, total. A
:class:`Profile` holds those answers; :func:`profile_of` remembers it per rule and per tuple of
the raw values those conditions read, so subjects alike in those columns share one evaluation.

The memo never changes an answer: expressions are pure functions of the fields they read
(:mod:`daemon.rules.expr`), and the key holds the raw values behind every one of those fields.
A rule whose conditions read a time, the order's parcels, or anything else without a small set
of values is simply evaluated every time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from daemon.rules.expr import Expr
from daemon.rules.model import Combine, Modifier, Override, OverridePolicy, TimeoutRule
from daemon.rules.schema import FIELDS, Kind
from daemon.rules.subject import Subject

_MEMO_SIZE = 50_000
"""Answers kept per rule before the memo starts over (a shop has far fewer kinds of order)."""

_RULES_KEPT = 256
"""Rules whose memos are kept at once (a reload brings new rule objects)."""

STORED_AS = {
    "order.vip": "order.tags",
    "customer.vip": "order.tags",
    "customer.name": "order.customer_name",
    "customer.email": "order.email",
    "shipment.terminal": "shipment.status",
}
"""The stored column a field is computed from, where its name differs."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A timeout rule's conditions answered for one subject.

    ``index`` and ``override`` are the override that sets the timeout (None: the rule's own);
    ``segments`` says, per modifier of the rule, whether its ``when`` holds (True when it has
    none); ``pausing`` whether ``pause_while`` holds (False when the rule has none).
    """

    active: bool
    index: int | None
    override: Override | None
    pausing: bool
    segments: tuple[bool, ...]


def evaluate(rule: TimeoutRule, subject: Subject) -> Profile:
    """The rule's conditions answered for ``subject``, with no memo."""
    index, override = _override(rule, subject)
    return Profile(
        active=rule.active_while.holds(subject),
        index=index,
        override=override,
        pausing=rule.pause_while is not None and rule.pause_while.holds(subject),
        segments=tuple(m.when is None or m.when.holds(subject) for m in rule.modifiers),
    )


def _override(rule: TimeoutRule, subject: Subject) -> tuple[int | None, Override | None]:
    matches = [(i, o) for i, o in enumerate(rule.overrides) if o.when.holds(subject)]
    if not matches:
        return None, None
    if rule.override_policy is OverridePolicy.MIN:
        return min(matches, key=lambda match: match[1].timeout)
    return matches[0]


Key = Callable[[Subject], object]


Modified = tuple[Decimal, tuple[str, ...], timedelta]


@dataclass(slots=True)
class _Memo:
    rule: TimeoutRule
    key: Key | None
    answers: dict[object, Profile] = field(default_factory=dict)
    modified: dict[tuple[tuple[bool, ...], int, timedelta], Modified] = field(default_factory=dict)


_MEMOS: dict[int, _Memo] = {}


def _memo(rule: TimeoutRule) -> _Memo:
    memo = _MEMOS.get(id(rule))
    if memo is None or memo.rule is not rule:  # an id is only reused once its rule is gone
        if len(_MEMOS) >= _RULES_KEPT:
            _MEMOS.clear()
        memo = _MEMOS[id(rule)] = _Memo(rule, key_of(rule))
    return memo


def profile_of(rule: TimeoutRule, subject: Subject) -> Profile:
    """:func:`evaluate`, remembered per rule and per raw values its conditions read."""
    memo = _memo(rule)
    if memo.key is None:
        return evaluate(rule, subject)
    key = memo.key(subject)
    found = memo.answers.get(key)
    if found is None:
        if len(memo.answers) >= _MEMO_SIZE:
            memo.answers.clear()
        found = memo.answers[key] = evaluate(rule, subject)
    return found


def key_of(rule: TimeoutRule) -> Key | None:
    """How to read, from a subject, every raw value the rule's conditions depend on; None when
    one of them is not worth remembering by (a time, the parcels) or not known here."""
    exprs: list[Expr] = [rule.active_while, *(o.when for o in rule.overrides)]
    exprs += [m.when for m in rule.modifiers if m.when is not None]
    if rule.pause_while is not None:
        exprs.append(rule.pause_while)
    paths = set()
    for expr in exprs:
        for path in expr.fields:
            raw = raw_path(path)
            if raw is None:
                return None
            paths.add(raw)
    if not paths:
        return lambda _subject: ()
    getter = operator.attrgetter(*sorted(paths))
    if len(paths) == 1:
        return lambda subject: (getter(subject),)
    return getter


def raw_path(path: str) -> str | None:
    """The attribute of a :class:`Subject` a field is computed from, when it is a value with
    few distinct values (not a time, not the order's parcels)."""
    field = FIELDS.get(path)
    if field is None or field.type.kind in (Kind.TIME, Kind.DURATION):
        return None
    if path.startswith("guard."):
        return "guards"
    raw = STORED_AS.get(path, path)
    table, _, column = raw.partition(".")
    if table not in ("order", "shipment") or column in ("parcels",):
        return None
    return raw


UNMODIFIED = Decimal(1)


def modified(
    rule: TimeoutRule, segments: tuple[bool, ...], started_at: datetime, base: timedelta
) -> Modified:
    """The combined factor of the modifiers active for a timer started at ``started_at``, their
    names, and the timeout they give ``base`` (bounded by their floor and cap). ``segments``
    says, per modifier, whether the subject is in its segments (:attr:`Profile.segments`).

    Remembered per UTC minute of the start: a period's answer never changes within one
    (:meth:`~daemon.rules.model.Period.contains`)."""
    if not rule.modifiers:
        return UNMODIFIED, (), base
    answers = _memo(rule).modified
    key = (segments, int(started_at.timestamp()) // 60, base)
    found = answers.get(key)
    if found is None:
        if len(answers) >= _MEMO_SIZE:
            answers.clear()
        found = answers[key] = _modified(rule, segments, started_at, base)
    return found


def _modified(
    rule: TimeoutRule, segments: tuple[bool, ...], started_at: datetime, base: timedelta
) -> Modified:
    active = [
        m
        for m, inside in zip(rule.modifiers, segments, strict=True)
        if inside and m.started_during(started_at)
    ]
    if not active:
        return UNMODIFIED, (), base
    factor, used = _combine(active)
    timeout = _scale(base, factor)
    floors = [m.floor for m in used if m.floor is not None]
    caps = [m.cap for m in used if m.cap is not None]
    if floors:
        timeout = max(timeout, max(floors))
    if caps:
        timeout = min(timeout, min(caps))
    return factor, tuple(m.name for m in used), timeout


def _combine(active: list[Modifier]) -> tuple[Decimal, list[Modifier]]:
    """Fold the active modifiers in file order, each joining by its own ``combine``."""
    factor = active[0].multiply
    used = [active[0]]
    for modifier in active[1:]:
        if modifier.combine is Combine.FIRST:
            continue
        if modifier.combine is Combine.PRODUCT:
            factor *= modifier.multiply
            used.append(modifier)
        elif modifier.multiply > factor:
            factor = modifier.multiply
            used = [m for m in used if m.combine is Combine.PRODUCT] + [modifier]
    return factor, used


def _scale(timeout: timedelta, factor: Decimal) -> timedelta:
    seconds = Decimal(int(timeout.total_seconds())) * factor
    return timedelta(seconds=int(seconds.to_integral_value()))
