"""Planning one timer: given a rule, a subject and the time, when does it start, warn and fire?

:func:`plan` is pure: the same rule, subject and ``now`` give the same :class:`Plan`, so the
daemon, ``rules test`` and ``rules explain`` all share it. ``None`` means the rule does not apply
to the subject now (``active_while`` is false, or ``starts_at`` has no value); the caller then
resolves any open timer for it.

Deadlines are wall-clock for now: the timeout is added to the start in UTC, so 24h is always 24
real hours, whatever the local clocks do on a DST night. Business calendars will plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from daemon.rules.durations import format_duration, format_elapsed
from daemon.rules.model import Override, OverridePolicy, TimeoutRule
from daemon.rules.subject import Subject
from daemon.rules.template import show_time
from sync.domain import TimerState


@dataclass(frozen=True, slots=True)
class Plan:
    """A timer's schedule as of ``now``. All instants are UTC.

    ``override`` names the override that set the timeout ("" when the rule's own applied), and
    ``override_index`` is its position in the rule's list. ``modifiers`` names the modifier that
    scaled it by ``factor``. ``state`` and ``next_at`` describe the timer at ``now``: the state it
    should be in, and when that state next changes (None once it is firing).
    """

    rule_id: str
    subject_id: int
    started_at: datetime
    timeout: timedelta
    deadline_at: datetime
    warn_at: datetime | None
    state: TimerState
    next_at: datetime | None
    base_timeout: timedelta
    override: str = ""
    override_index: int | None = None
    modifiers: tuple[str, ...] = ()
    factor: Decimal = Decimal(1)

    def elapsed(self, now: datetime) -> timedelta:
        return now - self.started_at

    def remaining(self, now: datetime) -> timedelta:
        return self.deadline_at - now


def plan(rule: TimeoutRule, subject: Subject, now: datetime) -> Plan | None:
    """The timer ``rule`` needs for ``subject`` at ``now``, or None when it needs none."""
    if subject.kind != rule.subject or not rule.active_while.holds(subject):
        return None
    start = rule.starts_at.instant(subject)
    if start is None or start.tzinfo is None:
        return None
    started_at = start.astimezone(UTC)
    index, override = _override(rule, subject)
    base = rule.timeout if override is None else override.timeout
    factor, modifiers = _factor(rule, started_at)
    timeout = base if factor == 1 else _scale(base, factor)
    deadline_at = started_at + timeout
    warn_at = _warn_at(rule, started_at, timeout, deadline_at)
    return Plan(
        rule_id=rule.id,
        subject_id=subject.subject_id,
        started_at=started_at,
        timeout=timeout,
        deadline_at=deadline_at,
        warn_at=warn_at,
        state=_state(now, warn_at, deadline_at),
        next_at=_next_at(now, warn_at, deadline_at),
        base_timeout=base,
        override="" if override is None else override.name,
        override_index=index,
        modifiers=modifiers,
        factor=factor,
    )


def _override(rule: TimeoutRule, subject: Subject) -> tuple[int | None, Override | None]:
    matches = [(i, o) for i, o in enumerate(rule.overrides) if o.when.holds(subject)]
    if not matches:
        return None, None
    if rule.override_policy is OverridePolicy.MIN:
        return min(matches, key=lambda match: match[1].timeout)
    return matches[0]


def _factor(rule: TimeoutRule, started_at: datetime) -> tuple[Decimal, tuple[str, ...]]:
    """The largest multiplier active on the local day the clock started, and whose it is."""
    if not rule.modifiers:
        return Decimal(1), ()
    day = started_at.astimezone(rule.zone).date()
    active = [modifier for modifier in rule.modifiers if modifier.active_on(day)]
    if not active:
        return Decimal(1), ()
    strongest = max(active, key=lambda modifier: modifier.multiply)
    return strongest.multiply, (strongest.name,)


def _scale(timeout: timedelta, factor: Decimal) -> timedelta:
    seconds = Decimal(int(timeout.total_seconds())) * factor
    return timedelta(seconds=int(seconds.to_integral_value()))


def _warn_at(
    rule: TimeoutRule, started_at: datetime, timeout: timedelta, deadline_at: datetime
) -> datetime | None:
    if rule.warn_before is None:
        return None
    lead = rule.warn_before.before(timeout)
    if lead <= timedelta():
        return None
    return max(started_at, deadline_at - lead)


def _state(now: datetime, warn_at: datetime | None, deadline_at: datetime) -> TimerState:
    if now >= deadline_at:
        return TimerState.FIRING
    if warn_at is not None and now >= warn_at:
        return TimerState.WARNING
    return TimerState.PENDING


def _next_at(now: datetime, warn_at: datetime | None, deadline_at: datetime) -> datetime | None:
    if warn_at is not None and now < warn_at:
        return warn_at
    return deadline_at if now < deadline_at else None


def computed_values(rule: TimeoutRule, planned: Plan | None, now: datetime) -> dict[str, str]:
    """The values of the computed template placeholders (``{elapsed}``, ``{deadline}``, …)."""
    values = {
        "rule": rule.id,
        "title": rule.title,
        "severity": str(rule.severity),
        "started": "-",
        "deadline": "-",
        "elapsed": "-",
        "remaining": "-",
        "timeout": format_duration(rule.timeout),
        "override": "",
        "modifier_note": "",
    }
    if planned is None:
        return values
    zone = rule.zone
    values.update(
        started=show_time(planned.started_at, zone),
        deadline=show_time(planned.deadline_at, zone),
        elapsed=format_elapsed(planned.elapsed(now)),
        remaining=format_elapsed(planned.remaining(now)),
        timeout=format_duration(planned.timeout),
        override=planned.override,
    )
    if planned.modifiers:
        base = format_duration(planned.base_timeout)
        values["modifier_note"] = f" ({base} x{planned.factor} {', '.join(planned.modifiers)})"
    return values


def render_summary(rule: TimeoutRule, subject: Subject, now: datetime) -> str:
    """The rule's summary for ``subject`` at ``now`` (computed values are "-" if it is inactive)."""
    values = computed_values(rule, plan(rule, subject, now), now)
    return rule.summary.render(subject, values, rule.zone)


def render_labels(rule: TimeoutRule, subject: Subject, now: datetime) -> dict[str, str]:
    """The rule's labels with their placeholders filled in for ``subject``."""
    values = computed_values(rule, plan(rule, subject, now), now)
    return {name: label.render(subject, values, rule.zone) for name, label in rule.labels}
