"""From a plan to what the store must do: compare the plan with the stored timer, and say only
what changed.

Everything here is pure: the engine, ``rules test`` and ``rules explain`` call the same functions
with the same subject, timer and time, and get the same answer.
"""

from __future__ import annotations

from datetime import datetime

from daemon.rules.model import Rule, TimeoutRule
from daemon.rules.muting import Muting
from daemon.rules.plan import (
    Memory,
    Plan,
    plan,
    render_labels,
    render_summary,
    schedule,
    stored_form,
)
from daemon.rules.subject import Subject
from sync.domain import Lifecycle, ShipmentStatus, TimerRow, TimerState
from sync.store import SourceTimer, TimerDecision
from sync.store.planning import StoredTimer

__all__ = ["Muting", "decide", "decide_source", "resolved", "unchanged", "why_cleared"]


def decide(
    rule: Rule,
    subject: Subject,
    timer: TimerRow | None,
    now: datetime,
    version: str,
    muting: Muting | None = None,
) -> TimerDecision | None:
    """What to write for ``rule`` and ``subject``, or None when the stored timer is right."""
    planned = plan(rule, subject, now, Memory.of(timer))
    if planned is None:
        if timer is None or timer.state == TimerState.RESOLVED:
            return None
        return resolved(timer, why_cleared(rule, subject), version)
    muted_by = muting.muted_by(rule, subject, now, planned) if muting else ""
    if timer is not None and _unchanged(timer, planned, muted_by):
        return None
    state = planned.state
    was = timer.state if timer is not None and timer.state != TimerState.RESOLVED else ""
    restarted = planned.restarted and timer is not None and timer.escalation_id is not None
    announce = not muted_by and state == TimerState.WARNING and was != TimerState.WARNING
    # The summary is only read when an escalation opens or a warning is announced: render it
    # then, not on every re-plan of a timer that is already firing.
    opens = state == TimerState.FIRING and not muted_by
    opens = opens and (timer is None or timer.escalation_id is None or restarted)
    return TimerDecision(
        rule_id=rule.id,
        subject_kind=str(subject.kind),
        subject_id=subject.subject_id,
        order_id=subject.order.id,
        state=state,
        started_at=planned.started_at,
        deadline_at=planned.deadline_at,
        warn_at=planned.warn_at,
        next_at=planned.next_at,
        rules_version=version,
        severity=str(severity_of(rule, planned)),
        summary=render_summary(rule, subject, now, planned) if opens or announce else "",
        restarted=restarted,
        timeout_seconds=int(planned.timeout.total_seconds()),
        clock=planned.clock.name,
        override=planned.override or planned.learned,
        modifiers=planned.modifier_text,
        paused_seconds=planned.paused_seconds,
        paused_since=planned.paused_since,
        muted_by=muted_by,
        last_true_at=planned.last_true_at,
        announce=announce,
    )


def unchanged(
    rule: Rule, subject: Subject, stored: StoredTimer | None, now: datetime, muting: Muting
) -> bool:
    """True when :func:`decide` would find nothing to write for ``rule`` and ``subject``, given
    the live timer ``stored`` (None: no timer, or a resolved one).

    The quick question a full re-plan asks first: for a timeout rule that nothing mutes it
    compares the schedule with the stored fields, without building a plan or a decision. Any
    other case answers False, and the caller decides it in full.
    """
    if not isinstance(rule, TimeoutRule) or rule.id in muting.by_target:
        return False
    if not rule.in_rollout(subject):
        return stored is None
    memory = None
    if stored is not None:
        memory = Memory(stored[4], stored[5], stored[9], stored[10], stored[11])
    found = schedule(rule, subject, now, memory)
    if found is None or stored is None:
        return found is None and stored is None
    return stored[4:] == stored_form(found, "")


def severity_of(rule: Rule, planned: Plan) -> str:
    if isinstance(rule, TimeoutRule) and planned.override_index is not None:
        override = rule.overrides[planned.override_index]
        if override.severity is not None:
            return str(override.severity)
    return str(rule.severity)


def _unchanged(timer: TimerRow, planned: Plan, muted_by: str) -> bool:
    stored = (
        timer.state,
        timer.started_at,
        timer.deadline_at,
        timer.warn_at,
        timer.next_at,
        timer.paused_seconds,
        timer.paused_since,
        timer.last_true_at,
        timer.muted_by,
        timer.timeout_seconds,
        timer.override,
        timer.modifiers,
        timer.clock,
    )
    return stored == stored_form(planned.schedule, muted_by)


def resolved(timer: TimerRow, reason: str, version: str) -> TimerDecision:
    return TimerDecision(
        rule_id=timer.rule_id,
        subject_kind=timer.subject_kind,
        subject_id=timer.subject_id,
        order_id=timer.order_id,
        state=TimerState.RESOLVED,
        started_at=timer.started_at,
        deadline_at=timer.deadline_at,
        warn_at=timer.warn_at,
        next_at=None,
        rules_version=version,
        reason=reason,
    )


def why_cleared(rule: Rule, subject: Subject) -> str:
    """The reason a running timer stopped, in the shop's words."""
    if not rule.in_rollout(subject):
        return "outside the rule's rollout"
    order = subject.order
    if order.lifecycle == Lifecycle.CANCELLED:
        return "cancelled"
    if not isinstance(rule, TimeoutRule):
        return "condition cleared"
    if subject.shipment is not None:
        if subject.shipment.status == ShipmentStatus.DELIVERED:
            return "delivered"
        return f"parcel {subject.shipment.status}"
    if order.fulfillment_status in {"fulfilled", "partially_fulfilled"} or subject.shipments:
        return "shipped"
    if order.lifecycle != Lifecycle.OPEN:
        return str(order.lifecycle)
    return "condition cleared"


def decide_source(
    rule: Rule,
    subject: Subject,
    previous: SourceTimer | None,
    now: datetime,
    version: str,
) -> SourceTimer | None:
    """The new state of a source rule's instance, or None when the stored one is right."""
    assert subject.source is not None
    live = previous if previous is not None and previous.state != TimerState.RESOLVED else None
    memory = None
    if live is not None:
        memory = Memory(live.state, live.since, last_true_at=live.last_true_at)
    planned = plan(rule, subject, now, memory)
    if planned is None:
        if live is None:
            return None
        return SourceTimer(
            rule_id=rule.id,
            source=subject.source.name,
            state=TimerState.RESOLVED,
            since=live.since,
            fired_at=live.fired_at,
            last_true_at=live.last_true_at,
            next_at=None,
            labels=live.labels,
            summary=live.summary,
            reason=why_cleared(rule, subject),
            rules_version=version,
        )
    fired_at = live.fired_at if live is not None else None
    if planned.state == TimerState.FIRING and fired_at is None:
        fired_at = now
    found = SourceTimer(
        rule_id=rule.id,
        source=subject.source.name,
        state=planned.state,
        since=planned.started_at,
        fired_at=fired_at,
        last_true_at=planned.last_true_at,
        next_at=planned.next_at,
        labels=render_labels(rule, subject, now, planned),
        summary=render_summary(rule, subject, now, planned),
        rules_version=version,
    )
    if live is not None and _same_source_timer(live, found):
        return None
    return found


def _same_source_timer(old: SourceTimer, new: SourceTimer) -> bool:
    return (old.state, old.since, old.fired_at, old.last_true_at, old.next_at, old.labels) == (
        new.state,
        new.since,
        new.fired_at,
        new.last_true_at,
        new.next_at,
        new.labels,
    )
