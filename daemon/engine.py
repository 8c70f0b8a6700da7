"""The rules engine's driver: turn rule plans into timers and escalations in the store.

It re-plans exactly the orders a sync changed (found through ``change_seq``), wakes for the
earliest due timer, evaluates the rules about sources (feeds) every ``eval_interval``, and after
a rules reload re-plans every active order. Deciding is pure (:mod:`daemon.rules.decide`); this
module loads subjects and timers in batches, hands the differences to the store in one
transaction per batch, and keeps the muting that ``[[inhibit]]`` rules cause up to date.

A reload never notifies by itself: a timer that was firing stays firing (with the escalation it
already has), and a re-plan that finds nothing new writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from daemon.rules.decide import Muting, decide, decide_source, resolved
from daemon.rules.model import Rule, RuleSet
from daemon.rules.subject import source_subject, subjects_of
from sync.clock import Clock
from sync.domain import SubjectKind, TimerState
from sync.store import SourceTimer, Store, TimerDecision

log = logging.getLogger("orderwatch.rules")

PLANNED_SEQ = "rules.planned_seq"
BATCH = 2000


class RulesEngine:
    def __init__(self, store: Store, clock: Clock, rules: RuleSet) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self.muting = Muting()
        self._by_kind = _by_kind(rules)
        self._sources_due: datetime | None = None

    def swap(self, rules: RuleSet) -> None:
        """Use ``rules`` from now on; the caller then runs :meth:`replan_all`."""
        self.rules = rules
        self._by_kind = _by_kind(rules)
        self._sources_due = None

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
        """Re-plan every order that is open or has a running timer (after a reload)."""
        moved = await self.evaluate_sources()
        ids = await self.store.active_order_ids()
        for start in range(0, len(ids), BATCH):
            moved += await self.replan(ids[start : start + BATCH])
        return moved

    async def fire_due(self) -> int:
        """Act on every timer whose next action time has come, and on feeds when due."""
        moved = 0
        now = self.clock.now()
        if self._sources_due is None or now >= self._sources_due:
            moved += await self.evaluate_sources()
        while ids := await self.store.due_order_ids(self.clock.now(), limit=BATCH):
            moved += await self.replan(ids)
            if len(ids) < BATCH:
                break
        return moved

    async def next_wake(self) -> datetime | None:
        found = await self.store.next_timer_at()
        if self._sources_due is not None and (found is None or self._sources_due < found):
            return self._sources_due
        return found

    async def replan(self, order_ids: Sequence[int]) -> int:
        now = self.clock.now()
        orders = await self.store.orders_by_id(order_ids)
        parcels = await self.store.shipments_of_orders(order_ids)
        timers = {
            (t.rule_id, t.subject_kind, t.subject_id): t
            for t in await self.store.timers_for_orders(order_ids)
        }
        decisions: list[TimerDecision] = []
        version = self.rules.version
        for order in orders:
            for subject in subjects_of(order, tuple(parcels.get(order.id, ()))):
                for rule in self._by_kind.get(subject.kind, ()):
                    key = (rule.id, str(subject.kind), subject.subject_id)
                    found = decide(rule, subject, timers.pop(key, None), now, version, self.muting)
                    if found is not None:
                        decisions.append(found)
        for timer in timers.values():  # rules removed, or subjects gone
            if timer.state != TimerState.RESOLVED:
                reason = "rule removed" if self.rules.rule(timer.rule_id) is None else "gone"
                decisions.append(resolved(timer, reason, version))
        if not decisions:
            return 0
        return await self.store.save_timers(decisions, now)

    async def evaluate_sources(self) -> int:
        """Evaluate the rules about sources; re-plan what their muting touches when it moves."""
        now = self.clock.now()
        self._sources_due = now + self.rules.eval_interval
        rules = self._by_kind.get(SubjectKind.SOURCE, ())
        existing = await self.store.source_timers()
        if not rules and not existing:
            return 0
        stored = {(timer.rule_id, timer.source): timer for timer in existing}
        changed: list[SourceTimer] = []
        for health in await self.store.source_health():
            subject = source_subject(health, now)
            for rule in rules:
                previous = stored.pop((rule.id, health.name), None)
                found = decide_source(rule, subject, previous, now, self.rules.version)
                if found is not None:
                    changed.append(found)
        for timer in stored.values():  # rules removed, or sources gone from the table
            if timer.state != TimerState.RESOLVED:
                changed.append(_resolved_source(timer, self.rules.version))
        await self.store.save_source_timers(changed)
        return await self._update_muting()

    async def _update_muting(self) -> int:
        muting = Muting.of(self.rules.inhibits, await self.store.source_timers())
        if muting == self.muting:
            return 0
        touched = set(muting.by_target) | set(self.muting.by_target)
        self.muting = muting
        log.info("muting changed for %s", ", ".join(sorted(touched)))
        ids = await self.store.timer_order_ids(sorted(touched))
        moved = 0
        for start in range(0, len(ids), BATCH):
            moved += await self.replan(ids[start : start + BATCH])
        return moved


def _by_kind(rules: RuleSet) -> dict[SubjectKind, tuple[Rule, ...]]:
    return {kind: rules.for_subject(kind) for kind in SubjectKind}


def _resolved_source(timer: SourceTimer, version: str) -> SourceTimer:
    return SourceTimer(
        rule_id=timer.rule_id,
        source=timer.source,
        state=TimerState.RESOLVED,
        since=timer.since,
        fired_at=timer.fired_at,
        last_true_at=timer.last_true_at,
        next_at=None,
        labels=timer.labels,
        summary=timer.summary,
        reason="rule removed",
        rules_version=version,
    )
