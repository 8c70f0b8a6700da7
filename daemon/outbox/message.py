"""A notification as the outbox keeps it: channel-neutral, saved as JSON in the outbox row.

The ladder writes one :class:`Message` per (escalation, round, level, repeat) and channel; each
channel renders it its own way (a WeCom text, a Slack message, a mail). Recipients are resolved
when the message is queued (names, addresses, mobiles), so a retry an hour later reaches the
same people even if ``rules.toml`` changed meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SEVERITY_ORDER = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class Recipient:
    login: str
    name: str = ""
    email: str = ""
    mobile: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    """The idempotency key: a receiver that saw it already may drop the message."""
    kind: str
    """``escalation``, or ``digest`` for what came due while the daemon was down."""
    severity: str
    title: str
    lines: tuple[str, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    escalation: dict[str, Any] = field(default_factory=dict)
    """The escalation's id, order number, rule, level, round, repeat, state and owner."""

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.lines))

    def to_json(self) -> str:
        return json.dumps(
            {
                "key": self.key,
                "kind": self.kind,
                "severity": self.severity,
                "title": self.title,
                "lines": list(self.lines),
                "recipients": [
                    {"login": r.login, "name": r.name, "email": r.email, "mobile": r.mobile}
                    for r in self.recipients
                ],
                "escalation": self.escalation,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Message:
        data = json.loads(text)
        return cls(
            key=str(data["key"]),
            kind=str(data.get("kind", "escalation")),
            severity=str(data.get("severity", "")),
            title=str(data.get("title", "")),
            lines=tuple(str(line) for line in data.get("lines", [])),
            recipients=tuple(Recipient(**item) for item in data.get("recipients", [])),
            escalation=dict(data.get("escalation", {})),
        )


def digest(key: str, title: str, messages: Sequence[Message]) -> Message:
    """One message standing for ``messages`` (what came due while the daemon was down): every
    one of their recipients, their highest severity, a line for each."""
    people: dict[str, Recipient] = {}
    for message in messages:
        people.update({person.login: person for person in message.recipients})
    severity = max(
        (message.severity for message in messages),
        key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else 0,
        default="warning",
    )
    return Message(
        key=key,
        kind="digest",
        severity=severity,
        title=title,
        lines=tuple(_digest_line(message) for message in messages),
        recipients=tuple(people.values()),
    )


def _digest_line(message: Message) -> str:
    details = message.escalation
    if not details:
        return message.title
    subject = message.title.partition(": ")[2] or message.title
    return (
        f"Order {details.get('order_number', '?')}: {subject} - level {details.get('level', '?')}"
        f" (escalation {details.get('id', '?')})"
    )
