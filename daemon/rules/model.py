"""The rules as the daemon holds them: immutable objects built once per (re)load.

A reload builds a whole new :class:`RuleSet` and swaps one reference; nothing here is ever
changed in place. Expressions and templates inside are already compiled, so evaluating a rule
cannot fail on the shop's text.

Two kinds of rule share the file. A :class:`TimeoutRule` starts a clock at an instant
(``starts_at``) and fires when ``timeout`` of that clock has passed while ``active_while`` holds.
A :class:`ConditionRule` fires when ``fires_when`` has held for ``hold_for`` (``for`` in the
file), and keeps firing ``keep_firing_for`` after it stops holding, so a flapping feed does not
resolve and re-fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from daemon.rules.business import WALL, RuleClock
from daemon.rules.calendar import DAY, Calendar, Window
from daemon.rules.durations import format_duration
from daemon.rules.expr import Expr
from daemon.rules.learned import LearnedTimeout
from daemon.rules.subject import Subject
from daemon.rules.template import Template
from sync.domain import Severity, SubjectKind
from sync.guards import GuardSettings
from sync.rollout import in_rollout
from sync.rollout import rollout_bucket as rollout_bucket  # where explain and tests find it

if TYPE_CHECKING:
    from daemon.rules.workflow import Workflow


class OverridePolicy(StrEnum):
    FIRST = "first"
    """The first override whose ``when`` holds, in file order."""
    MIN = "min"
    """Of all overrides that hold, the one with the shortest timeout."""


class Combine(StrEnum):
    """How a modifier's factor joins those of modifiers before it that also apply."""

    MAX = "max"
    PRODUCT = "product"
    FIRST = "first"


@dataclass(frozen=True, slots=True)
class Override:
    """A different timeout (and maybe clock, severity, escalation) for the subjects ``when``
    matches: VIP orders get 1h instead of 4h."""

    name: str
    when: Expr
    timeout: timedelta
    clock: RuleClock | None = None
    severity: Severity | None = None
    escalation: str | None = None


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


_PERIOD_MEMO = 200_000


@dataclass(frozen=True, slots=True)
class Period:
    """Named stretches of time (public holidays, peak season, nights).

    Days are picked by single ``dates`` and inclusive ``ranges``; ``weekdays`` (0 = Monday) and
    ``times`` (local windows, overnight allowed) narrow them. Every kind of condition given must
    hold; a kind left out does not restrict. Local means ``timezone``.
    """

    name: str
    dates: frozenset[date] = frozenset()
    ranges: tuple[tuple[date, date], ...] = ()
    weekdays: frozenset[int] = frozenset()
    times: tuple[Window, ...] = ()
    timezone: str = "UTC"
    _memo: dict[int, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def contains_day(self, day: date) -> bool:
        if not self.dates and not self.ranges:
            return True
        return day in self.dates or any(first <= day <= last for first, last in self.ranges)

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` lies in the period. Remembered per UTC minute (per quarter hour
        when only days count: every zone's offsets and midnights fall on UTC quarter hours), so
        a re-plan of many timers started the same day works it out once."""
        step = 60 if self.times else 900
        slot = int(instant.timestamp()) // step
        found = self._memo.get(slot)
        if found is None:
            if len(self._memo) > _PERIOD_MEMO:
                self._memo.clear()
            found = self._memo[slot] = self._contains(instant)
        return found

    def adopt(self, other: Period) -> None:
        """Take ``other``'s memo (an equal period: the same answers)."""
        if other == self:
            self._memo.update(other._memo)

    def _contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        if not self.times:
            return self._on(local.date())
        today = local.date()
        for window in self.times:
            if window.start <= minute < window.end and self._on(today):
                return True
            if window.end > DAY and minute < window.end - DAY and self._on(today - timedelta(1)):
                return True
        return False

    def _on(self, day: date) -> bool:
        if self.weekdays and day.weekday() not in self.weekdays:
            return False
        return self.contains_day(day)


@dataclass(frozen=True, slots=True)
class Modifier:
    """Scales the timeouts of the rules it applies to.

    It is active for a timer when the clock started inside one of the ``during`` periods and the
    subject is in one of the ``segments`` (``when`` is those segments compiled for the rule's
    subject); a list left empty does not restrict. ``applies_to`` empty means every timeout rule.
    """

    name: str
    multiply: Decimal
    during: tuple[Period, ...] = ()
    applies_to: frozenset[str] = frozenset()
    segments: tuple[str, ...] = ()
    when: Expr | None = None
    combine: Combine = Combine.MAX
    floor: timedelta | None = None
    cap: timedelta | None = None

    def applies(self, rule_id: str) -> bool:
        return not self.applies_to or rule_id in self.applies_to

    def started_during(self, started_at: datetime) -> bool:
        """Whether a clock started at ``started_at`` is inside one of the ``during`` periods
        (the segments are asked apart: their answer is remembered per kind of subject)."""
        return not self.during or any(period.contains(started_at) for period in self.during)


@dataclass(frozen=True, slots=True)
class Segment:
    """A named condition (``vip = "order.vip or order.total >= 300"``), usable by name."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class TimeoutRule:
    """Raise it when ``timeout`` of its clock passed since ``starts_at`` and nothing changed.

    One instance (a timer) exists per subject while ``active_while`` holds and ``starts_at`` has
    a value; when either stops being true the caller resolves the timer. While ``pause_while``
    holds the clock stands still.
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
    pause_while: Expr | None = None
    clock: RuleClock = WALL
    rollout: Decimal | None = None
    fingerprint: str = ""
    needs_feed: str = ""
    learned: LearnedTimeout | None = None
    """A timeout learned per route (``timeout = "route.p90_silence"``); ``timeout`` is then
    the fallback for routes with too little history."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def fields(self) -> frozenset[str]:
        """Every field the rule reads: a change to any other field cannot move its timers."""
        exprs = [self.starts_at, self.active_while, *(o.when for o in self.overrides)]
        exprs += [m.when for m in self.modifiers if m.when is not None]
        if self.pause_while is not None:
            exprs.append(self.pause_while)
        return frozenset(path for expr in exprs for path in expr.fields)

    def in_rollout(self, subject: Subject) -> bool:
        return _in_rollout(self.id, self.rollout, subject)


@dataclass(frozen=True, slots=True)
class ConditionRule:
    """Raise it when ``fires_when`` has held for ``hold_for``; keep it ``keep_firing_for``."""

    id: str
    title: str
    subject: SubjectKind
    fires_when: Expr
    summary: Template
    hold_for: timedelta = timedelta()
    keep_firing_for: timedelta = timedelta()
    severity: Severity = Severity.WARNING
    labels: tuple[tuple[str, Template], ...] = ()
    escalation: str = ""
    timezone: str = "UTC"
    rollout: Decimal | None = None
    fingerprint: str = ""
    needs_feed: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def fields(self) -> frozenset[str]:
        return self.fires_when.fields

    def in_rollout(self, subject: Subject) -> bool:
        return _in_rollout(self.id, self.rollout, subject)


Rule = TimeoutRule | ConditionRule


def _in_rollout(rule_id: str, rollout: Decimal | None, subject: Subject) -> bool:
    if rollout is None or subject.kind is SubjectKind.SOURCE:
        return True
    order = subject.order
    return in_rollout(rule_id, rollout, order.source, order.external_id)


@dataclass(frozen=True, slots=True)
class Inhibit:
    """While a ``source_rule`` instance is in one of ``states``, ``target_rule`` instances whose
    labels in ``equal`` match it (present and equal on both sides) are muted."""

    source_rule: str
    states: frozenset[str]
    target_rule: str
    equal: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One loaded ``rules.toml``. ``version`` is a hash of the file's text."""

    version: str
    source: str
    timezone: str
    rules: tuple[Rule, ...]
    periods: tuple[Period, ...] = ()
    modifiers: tuple[Modifier, ...] = ()
    calendars: tuple[Calendar, ...] = ()
    segments: tuple[Segment, ...] = ()
    inhibits: tuple[Inhibit, ...] = ()
    eval_interval: timedelta = timedelta(minutes=1)
    workflow: Workflow | None = None
    """Ladders, people, channels and the desk's lists (None only in rule sets built by hand)."""
    dormant: tuple[Rule, ...] = ()
    """Rules that need a feed the shop has not switched on under ``[feeds]``: checked, not run."""
    guards: GuardSettings = field(default_factory=GuardSettings)
    """The ``[guards]`` table: how long the order guards' waiting checks wait."""
    text: str = field(default="", repr=False, compare=False)
    """The file's text ("" in rule sets built by hand): a helper process parses it again to
    look at part of a big re-plan (:mod:`daemon.replan_aside`)."""

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def for_subject(self, kind: SubjectKind) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.subject == kind)

    @property
    def timeout_rules(self) -> tuple[TimeoutRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, TimeoutRule))

    @property
    def condition_rules(self) -> tuple[ConditionRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, ConditionRule))

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(rule.id for rule in self.rules)

    def inhibitors_of(self, rule_id: str) -> tuple[Inhibit, ...]:
        return tuple(inhibit for inhibit in self.inhibits if inhibit.target_rule == rule_id)
