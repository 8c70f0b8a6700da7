"""Reading ``[agents.*]`` and ``[teams.*]``: who works the desk, in which team, and when.

::

    [agents.anna]                       # the OS login agents are known by
    name = "Anna Schmidt"
    team = "warehouse"
    backup = "ben"                      # who takes over when anna does not answer
    email = "anna@shop.example"         # for the smtp channel
    mobile = "+8613800000001"           # @-mentions in WeCom and DingTalk groups

    [teams.warehouse]
    name = "Warehouse"
    backup = "ben"                      # for "backup" when nobody owns the escalation yet
    shifts = [
      { days = "mon-fri", hours = "08:00-17:00" },
      { days = "daily", hours = "22:00-06:00", agents = ["li"], timezone = "Asia/Shanghai" },
    ]

A team without shifts is always on duty. A shift without ``agents`` is the whole team's; its
``hours`` are local to its ``timezone`` (the file's by default), so a night watch abroad is
written in the watcher's own time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from daemon.rules.calendar import local_to_utc
from daemon.rules.calendar_reader import day_set, read_timezone, read_windows
from daemon.rules.model import Period
from daemon.rules.reader import Table, describe

AGENT_KEYS = frozenset({"name", "team", "backup", "email", "mobile"})
TEAM_KEYS = frozenset({"name", "backup", "shifts"})
SHIFT_KEYS = frozenset({"days", "hours", "agents", "timezone", "note"})

LOOKAHEAD_DAYS = 8


@dataclass(frozen=True, slots=True)
class Agent:
    login: str
    name: str
    team: str = ""
    backup: str = ""
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True, slots=True)
class Shift:
    """Hours of duty (``hours`` of ``period``) for ``agents``."""

    period: Period
    agents: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    title: str
    members: tuple[str, ...]
    backup: str = ""
    shifts: tuple[Shift, ...] = ()

    def on_duty(self, instant: datetime) -> tuple[str, ...]:
        """The agents on duty at ``instant``, in the order the file names them."""
        if not self.shifts:
            return self.members
        found: dict[str, None] = {}
        for shift in self.shifts:
            if shift.period.contains(instant):
                found.update(dict.fromkeys(shift.agents))
        return tuple(found)

    def next_duty(self, instant: datetime) -> datetime | None:
        """The first instant from ``instant`` on when someone is on duty (None within a week)."""
        if self.on_duty(instant):
            return instant
        starts = [s for shift in self.shifts for s in _starts(shift.period, instant)]
        return min((s for s in starts if self.on_duty(s)), default=None)


def _starts(period: Period, after: datetime) -> list[datetime]:
    """The instants a period's windows open in the coming week, after ``after``."""
    zone = ZoneInfo(period.timezone)
    first = after.astimezone(zone).date() - timedelta(days=1)
    found = []
    for offset in range(LOOKAHEAD_DAYS + 1):
        day: date = first + timedelta(days=offset)
        midnight = datetime.combine(day, time())
        for window in period.times:
            local = midnight + timedelta(minutes=window.start)
            at = datetime.fromtimestamp(local_to_utc(local, zone, True), after.tzinfo)
            if at > after:
                found.append(at)
    return found


@dataclass(frozen=True, slots=True)
class Roster:
    """Every agent and team of the file."""

    agents: Mapping[str, Agent] = field(default_factory=dict)
    teams: Mapping[str, Team] = field(default_factory=dict)

    def reach(self, target: str, instant: datetime) -> tuple[str, ...]:
        """The logins a target (``team:NAME`` or ``agent:LOGIN``) reaches at ``instant``."""
        kind, _, name = target.partition(":")
        if kind == "agent":
            return (name,) if name in self.agents else ()
        team = self.teams.get(name)
        return team.on_duty(instant) if team is not None else ()

    def backup_of(self, login: str) -> str:
        agent = self.agents.get(login)
        return agent.backup if agent is not None else ""


def read_roster(top: Table, timezone: str) -> Roster:
    agents = _agents(top)
    teams = _teams(top, timezone, agents)
    for login, agent in agents.items():
        path = (*top.path, "agents", login)
        if agent.team and agent.team not in teams:
            known = ", ".join(sorted(teams)) or "none defined"
            top.problems.add((*path, "team"), f"unknown team {agent.team!r} ({known})")
    return Roster(agents, teams)


def _agents(top: Table) -> dict[str, Agent]:
    data = top.typed("agents", dict, "tables like [agents.anna]")
    found: dict[str, Agent] = {}
    for login, body in (data or {}).items():
        path = (*top.path, "agents", login)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, AGENT_KEYS)
        found[login] = Agent(
            login=login,
            name=table.text("name") or login,
            team=table.text("team") or "",
            backup=table.text("backup") or "",
            email=table.text("email") or "",
            mobile=table.text("mobile") or "",
        )
        table.finish()
    for login, agent in found.items():
        where = (*top.path, "agents", login, "backup")
        if agent.backup and agent.backup not in found:
            top.problems.add(where, _unknown(agent.backup, found))
        elif agent.backup == login:
            top.problems.add(where, "an agent cannot be their own backup")
    return found


def _teams(top: Table, timezone: str, agents: Mapping[str, Agent]) -> dict[str, Team]:
    data = top.typed("teams", dict, "tables like [teams.warehouse]")
    found: dict[str, Team] = {}
    for name, body in (data or {}).items():
        path = (*top.path, "teams", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, TEAM_KEYS)
        members = tuple(login for login, agent in agents.items() if agent.team == name)
        backup = table.text("backup") or ""
        if backup and backup not in agents:
            table.problem("backup", _unknown(backup, agents))
        shifts = tuple(
            shift
            for index, item in table.table_list("shifts")
            if (shift := _shift(table, index, item, timezone, members, agents)) is not None
        )
        table.finish()
        found[name] = Team(name, table.text("name") or name, members, backup, shifts)
    return found


def _shift(
    team: Table,
    index: int,
    data: Mapping[str, object],
    timezone: str,
    members: tuple[str, ...],
    agents: Mapping[str, Agent],
) -> Shift | None:
    table = Table(data, (*team.path, "shifts", index), team.problems, SHIFT_KEYS)
    days_text = table.text("days", required=True)
    days = day_set(days_text) if days_text is not None else None
    if days_text is not None and days is None:
        table.problem("days", f"{days_text!r} is not a day: use mon … sun, mon-fri, or daily")
    hours = read_windows(table, ("hours",), data["hours"]) if "hours" in data else ()
    if "hours" not in data:
        table.problem("hours", "missing (this key is required)")
    zone = read_timezone(table, "timezone", timezone)
    names = table.text_list("agents") or members
    for position, login in enumerate(names):
        if login not in agents:
            table.problems.add((*table.path, "agents", position), _unknown(login, agents))
    note = table.text("note") or ""
    table.finish()
    if days is None or not hours:
        return None
    period = Period(f"shift {index}", weekdays=frozenset(days), times=hours, timezone=zone)
    return Shift(period, tuple(login for login in names if login in agents), note)


def _unknown(login: str, agents: Mapping[str, Agent]) -> str:
    known = ", ".join(sorted(agents)) or "none defined"
    return f"unknown agent {login!r} ({known})"
