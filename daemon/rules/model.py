"""The rules as the daemon holds them: immutable objects built once per (re)load.

A reload builds a whole new :class:`RuleSet` and swaps one reference; nothing here is ever
changed in place. Expressions and templates inside are already compiled, so evaluating a rule
cannot fail on the shop's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from daemon.rules.durations import format_duration
from daemon.rules.expr import Expr
from daemon.rules.template import Template
from sync.domain import Severity, SubjectKind


class OverridePolicy(StrEnum):
    FIRST = "first"
    """The first override whose ``when`` holds, in file order."""
    MIN = "min"
    """Of all overrides that hold, the one with the shortest timeout."""


@dataclass(frozen=True, slots=True)
class Override:
    """A different timeout for the subjects ``when`` matches (VIP orders: 1h instead of 4h)."""

    name: str
    when: Expr
    timeout: timedelta


@dataclass(frozen=True, slots=True)
class WarnBefore:
    """How long before the deadline to warn: a fixed ``lead``, or ``percent`` of the timeout."""

    lead: timedelta | None = None
    percent: Decimal | None = None

    def before(self, timeout: timedelta) -> timedelta:
        if self.lead is not None:
            return self.lead
        share = (self.percent or Decimal(0)) / 100
        return timedelta(seconds=int(Decimal(timeout.total_seconds()) * share))

    def __str__(self) -> str:
        return format_duration(self.lead) if self.lead is not None else f"{self.percent}%"


@dataclass(frozen=True, slots=True)
class Period:
    """Named days (public holidays, peak season): single ``dates`` and inclusive ``ranges``."""

    name: str
    dates: frozenset[date] = frozenset()
    ranges: tuple[tuple[date, date], ...] = ()

    def contains(self, day: date) -> bool:
        return day in self.dates or any(first <= day <= last for first, last in self.ranges)


@dataclass(frozen=True, slots=True)
class Modifier:
    """Scales the timeout of the rules it applies to when the clock starts inside a period.

    ``applies_to`` empty means every rule. When several modifiers apply, the largest factor wins
    (a holiday inside peak season gives x1.5, not x2.25).
    """

    name: str
    multiply: Decimal
    during: tuple[Period, ...]
    applies_to: frozenset[str] = frozenset()

    def applies(self, rule_id: str) -> bool:
        return not self.applies_to or rule_id in self.applies_to

    def active_on(self, day: date) -> bool:
        return any(period.contains(day) for period in self.during)


@dataclass(frozen=True, slots=True)
class TimeoutRule:
    """A rule of the form: raise it when nothing changed ``timeout`` after ``starts_at``.

    One instance (a timer) exists per subject while ``active_while`` holds and ``starts_at`` has
    a value; when either stops being true the caller resolves the timer.
    """

    id: str
    title: str
    subject: SubjectKind
    starts_at: Expr
    active_while: Expr
    timeout: timedelta
    summary: Template
    overrides: tuple[Override, ...] = ()
    override_policy: OverridePolicy = OverridePolicy.FIRST
    warn_before: WarnBefore | None = None
    severity: Severity = Severity.WARNING
    labels: tuple[tuple[str, Template], ...] = ()
    escalation: str = ""
    timezone: str = "UTC"
    modifiers: tuple[Modifier, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def fields(self) -> frozenset[str]:
        """Every field the rule reads: a change to any other field cannot move its timers."""
        exprs = [self.starts_at, self.active_while, *(o.when for o in self.overrides)]
        return frozenset(path for expr in exprs for path in expr.fields)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One loaded ``rules.toml``. ``version`` is a hash of the file's text."""

    version: str
    source: str
    timezone: str
    rules: tuple[TimeoutRule, ...]
    periods: tuple[Period, ...] = ()
    modifiers: tuple[Modifier, ...] = ()

    def rule(self, rule_id: str) -> TimeoutRule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def for_subject(self, kind: SubjectKind) -> tuple[TimeoutRule, ...]:
        return tuple(rule for rule in self.rules if rule.subject == kind)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(rule.id for rule in self.rules)
