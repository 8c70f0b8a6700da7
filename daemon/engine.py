"""The rules engine's driver: turn rule plans into timers and escalations in the store.

It re-plans exactly the orders a sync changed (found through ``change_seq``), wakes for the
earliest due timer, and after a rules reload re-plans every active order. Deciding is pure
(:func:`daemon.rules.plan.plan`); this module only compares the decision with the stored timer
and hands the differences to the store in one transaction per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from daemon.rules.model import RuleSet, TimeoutRule
from daemon.rules.plan import Plan, plan, render_summary
from daemon.rules.subject import Subject, subjects_of
from sync.clock import Clock
from sync.domain import Lifecycle, ShipmentStatus, TimerRow, TimerState
from sync.store import Store, TimerDecision

log = logging.getLogger("orderwatch.rules")

PLANNED_SEQ = "rules.planned_seq"
BATCH = 500

TimerKey = tuple[str, str, int]


class RulesEngine:
    def __init__(self, store: Store, clock: Clock, rules: RuleSet) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules

    def swap(self, rules: RuleSet) -> None:
        """Use ``rules`` from now on; the caller then runs :meth:`replan_all`."""
        self.rules = rules

    async def replan_changed(self) -> int:
        """Re-plan the orders that changed since the last pass; returns escalations moved."""
        since = int(await self.store.get_state(PLANNED_SEQ, "0"))
        moved = 0
        while True:
            ids, high = await self.store.changed_order_ids(since, limit=BATCH)
            if ids:
                moved += await self.replan(ids)
            if high == since:
                break
            since = high
            await self.store.set_state({PLANNED_SEQ: str(since)}, self.clock.now())
            if not ids:
                break
        return moved

    async def replan_all(self) -> int:
        ids = await self.store.active_order_ids()
        moved = 0
        for start in range(0, len(ids), BATCH):
            moved += await self.replan(ids[start : start + BATCH])
        return moved

    async def fire_due(self) -> int:
        """Act on every timer whose next action time has come."""
        moved = 0
        while ids := await self.store.due_order_ids(self.clock.now(), limit=BATCH):
            moved += await self.replan(ids)
            if len(ids) < BATCH:
                break
        return moved

    async def next_wake(self) -> datetime | None:
        return await self.store.next_timer_at()

    async def replan(self, order_ids: Sequence[int]) -> int:
        now = self.clock.now()
        orders = await self.store.orders_by_id(order_ids)
        parcels = await self.store.shipments_of_orders(order_ids)
        timers = {_key(t): t for t in await self.store.timers_for_orders(order_ids)}
        decisions: list[TimerDecision] = []
        seen: set[TimerKey] = set()
        for order in orders:
            for subject in subjects_of(order, tuple(parcels.get(order.id, ()))):
                for rule in self.rules.rules:
                    if str(rule.subject) != subject.kind:
                        continue
                    key = (rule.id, str(subject.kind), subject.subject_id)
                    seen.add(key)
                    decision = self._decide(rule, subject, timers.get(key), now)
                    if decision is not None:
                        decisions.append(decision)
        for key, timer in timers.items():
            if key not in seen and timer.state != TimerState.RESOLVED:
                decisions.append(_resolved(timer, "rule removed", self.rules.version))
        if not decisions:
            return 0
        return await self.store.save_timers(decisions, now)

    def _decide(
        self, rule: TimeoutRule, subject: Subject, timer: TimerRow | None, now: datetime
    ) -> TimerDecision | None:
        planned = plan(rule, subject, now)
        if planned is None:
            if timer is None or timer.state == TimerState.RESOLVED:
                return None
            return _resolved(timer, _why_cleared(subject), self.rules.version)
        state, next_at = planned.state, planned.next_at
        if timer is not None and _unchanged(timer, planned, state, next_at):
            return None
        return TimerDecision(
            rule_id=rule.id,
            subject_kind=str(subject.kind),
            subject_id=subject.subject_id,
            order_id=subject.order.id,
            state=state,
            started_at=planned.started_at,
            deadline_at=planned.deadline_at,
            warn_at=planned.warn_at,
            next_at=next_at,
            rules_version=self.rules.version,
            severity=str(rule.severity),
            summary=render_summary(rule, subject, now) if state == TimerState.FIRING else "",
        )


def _unchanged(timer: TimerRow, planned: Plan, state: TimerState, next_at: datetime | None) -> bool:
    same_state = timer.state == state or (
        timer.state == TimerState.ACKNOWLEDGED and state == TimerState.FIRING
    )
    return (
        same_state
        and timer.started_at == planned.started_at
        and timer.deadline_at == planned.deadline_at
        and timer.warn_at == planned.warn_at
        and timer.next_at == next_at
    )


def _key(timer: TimerRow) -> TimerKey:
    return (timer.rule_id, timer.subject_kind, timer.subject_id)


def _resolved(timer: TimerRow, reason: str, version: str) -> TimerDecision:
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


def _why_cleared(subject: Subject) -> str:
    """The reason a running timer stopped, in the shop's words."""
    order = subject.order
    if order.lifecycle == Lifecycle.CANCELLED:
        return "cancelled"
    if subject.shipment is not None:
        if subject.shipment.status == ShipmentStatus.DELIVERED:
            return "delivered"
        return f"parcel {subject.shipment.status}"
    if order.fulfillment_status in {"fulfilled", "partially_fulfilled"} or subject.shipments:
        return "shipped"
    if order.lifecycle != Lifecycle.OPEN:
        return str(order.lifecycle)
    return "condition cleared"
