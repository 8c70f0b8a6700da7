"""Planning one timer: given a rule, a subject, the time and what the timer remembers, when does
it start, warn and fire?

:func:`plan` is pure: the same rule, subject, ``now`` and :class:`Memory` give the same
:class:`Plan`, so the daemon, ``rules test`` and ``rules explain`` all share it. ``None`` means the
rule does not apply to the subject now (``active_while`` is false, ``starts_at`` has no value, the
subject is outside the rule's rollout, or a condition stopped holding); the caller then resolves
any open timer for it.

Deadlines count on the rule's clock (wall time or a calendar's open hours, see
:mod:`daemon.rules.business`), always in UTC. Time spent while ``pause_while`` held is added back,
measured on the same clock. Once firing, a timer stays firing until it resolves: a later pause or
a rules edit never takes back an escalation that was raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from daemon.rules.business import WALL, RuleClock
from daemon.rules.durations import format_duration, format_elapsed
from daemon.rules.model import ConditionRule, Rule, TimeoutRule
from daemon.rules.profile import modified, profile_of
from daemon.rules.subject import Subject
from daemon.rules.template import show_time
from sync.domain import TimerRow, TimerState
from sync.store.planning import TimerPlan

NEVER = datetime(9999, 12, 31, tzinfo=UTC)
"""The deadline of a timer whose calendar never opens again within the horizon."""

_RAISED = frozenset({TimerState.FIRING, TimerState.ACKNOWLEDGED})
_ZERO = timedelta()
_LEADS: dict[tuple[Decimal | None, timedelta], timedelta] = {}


class Memory(NamedTuple):
    """What a stored timer remembers that planning needs (a tuple: a full re-plan makes one per
    timer, and a tuple is made in half the time of a frozen dataclass)."""

    state: str
    started_at: datetime
    paused_seconds: int = 0
    paused_since: datetime | None = None
    last_true_at: datetime | None = None

    @classmethod
    def of(cls, timer: TimerRow | None) -> Memory | None:
        if timer is None or timer.state == TimerState.RESOLVED:
            return None
        return cls(
            timer.state,
            timer.started_at,
            timer.paused_seconds,
            timer.paused_since,
            timer.last_true_at,
        )

    @property
    def raised(self) -> bool:
        return self.state in _RAISED


@dataclass(frozen=True, slots=True)
class Plan:
    """A timer's schedule as of ``now``. All instants are UTC.

    ``override`` names the override that set the timeout ("" when the rule's own applied), and
    ``override_index`` is its position in the rule's list. ``modifiers`` names the modifiers that
    scaled it by ``factor``. ``state`` and ``next_at`` describe the timer at ``now``: the state it
    should be in, and when that state next changes (None once firing, or while paused).
    ``paused_seconds`` is time already spent paused (on ``clock``) and ``paused_since`` the start
    of the pause in progress. ``restarted`` says the clock started again at a new instant (a
    new courier scan), ending the timer's previous run. ``learned`` says where a learned
    timeout came from (the route's figure, or why the fallback applied).
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
    clock: RuleClock
    override: str = ""
    override_index: int | None = None
    modifiers: tuple[str, ...] = ()
    factor: Decimal = Decimal(1)
    paused_seconds: int = 0
    paused_since: datetime | None = None
    last_true_at: datetime | None = None
    restarted: bool = False
    learned: str = ""

    def elapsed(self, now: datetime) -> timedelta:
        """Real time since the clock started."""
        return now - self.started_at

    def counted(self, now: datetime) -> timedelta:
        """Time counted against the timeout so far (on the rule's clock, pauses left out)."""
        until = self.paused_since or now
        return self.clock.elapsed(self.started_at, until) - timedelta(seconds=self.paused_seconds)

    def remaining(self, now: datetime) -> timedelta:
        """Counted time left until the deadline (negative once overdue)."""
        if self.state == TimerState.PAUSED:
            return self.timeout - self.counted(now)
        if self.deadline_at == NEVER:
            return self.timeout
        return self.clock.elapsed(now, self.deadline_at)

    @property
    def modifier_text(self) -> str:
        """``holiday-slack x1.5`` — what the timer stores about its modifiers."""
        return modifier_text(self.modifiers, self.factor)

    @property
    def schedule(self) -> Schedule:
        """The plan without its rule and subject ids (see :data:`Schedule`)."""
        return (
            self.started_at,
            self.timeout,
            self.deadline_at,
            self.warn_at,
            self.state,
            self.next_at,
            self.base_timeout,
            self.clock,
            self.override,
            self.override_index,
            self.modifiers,
            self.factor,
            self.paused_seconds,
            self.paused_since,
            self.last_true_at,
            self.restarted,
            self.learned,
        )


def modifier_text(modifiers: tuple[str, ...], factor: Decimal) -> str:
    """``holiday-slack x1.5`` — what a timer stores about its modifiers ("" for none)."""
    if not modifiers:
        return ""
    key = (modifiers, factor)
    found = _MODIFIER_TEXTS.get(key)
    if found is None:  # a re-plan asks for the same few texts a million times
        if len(_MODIFIER_TEXTS) > 1000:
            _MODIFIER_TEXTS.clear()
        found = _MODIFIER_TEXTS[key] = f"{', '.join(modifiers)} x{factor.normalize():f}"
    return found


_MODIFIER_TEXTS: dict[tuple[tuple[str, ...], Decimal], str] = {}


def plan(rule: Rule, subject: Subject, now: datetime, memory: Memory | None = None) -> Plan | None:
    """The timer ``rule`` needs for ``subject`` at ``now``, or None when it needs none."""
    if subject.kind != rule.subject or not rule.in_rollout(subject):
        return None
    if isinstance(rule, ConditionRule):
        return plan_condition(rule, subject, now, memory)
    return _plan_timeout(rule, subject, now, memory)


def _plan_timeout(
    rule: TimeoutRule, subject: Subject, now: datetime, memory: Memory | None
) -> Plan | None:
    found = schedule(rule, subject, now, memory)
    return None if found is None else Plan(rule.id, subject.subject_id, *found)


Schedule = tuple[
    datetime,  # started_at
    timedelta,  # timeout
    datetime,  # deadline_at
    datetime | None,  # warn_at
    TimerState,  # state
    datetime | None,  # next_at
    timedelta,  # base_timeout
    RuleClock,  # clock
    str,  # override
    int | None,  # override_index
    tuple[str, ...],  # modifiers
    Decimal,  # factor
    int,  # paused_seconds
    datetime | None,  # paused_since
    datetime | None,  # last_true_at (None for a timeout rule)
    bool,  # restarted
    str,  # learned
]
"""A :class:`Plan` without its rule and subject ids, field by field: what a re-plan compares
with the stored timer before it builds anything."""


def stored_form(found: Schedule, muted_by: str) -> TimerPlan:
    """What a timer row would hold for the schedule ``found``: equal to the stored row's when
    re-planning it has nothing to write."""
    (started_at, timeout, deadline_at, warn_at, state, next_at, _base, clock, override, _index,
     modifiers, factor, paused, paused_since, last_true_at, _restarted, learned,
     ) = found  # fmt: skip
    return (
        state,
        started_at,
        deadline_at,
        warn_at,
        next_at,
        paused,
        paused_since,
        last_true_at,
        muted_by,
        int(timeout.total_seconds()),
        override or learned,
        modifier_text(modifiers, factor),
        clock.name,
    )


def schedule(
    rule: TimeoutRule, subject: Subject, now: datetime, memory: Memory | None
) -> Schedule | None:
    """The plan of a timeout rule (whose subject kind and rollout the caller checked)."""
    found = profile_of(rule, subject)
    if not found.active:
        return None
    start = rule.starts_at.instant(subject)
    if start is None or start.tzinfo is None:
        return None
    started_at = start if start.tzinfo is UTC else start.astimezone(UTC)
    restarted = memory is not None and memory.started_at != started_at
    if restarted:
        memory = None
    index, override = found.index, found.override
    clock = override.clock if override is not None and override.clock else rule.clock
    base = rule.timeout if override is None else override.timeout
    learned = ""
    if override is None and rule.learned is not None:
        base, learned = rule.learned.pick(subject, rule.timeout)
    factor, modifiers, timeout = modified(rule, found.segments, started_at, base)
    paused = memory.paused_seconds if memory else 0
    paused_since = memory.paused_since if memory else None
    raised = memory is not None and memory.raised
    pausing = found.pausing and not raised
    if paused_since is not None and not pausing:  # the pause just ended: count it
        paused += int(clock.elapsed(paused_since, now).total_seconds())
        paused_since = None
    counted = timeout + timedelta(seconds=paused) if paused else timeout
    deadline_at = clock.add(started_at, counted) or NEVER
    if pausing and (paused_since is not None or deadline_at > now):
        paused_since = paused_since or max(now, started_at)
        state, next_at, warn_at = TimerState.PAUSED, None, None
    else:
        paused_since = None
        warn_at = _warn_at(rule, clock, started_at, timeout, paused, deadline_at)
        state = TimerState.FIRING if raised else _state(now, warn_at, deadline_at)
        next_at = None if raised else _next_at(now, warn_at, deadline_at)
    name = "" if override is None else override.name
    return (
        started_at,
        timeout,
        deadline_at,
        warn_at,
        state,
        next_at,
        base,
        clock,
        name,
        index,
        modifiers,
        factor,
        paused,
        paused_since,
        None,
        restarted,
        learned,
    )


def plan_condition(
    rule: ConditionRule, subject: Subject, now: datetime, memory: Memory | None
) -> Plan | None:
    """A condition rule's instance: pending while ``fires_when`` has held less than ``for``,
    firing after, and still firing ``keep_firing_for`` after it stopped holding."""
    holds = rule.fires_when.holds(subject)
    last_true_at: datetime | None = None
    if holds:
        since = memory.started_at if memory is not None else now
    elif memory is not None and memory.raised and rule.keep_firing_for > timedelta():
        since = memory.started_at
        last_true_at = memory.last_true_at or now
        if now >= last_true_at + rule.keep_firing_for:
            return None
    else:
        return None
    deadline_at = since + rule.hold_for
    raised = (memory is not None and memory.raised) or now >= deadline_at
    if last_true_at is not None:
        next_at: datetime | None = last_true_at + rule.keep_firing_for
    else:
        next_at = None if raised else deadline_at
    return Plan(
        rule_id=rule.id,
        subject_id=subject.subject_id,
        started_at=since,
        timeout=rule.hold_for,
        deadline_at=deadline_at,
        warn_at=None,
        state=TimerState.FIRING if raised else TimerState.PENDING,
        next_at=next_at,
        base_timeout=rule.hold_for,
        clock=WALL,
        last_true_at=last_true_at,
    )


def _warn_at(
    rule: TimeoutRule,
    clock: RuleClock,
    started_at: datetime,
    timeout: timedelta,
    paused: int,
    deadline_at: datetime,
) -> datetime | None:
    warn_before = rule.warn_before
    if warn_before is None or deadline_at == NEVER:
        return None
    lead = warn_before.lead
    if lead is None:  # a share of the timeout: Decimal arithmetic, worked out once per timeout
        key = (warn_before.percent, timeout)
        lead = _LEADS.get(key)
        if lead is None:
            if len(_LEADS) > 10_000:
                _LEADS.clear()
            lead = _LEADS[key] = warn_before.before(timeout)
    if lead <= _ZERO:
        return None
    if lead >= timeout:
        return started_at
    counted = timeout - lead + timedelta(seconds=paused) if paused else timeout - lead
    warn_at = clock.add(started_at, counted)
    return None if warn_at is None else max(started_at, warn_at)


def _state(now: datetime, warn_at: datetime | None, deadline_at: datetime) -> TimerState:
    if now >= deadline_at:
        return TimerState.FIRING
    if warn_at is not None and now >= warn_at:
        return TimerState.WARNING
    return TimerState.PENDING


def _next_at(now: datetime, warn_at: datetime | None, deadline_at: datetime) -> datetime | None:
    if warn_at is not None and now < warn_at:
        return warn_at
    if deadline_at == NEVER:
        return None
    return deadline_at if now < deadline_at else None


def computed_values(rule: Rule, planned: Plan | None, now: datetime) -> dict[str, str]:
    """The values of the computed template placeholders (``{elapsed}``, ``{deadline}``, …)."""
    base = rule.timeout if isinstance(rule, TimeoutRule) else rule.hold_for
    values = {
        "rule": rule.id,
        "title": rule.title,
        "severity": str(rule.severity),
        "started": "-",
        "deadline": "-",
        "elapsed": "-",
        "remaining": "-",
        "timeout": format_duration(base),
        "override": "",
        "modifier_note": "",
        "clock": rule.clock.name if isinstance(rule, TimeoutRule) else "wall",
    }
    if planned is None:
        return values
    zone = rule.zone
    values.update(
        started=show_time(planned.started_at, zone),
        deadline=show_time(planned.deadline_at, zone) if planned.deadline_at != NEVER else "never",
        elapsed=format_elapsed(planned.elapsed(now)),
        remaining=format_elapsed(planned.remaining(now)),
        timeout=format_duration(planned.timeout),
        override=planned.override,
        clock=planned.clock.name,
    )
    if planned.modifiers:
        note = f" ({format_duration(planned.base_timeout)} x{planned.factor.normalize():f}"
        values["modifier_note"] = f"{note} {', '.join(planned.modifiers)})"
    return values


def render_summary(rule: Rule, subject: Subject, now: datetime, planned: Plan | None = None) -> str:
    """The rule's summary for ``subject`` at ``now`` (computed values are "-" if it is inactive)."""
    found = planned if planned is not None else plan(rule, subject, now)
    return rule.summary.render(subject, computed_values(rule, found, now), rule.zone)


def render_labels(
    rule: Rule, subject: Subject, now: datetime, planned: Plan | None = None
) -> dict[str, str]:
    """The rule's labels with their placeholders filled in for ``subject``."""
    if not rule.labels:
        return {}
    found = planned if planned is not None else plan(rule, subject, now)
    values = computed_values(rule, found, now)
    return {name: label.render(subject, values, rule.zone) for name, label in rule.labels}
