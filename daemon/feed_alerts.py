"""Telling people about a feed: one message when a rule about a source starts firing, one when
it clears.

An escalation belongs to an order, and a stale tracking feed is about no order, so a feed rule
does not climb a ladder. It tells the first level of its ``escalation`` policy (the people and
channels named there; the console alone when it names none) once per firing: the message key
names the rule, the feed and the moment it fired, so a re-evaluation never sends it twice, and a
feed that breaks for hours is one message, not one a minute or one per muted parcel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from daemon.outbox.message import Message, Recipient
from daemon.rules.model import RuleSet
from daemon.rules.workflow import Workflow
from sync.domain import TimerState
from sync.store import Outgoing, SourceTimer

SourceKey = tuple[str, str]
REMOVED = "rule removed"


def feed_alerts(
    rules: RuleSet,
    before: Mapping[SourceKey, SourceTimer],
    changed: Sequence[SourceTimer],
    now: datetime,
) -> list[Outgoing]:
    """The messages to queue for the feed instances that started firing or stopped."""
    sends: list[Outgoing] = []
    for timer in changed:
        old = before.get((timer.rule_id, timer.source))
        was_firing = old is not None and old.state == TimerState.FIRING
        if timer.state == TimerState.FIRING and timer.fired_at is not None and not was_firing:
            sends += _messages(rules, timer, timer.fired_at, "raised", now)
        elif timer.state == TimerState.RESOLVED and was_firing and timer.reason != REMOVED:
            # (a rule taken out of the file by a reload tells nobody: a reload never notifies)
            assert old is not None
            fired = old.fired_at or old.since
            sends += _messages(rules, timer, fired, "cleared", now)
    return sends


def _messages(
    rules: RuleSet, timer: SourceTimer, fired_at: datetime, what: str, now: datetime
) -> list[Outgoing]:
    rule = rules.rule(timer.rule_id)
    workflow = rules.workflow or Workflow()
    title_of = rule.title if rule is not None else timer.rule_id
    severity = str(rule.severity) if rule is not None else "warning"
    policy = workflow.policy_for(rule)
    level = policy.levels[0] if policy is not None and policy.levels else None
    channels = level.channels if level is not None and level.channels else ("console",)
    logins = dict.fromkeys(
        login
        for target in (level.notify if level is not None else ())
        for login in workflow.roster.reach(target, now)
    )
    people = tuple(_recipient(login, workflow) for login in logins)
    head = "cleared" if what == "cleared" else f"[{severity}]"
    lines = [timer.summary or title_of, f"Feed {timer.source} · {title_of}"]
    if what == "cleared":
        lines.append(f"{timer.reason or 'it answers again'}")
    stamp = fired_at.strftime("%Y%m%dT%H%M%SZ")
    sends = []
    for channel in channels:
        key = f"feed-{timer.rule_id}-{timer.source}-{stamp}-{what}-{channel}"
        message = Message(
            key=key,
            kind="feed",
            severity=severity,
            title=f"{head} Feed {timer.source}: {title_of}",
            lines=tuple(lines),
            recipients=people,
            escalation={"rule": timer.rule_id, "source": timer.source, "state": what},
        )
        sends.append(
            Outgoing(
                channel=channel,
                key=key,
                payload=message.to_json(),
                due_at=now,
                severity=severity,
            )
        )
    return sends


def _recipient(login: str, workflow: Workflow) -> Recipient:
    agent = workflow.roster.agents.get(login)
    if agent is None:
        return Recipient(login, login)
    return Recipient(login, agent.name, agent.email, agent.mobile)
