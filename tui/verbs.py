"""The agent's actions on escalations, as the console runs them and words their outcome.

An action is a :class:`Request`: a verb, the escalations it applies to as the agent last saw
them (each write is a compare-and-swap on that version), and the verb's argument. Escalations the
verb does not apply to (acknowledging one that is already acknowledged) are left out and named.
A lost race is never retried: the agent is told who got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from sync.domain import EscalationRow
from sync.errors import ConflictError
from tui.desk import READ_ERRORS, Desk

Severity = Literal["information", "warning", "error"]

UNACKNOWLEDGED = ("firing", "warning")
OPEN = ("firing", "warning", "acknowledged")


class Verb(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    TAKE = "take"
    ASSIGN = "assign"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    REOPEN = "reopen"
    NOTE = "note"
    PUSH = "push"
    """Push a tracking number back to the shop platform (:mod:`tui.push`)."""


_DONE = {
    Verb.ACKNOWLEDGE: "acknowledged",
    Verb.TAKE: "taken",
    Verb.ASSIGN: "assigned",
    Verb.SNOOZE: "snoozed",
    Verb.RESOLVE: "resolved",
    Verb.ESCALATE: "escalated",
    Verb.REOPEN: "reopened",
    Verb.NOTE: "noted",
    Verb.PUSH: "queued",
}
ORDER_VERBS = (Verb.NOTE, Verb.PUSH)
"""Verbs that act on orders rather than on escalations."""

_APPLIES = {
    Verb.ACKNOWLEDGE: UNACKNOWLEDGED,
    Verb.REOPEN: ("resolved",),
}


@dataclass(frozen=True, slots=True)
class OrderRef:
    """An order a note is about, with the escalation it concerns (if any). A note on an
    escalation about a feed has no order: ``order_id`` None, ``number`` the feed's name."""

    order_id: int | None
    number: str
    escalation_id: int | None = None


@dataclass(frozen=True, slots=True)
class Request:
    verb: Verb
    escalations: tuple[EscalationRow, ...] = ()
    orders: tuple[OrderRef, ...] = ()
    """For notes: the orders they go on."""
    to_agent: str = ""
    until: datetime | None = None
    reason: str = ""
    reason_label: str = ""
    note: str = ""
    tracking: str = ""
    """For a push: the tracking number."""

    @property
    def order_ids(self) -> frozenset[int]:
        return frozenset(i for i in self._about() if i is not None)

    @property
    def feeds(self) -> bool:
        """Some of it is about a feed (an escalation with no order)."""
        return None in self._about()

    def _about(self) -> list[int | None]:
        return [e.order_id for e in self.escalations] + [o.order_id for o in self.orders]

    def describe(self) -> str:
        """``acknowledge #1001 paid_not_shipped``; ``resolve 12 escalations``."""
        on_orders = self.verb in ORDER_VERBS
        count = len(self.orders) if on_orders else len(self.escalations)
        if count == 1:
            target = self.orders[0].number if on_orders else _name(self.escalations[0])
        else:
            target = f"{count} {'orders' if on_orders else 'escalations'}"
        extra = {
            Verb.ASSIGN: f" to {self.to_agent}",
            Verb.RESOLVE: f" ({self.reason_label or self.reason})",
            Verb.PUSH: f" tracking {self.tracking} to the shop",
        }.get(self.verb, "")
        return f"{self.verb.value} {target}{extra}"

    def sentence(self) -> str:
        """:meth:`describe` as a sentence: the first letter up, the rest as it was (a tracking
        number or an agent's name keeps its case)."""
        text = self.describe()
        return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class Outcome:
    message: str
    severity: Severity = "information"
    title: str = ""
    order_ids: frozenset[int] = field(default_factory=frozenset)
    """The orders whose lines changed."""
    feeds: bool = False
    """An escalation about a feed changed (it is on no order's line)."""


def _name(escalation: EscalationRow) -> str:
    return f"{escalation.about} {escalation.rule_id}"


def applicable(
    verb: Verb, escalations: Sequence[EscalationRow], agent: str
) -> tuple[list[EscalationRow], list[str]]:
    """The escalations ``verb`` applies to, and why each other one was left out."""
    states = _APPLIES.get(verb, OPEN)
    kept: list[EscalationRow] = []
    skipped: list[str] = []
    for escalation in escalations:
        if escalation.state not in states:
            who = escalation.acked_by or escalation.resolved_by or "someone"
            skipped.append(f"{_name(escalation)} is already {escalation.state} (by {who})")
        elif verb is Verb.TAKE and escalation.assignee == agent:
            skipped.append(f"{_name(escalation)} is already yours")
        else:
            kept.append(escalation)
    return kept, skipped


async def _write(desk: Desk, request: Request, escalation: EscalationRow, now: datetime) -> None:
    store, agent, number, version = desk.store, desk.agent, escalation.id, escalation.version
    if request.verb is Verb.ACKNOWLEDGE:
        await store.acknowledge(number, version, agent, now)
    elif request.verb is Verb.TAKE:
        await store.take(number, version, agent, now)
    elif request.verb is Verb.ASSIGN:
        await store.assign(number, version, agent, request.to_agent, now)
    elif request.verb is Verb.SNOOZE:
        assert request.until is not None
        await store.snooze(number, version, agent, request.until, now)
    elif request.verb is Verb.RESOLVE:
        await store.resolve(number, version, agent, request.reason, request.note, now)
    elif request.verb is Verb.ESCALATE:
        await store.escalate_now(number, version, agent, now)
    else:
        await store.reopen(number, version, agent, now)


async def perform(desk: Desk, request: Request) -> Outcome:
    """Write ``request`` now, each escalation on its own; say what happened in one toast."""
    if request.verb is Verb.NOTE:
        return await _notes(desk, request)
    if request.verb is Verb.PUSH:
        from tui.push import queue_push  # tui.push builds on this module

        return await queue_push(desk, request)
    now = desk.clock.now()
    done: list[EscalationRow] = []
    lost: list[str] = []
    for escalation in request.escalations:
        try:
            await _write(desk, request, escalation, now)
        except ConflictError as race:
            change = race.change or "changed it"
            lost.append(f"{_name(escalation)}: {race.changed_by or 'someone'} got there first "
                        f"({change})")  # fmt: skip
        except READ_ERRORS as error:
            lost.append(f"{_name(escalation)}: {error}")
        else:
            done.append(escalation)
    return _worded(request, done, lost, desk.agent)


def _worded(request: Request, done: list[EscalationRow], lost: list[str], agent: str) -> Outcome:
    past = _DONE[request.verb]
    touched = request.order_ids
    if not done:
        title = f"Not {past}"
        message = lost[0] if len(lost) == 1 else f"{len(lost)} failed; first: {lost[0]}"
        return Outcome(message, "warning", title, touched, request.feeds)
    by = f" to {request.to_agent}" if request.verb is Verb.ASSIGN else f" by {agent}"
    if len(done) == 1:
        message = f"{_name(done[0])} {past}{by}"
    else:
        message = f"{len(done)} escalations {past}{by}"
    if lost:
        message += f"; {len(lost)} not: {lost[0]}"
    severity: Severity = "warning" if lost else "information"
    return Outcome(message, severity, past.capitalize(), touched, request.feeds)


async def _notes(desk: Desk, request: Request) -> Outcome:
    now = desk.clock.now()
    failed: list[str] = []
    for order in request.orders:
        try:
            await desk.store.add_note(
                order.order_id, desk.agent, request.note, now, escalation_id=order.escalation_id
            )
        except READ_ERRORS as error:
            failed.append(f"{order.number}: {error}")
    if failed:
        return Outcome(failed[0], "error", "Note not saved", request.order_ids, request.feeds)
    where = (
        request.orders[0].number if len(request.orders) == 1 else f"{len(request.orders)} orders"
    )
    return Outcome(
        f"Note added to {where}", title="Noted", order_ids=request.order_ids, feeds=request.feeds
    )
