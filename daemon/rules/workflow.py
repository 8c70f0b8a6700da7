"""What happens after a rule fires, as ``rules.toml`` says: the escalation ladders, the people
and teams they reach, the channels they use, and the desk's lists and reply templates.

:func:`read_workflow` reads it all while the rules load, so it reloads with them, all or
nothing, and a mistake anywhere is reported like any other (``FILE:LINE: key: message``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from daemon.rules.calendar import Calendar
from daemon.rules.channels import CHANNEL_KEYS, CONSOLE, QUIET_KEYS, RETRY_KEYS, Channel
from daemon.rules.channels import read_channels as _read_channels
from daemon.rules.desk_reader import (
    DESK_KEYS,
    REASON_KEYS,
    REPLIES_KEYS,
    SITUATION_KEYS,
    DeskSettings,
    read_desk,
    read_replies,
)
from daemon.rules.durations import format_duration
from daemon.rules.ladders import LEVEL_KEYS, POLICY_KEYS, REPEAT_KEYS, Level, Policy, read_policies
from daemon.rules.model import ConditionRule, Period, Rule, TimeoutRule
from daemon.rules.people import AGENT_KEYS, SHIFT_KEYS, TEAM_KEYS, Roster, read_roster
from daemon.rules.reader import Table
from sync.replies import ReplyBook

WORKFLOW_TOP_KEYS = frozenset({"agents", "teams", "escalations", "channels", "desk", "replies"})

WORKFLOW_ACCEPTED_KEYS: dict[str, frozenset[str]] = {
    "agents.*": AGENT_KEYS,
    "teams.*": TEAM_KEYS,
    "teams.*.shifts[]": SHIFT_KEYS,
    "escalations.*": POLICY_KEYS,
    "escalations.*.levels[]": LEVEL_KEYS,
    "escalations.*.levels[].repeat": REPEAT_KEYS,
    "channels.*": CHANNEL_KEYS,
    "channels.*.retry": RETRY_KEYS,
    "channels.*.quiet": QUIET_KEYS,
    "desk": DESK_KEYS,
    "desk.delay_reasons[]": REASON_KEYS,
    "replies": REPLIES_KEYS,
    "replies.*": SITUATION_KEYS,
}
"""Every key of these tables the loader accepts (language names under ``replies``, logins,
team, policy and channel names are the shop's own words)."""


@dataclass(frozen=True, slots=True)
class Workflow:
    policies: Mapping[str, Policy] = field(default_factory=dict)
    roster: Roster = field(default_factory=Roster)
    channels: Mapping[str, Channel] = field(default_factory=lambda: {"console": CONSOLE})
    desk: DeskSettings = field(default_factory=DeskSettings)
    replies: ReplyBook = field(default_factory=ReplyBook)
    periods_used: frozenset[str] = frozenset()
    """Periods named by channels' quiet hours and by replies' holiday_periods."""
    calendars_used: frozenset[str] = frozenset()
    """Calendars named by levels' active_during."""

    def policy_for(self, rule: Rule | None, override: str = "") -> Policy | None:
        """The policy an escalation of ``rule`` follows (its override's when it names one)."""
        if rule is None:
            return None
        name = rule.escalation
        if isinstance(rule, TimeoutRule) and override:
            for candidate in rule.overrides:
                if candidate.name == override and candidate.escalation:
                    name = candidate.escalation
        return self.policies.get(name) if name else None


def read_workflow(
    top: Table,
    timezone: str,
    calendars: Mapping[str, Calendar],
    periods: Mapping[str, Period],
    rules: Sequence[Rule],
) -> Workflow:
    roster = read_roster(top, timezone)
    channels = _read_channels(top, periods)
    policies = read_policies(top, calendars, channels, roster.teams, roster.agents)
    if "escalations" in top.data:
        _check_references(top, rules, policies)
    return Workflow(
        policies=policies,
        roster=roster,
        channels=channels,
        desk=read_desk(top),
        replies=read_replies(top, timezone, periods),
        periods_used=frozenset(
            [p.name for channel in channels.values() for p in channel.quiet]
            + [name for name in _holiday_periods(top) if name in periods]
        ),
        calendars_used=frozenset(
            level.active_during.name
            for policy in policies.values()
            for level in policy.levels
            if level.active_during is not None
        ),
    )


def _holiday_periods(top: Table) -> list[str]:
    replies = top.data.get("replies")
    names = replies.get("holiday_periods") if isinstance(replies, dict) else None
    return [names] if isinstance(names, str) else [n for n in names or [] if isinstance(n, str)]


def _check_references(top: Table, rules: Sequence[Rule], policies: Mapping[str, Policy]) -> None:
    """Every ``escalation`` a rule (or override) names must be a policy of the file. A file
    without ``[escalations]`` raises escalations for the console only, and names nothing."""
    known = ", ".join(sorted(policies)) or "none defined"
    index_of = {data.get("id"): index for index, data in top.table_list("rules") if "id" in data}
    for rule in rules:
        path = (*top.path, "rules", index_of.get(rule.id, 0))
        if rule.escalation and rule.escalation not in policies:
            top.problems.add(
                (*path, "escalation"), f"unknown escalation policy {rule.escalation!r} ({known})"
            )
        if isinstance(rule, ConditionRule):
            continue
        for position, override in enumerate(rule.overrides):
            if override.escalation and override.escalation not in policies:
                top.problems.add(
                    (*path, "overrides", position, "escalation"),
                    f"unknown escalation policy {override.escalation!r} ({known})",
                )


def describe(workflow: Workflow) -> list[str]:
    """What ``rules check`` prints about the workflow: one line per policy, team and channel."""
    lines = []
    for policy in workflow.policies.values():
        steps = " → ".join(_describe_level(level) for level in policy.levels)
        line = f"  escalation {policy.name}: {steps}"
        if policy.ack_expires is not None:
            line += f"; acknowledgements expire after {format_duration(policy.ack_expires)}"
        lines.append(line)
    for team in workflow.roster.teams.values():
        duty = f"{len(team.shifts)} shifts" if team.shifts else "always on duty"
        lines.append(f"  team {team.name}: {', '.join(team.members) or 'nobody'}; {duty}")
    for channel in workflow.channels.values():
        quiet = ""
        if channel.quiet:
            loud = ", ".join(sorted(channel.loud_severities))
            quiet = f", quiet during {', '.join(p.name for p in channel.quiet)}"
            quiet += f" except {loud}" if loud else ""
        lines.append(
            f"  channel {channel.name} ({channel.kind}): {channel.attempts} attempts "
            f"{format_duration(channel.retry_every)} apart{quiet}"
        )
    return lines


def _describe_level(level: Level) -> str:
    who = [*level.notify, *([f"reassign to {level.reassign_to}"] if level.reassign_to else [])]
    text = f"{' + '.join(who)} on {', '.join(level.channels)}"
    if level.ack_within is not None:
        text += f", {format_duration(level.ack_within)}"
    if level.repeat_every is not None:
        text += f", again every {format_duration(level.repeat_every)} x{level.repeat_times}"
    if level.active_during is not None:
        text += f" ({level.active_during.name} hours, else {level.outside_hours})"
    return f"[{text}]"
