"""Acknowledging escalations as the agent, and what to tell them afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sync.domain import EscalationRow
from sync.errors import ConflictError
from tui.desk import READ_ERRORS, Desk

ACKNOWLEDGEABLE = ("firing", "warning")

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Outcome:
    message: str
    severity: Severity = "information"
    title: str = ""
    done: bool = False


def to_acknowledge(escalations: Sequence[EscalationRow]) -> EscalationRow | None:
    """The order's escalation an ``a`` means: firing before warning, the earliest deadline."""
    waiting = [e for e in escalations if e.state in ACKNOWLEDGEABLE]
    waiting.sort(key=lambda e: (ACKNOWLEDGEABLE.index(e.state), e.deadline_at, e.id))
    return waiting[0] if waiting else None


async def acknowledge(desk: Desk, escalation: EscalationRow) -> Outcome:
    """Acknowledge ``escalation`` unless someone changed it since it was read."""
    what = f"{escalation.order_number} {escalation.rule_id}"
    if escalation.state not in ACKNOWLEDGEABLE:
        who = escalation.acked_by or "someone"
        return Outcome(f"{what} is already {escalation.state} (by {who})", "warning")
    try:
        await desk.store.acknowledge(
            escalation.id, escalation.version, desk.agent, desk.clock.now()
        )
    except ConflictError as lost:
        change = lost.change or "changed it"
        return Outcome(
            f"{what}: {lost.changed_by or 'someone'} got there first ({change})",
            "warning",
            "Not acknowledged",
        )
    except READ_ERRORS as error:
        return Outcome(str(error), "error", "Not acknowledged")
    return Outcome(f"{what} acknowledged by {desk.agent}", title="Acknowledged", done=True)


async def acknowledge_order(desk: Desk, order_id: int) -> Outcome:
    """Acknowledge the order's most urgent open escalation, if it has one."""
    escalation = to_acknowledge(await desk.store.escalations_for_order(order_id))
    if escalation is None:
        return Outcome("This order has no escalation waiting for acknowledgement", "warning")
    return await acknowledge(desk, escalation)
