"""One step of an escalation's ladder: where it stands now, and whom to tell.

Pure: given the frozen policy, where the ladder stood, the time and the people on duty, it says
where the ladder stands at ``now``, what happened on the way (for the timeline), when to look
again, and which level to notify. The daemon, the tests and ``rules test`` run this same code on
any clock.

How a ladder moves (PagerDuty's model, with duty hours):

- A level begins; it notifies its targets (the team members on duty, named agents, and the
  escalation's owner). It waits ``ack_within``, counted from its own beginning, then the next
  level begins (reassigning first when it says ``reassign_to``). ``repeat`` reminds again on the
  same level, ``times`` times, ``every`` apart. The last level just stays.
- A level outside its hours (``active_during`` closed, or nobody it reaches on duty) is skipped
  (``outside_hours = "skip"``) or waits for its hours to begin (``"wait"``), and counts from then.
- An acknowledgement stops the ladder. With ``ack_expires``, an escalation still open that long
  after its acknowledgement fires again and starts over at level 1 in a new round.
- A snooze holds everything until it ends; then, if nobody acknowledged, the level starts again.

When the daemon was down, one step walks through everything that came due meanwhile, writing
each move on the timeline, but notifies only the level the ladder stands on now (the caller
coalesces what is overdue).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from daemon.rules.business import BusinessClock
from daemon.rules.durations import format_duration
from daemon.rules.ladders import BACKUP, Level, OutsideHours, Policy
from daemon.rules.people import Roster
from sync.domain import EscalationState
from sync.store import LadderEvent

FIRING = str(EscalationState.FIRING)
ACKNOWLEDGED = str(EscalationState.ACKNOWLEDGED)
RESOLVED = str(EscalationState.RESOLVED)
LOOKAHEAD = timedelta(days=8)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a ladder stands."""

    state: str
    level: int
    ladder_round: int
    repeat_no: int
    level_started_at: datetime | None
    """None: the level was just set (a new escalation, an escalate-now, a reopen) and begins
    at the step's ``begin_at``."""
    assignee: str = ""
    acked_at: datetime | None = None
    acked_by: str = ""
    snoozed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Notify:
    """A level to notify: (round, level, repeat) is its identity; ``due_at`` when it came due."""

    ladder_round: int
    level: int
    repeat_no: int
    recipients: tuple[str, ...]
    channels: tuple[str, ...]
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Advance:
    position: Position
    next_step_at: datetime | None
    events: tuple[LadderEvent, ...] = ()
    notify: Notify | None = None
    visible: bool = False
    """Something agents see changed (state, level, owner), not only bookkeeping."""


def advance(
    policy: Policy, start: Position, now: datetime, roster: Roster, begin_at: datetime
) -> Advance:
    """Where the ladder stands at ``now``. A level set but not begun yet (``level_started_at``
    None) begins at ``begin_at``, reassigning first when it says so."""
    walk = _Walk(policy, roster, start)
    if start.level_started_at is None:
        walk.begin(begin_at)
    return walk.run(now)


class _Walk:
    def __init__(self, policy: Policy, roster: Roster, position: Position) -> None:
        self.policy = policy
        self.roster = roster
        self.p = position
        self.events: list[LadderEvent] = []
        self.visible = False

    def begin(self, at: datetime) -> None:
        index = min(max(self.p.level, 1), len(self.policy.levels)) - 1
        level = self.policy.levels[index]
        if level.reassign_to and self.p.state == FIRING:
            self.reassign(level, max(index, 1))
        self.p = replace(self.p, level=index + 1, level_started_at=at)

    def done(self, next_at: datetime | None, notify: Notify | None = None) -> Advance:
        return Advance(self.p, next_at, tuple(self.events), notify, self.visible)

    def note(self, kind: str, before: str = "", after: str = "", detail: str = "") -> None:
        self.events.append(LadderEvent(kind, before, after, detail))
        self.visible = True

    def run(self, now: datetime) -> Advance:
        if self.p.state == RESOLVED:
            return self.done(None)
        if self.p.snoozed_until is not None:
            if now < self.p.snoozed_until:
                return self.done(self.p.snoozed_until)
            self._end_snooze(self.p.snoozed_until)
        if self.p.state == ACKNOWLEDGED:
            expires = self._ack_expiry()
            if expires is None or now < expires:
                return self.done(expires)
            self._refire(expires)
        if self.p.state != FIRING:
            return self.done(None)
        return self._climb(now)

    def _end_snooze(self, end: datetime) -> None:
        self.p = replace(self.p, snoozed_until=None)
        self.note("snooze_ended", "snoozed", self.p.state)
        if self.p.state == FIRING:
            self.p = replace(
                self.p, ladder_round=self.p.ladder_round + 1, repeat_no=0, level_started_at=end
            )

    def _ack_expiry(self) -> datetime | None:
        if self.policy.ack_expires is None or self.p.acked_at is None:
            return None
        return self.p.acked_at + self.policy.ack_expires

    def _refire(self, at: datetime) -> None:
        assert self.policy.ack_expires is not None
        who = self.p.acked_by or "someone"
        self.note(
            "ack_expired",
            ACKNOWLEDGED,
            FIRING,
            f"acknowledged by {who} {format_duration(self.policy.ack_expires)} ago, still open",
        )
        self.p = replace(
            self.p,
            state=FIRING,
            acked_at=None,
            acked_by="",
            level=1,
            repeat_no=0,
            ladder_round=self.p.ladder_round + 1,
            level_started_at=at,
        )

    def _climb(self, now: datetime) -> Advance:
        levels = self.policy.levels
        for _ in range(4 * len(levels) + 4):
            index = min(max(self.p.level, 1), len(levels)) - 1
            level = levels[index]
            last = index == len(levels) - 1
            begun = self.p.level_started_at
            assert begun is not None
            opens = self._opens(level, begun)
            if opens != begun:
                if level.outside_hours is OutsideHours.SKIP and not last:
                    self._enter(index + 1, begun, "outside its hours: skipped")
                    continue
                if opens is None or opens > now:
                    return self.done(opens)  # waiting for the level's hours
                self.p = replace(self.p, level_started_at=opens)
                begun = opens
            deadline = begun + level.ack_within if level.ack_within and not last else None
            if deadline is not None and deadline <= now:
                within = format_duration(level.ack_within or timedelta())
                self._enter(index + 1, deadline, f"not acknowledged within {within}")
                continue
            return self._settle(level, begun, deadline, now)
        return self.done(now + timedelta(minutes=1))  # a policy that loops on itself: try later

    def _settle(
        self, level: Level, begun: datetime, deadline: datetime | None, now: datetime
    ) -> Advance:
        every = level.repeat_every
        if every is not None and level.repeat_times:
            due = min(level.repeat_times, int((now - begun) / every))
            if deadline is not None:
                due = min(due, max(0, int((deadline - begun - timedelta(microseconds=1)) / every)))
            if due > self.p.repeat_no:
                self.p = replace(self.p, repeat_no=due)
        next_at = deadline
        if every is not None and self.p.repeat_no < level.repeat_times:
            reminder = begun + every * (self.p.repeat_no + 1)
            if deadline is None or reminder < deadline:
                next_at = reminder if next_at is None else min(next_at, reminder)
        due_at = begun + every * self.p.repeat_no if every is not None else begun
        notify = Notify(
            ladder_round=self.p.ladder_round,
            level=self.p.level,
            repeat_no=self.p.repeat_no,
            recipients=self._recipients(level, due_at),
            channels=level.channels,
            due_at=due_at,
        )
        return self.done(next_at, notify)

    def _enter(self, index: int, at: datetime, why: str) -> None:
        """Begin level ``index`` (0-based) at ``at``, reassigning first when it says so."""
        before = self.p.level
        level = self.policy.levels[index]
        last = index == len(self.policy.levels) - 1
        skipped = level.outside_hours is OutsideHours.SKIP and not last
        if level.reassign_to and not (skipped and self._calendar_opens(level, at) != at):
            self.reassign(level, before)  # a level skipped for its hours reassigns nothing
        self.p = replace(self.p, level=index + 1, level_started_at=at, repeat_no=0)
        self.note("escalated", f"level {before}", f"level {index + 1}", why)

    def reassign(self, level: Level, previous_level: int) -> None:
        target = self._reassign_target(level.reassign_to, previous_level)
        if target and target != self.p.assignee:
            self.note("reassigned", self.p.assignee, target, "by the escalation policy")
            self.p = replace(self.p, assignee=target)
        elif not target:
            self.note("reassigned", self.p.assignee, self.p.assignee, "no backup to take it")

    def _reassign_target(self, target: str, previous_level: int) -> str:
        if target != BACKUP:
            return target.partition(":")[2]
        if self.p.assignee:
            return self.roster.backup_of(self.p.assignee)
        previous = self.policy.levels[max(previous_level, 1) - 1]
        for candidate in previous.notify:
            kind, _, name = candidate.partition(":")
            if kind == "agent" and self.roster.backup_of(name):
                return self.roster.backup_of(name)
            team = self.roster.teams.get(name) if kind == "team" else None
            if team is not None and team.backup:
                return team.backup
        return ""

    def _recipients(self, level: Level, at: datetime) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for target in level.notify:
            found.update(dict.fromkeys(self.roster.reach(target, at)))
        if self.p.assignee:
            found[self.p.assignee] = None
        return tuple(found)

    def _opens(self, level: Level, at: datetime) -> datetime | None:
        """The first instant from ``at`` on when the level is within its hours and reaches
        someone; None when that does not happen within a week."""
        when: datetime | None = at
        for _ in range(16):
            if when is None:
                return None
            moved = self._calendar_opens(level, when)
            if moved is None:
                return None
            moved = self._duty_begins(level, moved)
            if moved == when:
                return when
            when = moved
        return when

    def _calendar_opens(self, level: Level, at: datetime) -> datetime | None:
        if level.active_during is None:
            return at
        clock = BusinessClock(level.active_during)
        if clock.is_open(at):
            return at
        spans = clock.windows(at, at + LOOKAHEAD)
        return spans[0][0] if spans else None

    def _duty_begins(self, level: Level, at: datetime | None) -> datetime | None:
        if at is None or self._recipients(level, at):
            return at
        teams = [
            self.roster.teams[name]
            for kind, _, name in (t.partition(":") for t in level.notify)
            if kind == "team" and name in self.roster.teams
        ]
        starts = [s for team in teams if (s := team.next_duty(at)) is not None]
        return min(starts) if starts else None
