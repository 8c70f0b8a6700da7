"""The notifications a ladder step queues: one outbox row per channel of the level notified.

The idempotency key names the escalation, the ladder's round, the level, the repeat and the
channel: a step decided twice queues once, and a receiver sees one key per thing to tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from daemon.ladder.step import Advance
from daemon.outbox.message import Message, Recipient, digest
from daemon.rules.ladders import Policy
from daemon.rules.people import Roster
from daemon.rules.workflow import Workflow
from sync.domain import EscalationRow
from sync.store import Outgoing


def notification_key(escalation_id: int, ladder_round: int, level: int, repeat: int) -> str:
    return f"escalation-{escalation_id}-round-{ladder_round}-level-{level}-repeat-{repeat}"


def subject_words(escalation: EscalationRow) -> str:
    """``Order #1001``, or ``Feed 17track`` for an escalation about a source."""
    if escalation.order_id is None:
        return f"Feed {escalation.source}"
    return f"Order {escalation.order_number}"


def recipient(login: str, roster: Roster) -> Recipient:
    agent = roster.agents.get(login)
    if agent is None:
        return Recipient(login, login)
    return Recipient(login, agent.name, agent.email, agent.mobile)


def escalation_messages(
    escalation: EscalationRow,
    moved: Advance,
    policy: Policy,
    workflow: Workflow,
    rule_title: str,
) -> tuple[Outgoing, ...]:
    notify = moved.notify
    assert notify is not None
    people = tuple(recipient(login, workflow.roster) for login in notify.recipients)
    owner = moved.position.assignee
    where = f"level {notify.level} of {len(policy.levels)} ({policy.name})"
    if notify.repeat_no:
        where += f", reminder {notify.repeat_no}"
    about = subject_words(escalation)
    lines = [escalation.summary or rule_title, f"{about} · {rule_title} · {where}"]
    if owner:
        lines.append(f"Owner: {recipient(owner, workflow.roster).name}")
    if people:
        lines.append("For: " + ", ".join(person.name for person in people))
    lines.append(f"Acknowledge in the console, or: orderwatchd ack {escalation.id}")
    base = notification_key(escalation.id, notify.ladder_round, notify.level, notify.repeat_no)
    details = {
        "id": escalation.id,
        "order_id": escalation.order_id,
        "order_number": escalation.order_number,
        "source": escalation.source,
        "rule": escalation.rule_id,
        "policy": policy.name,
        "level": notify.level,
        "round": notify.ladder_round,
        "repeat": notify.repeat_no,
        "state": moved.position.state,
        "owner": owner,
        "summary": escalation.summary,
        "deadline_at": escalation.deadline_at.isoformat(),
    }
    sends = []
    for channel in notify.channels:
        key = f"{base}-{channel}"
        message = Message(
            key=key,
            kind="escalation",
            severity=escalation.severity,
            title=f"[{escalation.severity}] {about}: {rule_title}",
            lines=tuple(lines),
            recipients=people,
            escalation=details,
        )
        sends.append(
            Outgoing(
                channel=channel,
                key=key,
                payload=message.to_json(),
                due_at=notify.due_at,
                escalation_id=escalation.id,
                order_id=escalation.order_id,
                level=notify.level,
                severity=escalation.severity,
            )
        )
    return tuple(sends)


def digests(
    late: Sequence[tuple[EscalationRow, tuple[Outgoing, ...]]], now: datetime
) -> list[Outgoing]:
    """One message per channel for everything that came due while the daemon was down."""
    by_channel: dict[str, list[Message]] = {}
    for _, sends in late:
        for send in sends:
            by_channel.setdefault(send.channel, []).append(Message.from_json(send.payload))
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    out = []
    for channel, messages in by_channel.items():
        title = f"{len(messages)} escalations came due while orderwatch was not running"
        message = digest(f"digest-{stamp}-{channel}", title, messages)
        out.append(
            Outgoing(
                channel=channel,
                key=message.key,
                payload=message.to_json(),
                due_at=now,
                severity=message.severity,
            )
        )
    return out
