"""A rule instance as a person asks about it: its state, deadline, time left, what decided its
timeout, and whether it is muted. Shared by ``rules test`` (to check expectations and print
timelines) and ``rules explain``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from daemon.rules.business import WALL, BusinessClock, RuleClock
from daemon.rules.durations import format_duration, format_elapsed
from daemon.rules.model import RuleSet
from daemon.rules.plan import NEVER
from sync.domain import EscalationRow, TimerRow, TimerState
from sync.store import SourceTimer


@dataclass(frozen=True, slots=True)
class Instance:
    rule_id: str
    key: str
    state: str
    started_at: datetime
    deadline_at: datetime | None = None
    warn_at: datetime | None = None
    remaining: timedelta | None = None
    timeout: timedelta | None = None
    override: str = ""
    modifiers: tuple[str, ...] = ()
    clock: str = "wall"
    muted_by: str = ""
    escalation: str = "none"
    reason: str = ""
    paused_since: datetime | None = None
    paused: timedelta = timedelta()

    @property
    def live(self) -> bool:
        return self.state != TimerState.RESOLVED

    def line(self, zone: ZoneInfo) -> str:
        """One line of the instance's timeline."""
        parts = [self.state]
        if self.deadline_at is not None and self.deadline_at != NEVER:
            parts.append(f"deadline {show(self.deadline_at, zone)}")
        if self.timeout is not None:
            detail = f"{format_duration(self.timeout)} on {self.clock}"
            if self.override:
                detail += f", override {self.override!r}"
            if self.modifiers:
                detail += f", modifiers {', '.join(self.modifiers)}"
            parts.append(detail)
        if self.paused_since is not None:
            parts.append(f"paused since {show(self.paused_since, zone)}")
        if self.paused:
            parts.append(f"paused {format_elapsed(self.paused)} in all")
        if self.remaining is not None and self.state == TimerState.PAUSED:
            parts.append(f"{format_elapsed(self.remaining)} left")
        if self.muted_by:
            parts.append(f"muted by {self.muted_by}")
        if self.escalation != "none":
            parts.append(f"escalation {self.escalation}")
        if self.reason:
            parts.append(f"reason: {self.reason}")
        return ", ".join(parts)


def show(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def clocks_of(rules: RuleSet) -> dict[str, RuleClock]:
    """Every clock the rules count on, by name (the very objects the rules use)."""
    found: dict[str, RuleClock] = {"wall": WALL}
    for calendar in rules.calendars:
        found[calendar.name] = BusinessClock(calendar)
    for rule in rules.timeout_rules:
        found[rule.clock.name] = rule.clock
        found.update({o.clock.name: o.clock for o in rule.overrides if o.clock is not None})
    return found


def modifier_names(text: str) -> tuple[str, ...]:
    """``"holiday-slack, peak x1.5"`` → ``("holiday-slack", "peak")``."""
    if not text:
        return ()
    names = text.rsplit(" x", 1)[0]
    return tuple(name.strip() for name in names.split(","))


def timer_instance(
    timer: TimerRow,
    key: str,
    now: datetime,
    clocks: dict[str, RuleClock],
    escalation: EscalationRow | None,
) -> Instance:
    clock = clocks.get(timer.clock, WALL)
    timeout = timedelta(seconds=timer.timeout_seconds)
    paused = timedelta(seconds=timer.paused_seconds)
    if timer.state == TimerState.PAUSED and timer.paused_since is not None:
        remaining: timedelta | None = timeout - (
            clock.elapsed(timer.started_at, timer.paused_since) - paused
        )
    elif timer.deadline_at != NEVER:
        remaining = clock.elapsed(now, timer.deadline_at)
    else:
        remaining = None
    state = timer.state
    if escalation is not None and escalation.state == "acknowledged":
        state = "acknowledged"
    return Instance(
        rule_id=timer.rule_id,
        key=key,
        state=state,
        started_at=timer.started_at,
        deadline_at=timer.deadline_at,
        warn_at=timer.warn_at,
        remaining=remaining,
        timeout=timeout,
        override=timer.override,
        modifiers=modifier_names(timer.modifiers),
        clock=timer.clock,
        muted_by=timer.muted_by,
        escalation=escalation.state if escalation is not None else "none",
        reason=timer.reason,
        paused_since=timer.paused_since,
        paused=paused,
    )


def source_instance(timer: SourceTimer, escalation: EscalationRow | None = None) -> Instance:
    """A feed rule's instance, with the escalation it raised (about the feed, no order)."""
    state = timer.state
    if escalation is not None and escalation.state == "acknowledged":
        state = "acknowledged"
    return Instance(
        rule_id=timer.rule_id,
        key=timer.source,
        state=state,
        started_at=timer.since,
        escalation=escalation.state if escalation is not None else "none",
        reason=timer.reason,
    )
