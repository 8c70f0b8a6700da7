"""The rules engine's driver: turn rule plans into timers and escalations in the store.

It re-plans exactly the orders a sync changed (found through ``change_seq``), wakes for the
earliest due timer, evaluates the rules about sources (feeds) every ``eval_interval``, and after
a rules reload re-plans every active order. Deciding is pure (:mod:`daemon.rules.decide`); this
module loads subjects and timers in batches, hands the differences to the store in one
transaction per batch, and keeps the muting that ``[[inhibit]]`` rules cause up to date. In a
full re-plan, which goes through the mirror one span of order ids at a time, a big span first
gets a quick look (:mod:`daemon.replan_check`) that reads only the columns the rules use and
skips the orders whose timers all stand, and the next span is read while one is looked at; a
very big pass shares the spans with a helper process (:mod:`daemon.replan_aside`).

A reload never notifies by itself: a timer that was firing stays firing (with the escalation it
already has), and a re-plan that finds nothing new writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta

from daemon.feed_alerts import feed_moves
from daemon.guards import GuardRunner
from daemon.muters import feed_muters, muter_rules, rule_muters
from daemon.replan_aside import Setup, can_help, look_aside
from daemon.replan_check import (
    Batch,
    Loaded,
    QuickLook,
    Span,
    Wanted,
    changed_runs,
    collector_paused,
    columns_of,
    load_changed,
    load_span,
    orders_to_decide,
    read_ahead,
    rules_by_kind,
    spans,
)
from daemon.route_learner import RouteLearner
from daemon.rules.decide import Muting, decide, decide_source, resolved
from daemon.rules.learned import learned_rules, with_figures
from daemon.rules.memos import carry_memos
from daemon.rules.model import ConditionRule, Rule, RuleSet
from daemon.rules.muting import Muter, values_of
from daemon.rules.subject import Subject, source_subject, subjects_of
from sync.clock import Clock
from sync.domain import ShipmentRow, SubjectKind, TimerRow, TimerState
from sync.store import SourceHealth, SourceTimer, Store, TimerDecision

log = logging.getLogger("orderwatch.rules")

PLANNED_SEQ = "rules.planned_seq"
BATCH = 2000


class RulesEngine:
    def __init__(self, store: Store, clock: Clock, rules: RuleSet) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self.muting = Muting()
        self._feed_muters: list[Muter] = []
        self._rule_muters: list[Muter] = []
        self._muting_moves = False  # a re-plan caused by a muting change is running
        self.guards = GuardRunner(store, clock, lambda: self.rules.guards)
        self.routes = RouteLearner(store, clock)
        self._by_kind = rules_by_kind(rules)
        self._columns = columns_of(rules)
        self._sources_due: datetime | None = None
        self._dirty: set[str] | None = None  # rules to re-plan in full (None: every rule)
        self._sources_stamp = "never looked"
        self._settled: set[int] = set()  # stamps of saves no other write came before (replan)

    def swap(self, rules: RuleSet, *, everything: bool = False) -> None:
        """Use ``rules`` from now on; the caller then runs :meth:`replan_all`, which re-plans
        the rules that changed (their own table, or anything shared they depend on) and
        resolves the instances of removed ones, or with ``everything``, every rule."""
        old = {rule.id: rule.fingerprint for rule in self.rules.rules}
        changed = {
            rule.id
            for rule in rules.rules
            if not rule.fingerprint or old.get(rule.id) != rule.fingerprint
        }
        removed = set(old) - rules.ids
        if self._dirty is not None:
            self._dirty |= changed | removed
        if everything:
            self._dirty = None
        carry_memos(self.rules, rules)
        self.rules = with_figures(rules, self.routes.figures)
        self._by_kind = rules_by_kind(self.rules)
        self._columns = columns_of(self.rules)
        self._sources_due = None

    async def _routes_if_due(self) -> bool:
        """Read or learn again the route figures of learned timeouts; True when they moved
        (the rules using them are then due for a full re-plan)."""
        learned = learned_rules(self.rules)
        if not learned or not await self.routes.refresh():
            return False
        self.rules = with_figures(self.rules, self.routes.figures)
        self._by_kind = rules_by_kind(self.rules)
        if self._dirty is not None:
            self._dirty |= learned
        return True

    async def replan_changed(self) -> int:
        """Re-plan the orders that changed since the last pass; returns escalations moved."""
        since = int(await self.store.get_state(PLANNED_SEQ, "0"))
        moved = 0
        look = QuickLook()
        while True:
            self._settled = {stamp for stamp in self._settled if stamp > since}
            # Orders whose last change is an escalation this engine opened or closed, from what
            # it had just read, would only be decided again to the same result.
            ids, high = await self.store.changed_order_ids(since, BATCH, self._settled)
            if ids:
                moved += await self._replan_changed(ids, look)
            if high == since:
                break
            since = high
            await self.store.set_state({PLANNED_SEQ: str(since)}, self.clock.now())
            if not ids:
                break
        return moved

    async def _replan_changed(self, ids: Sequence[int], look: QuickLook) -> int:
        """Re-plan changed orders. Runs of close ids (a sync's new orders) visit only the
        orders a rule could apply to or with a running timer, after a quick look
        (:func:`load_changed`); the others are decided in full."""
        if muter_rules(self.rules):  # muting is only known once decided
            return await self.replan(ids)
        runs, rest = changed_runs(ids)
        moved = await self.replan(rest) if rest else 0
        wanted = Wanted.of(self.rules, None)
        for run in runs:
            loaded = await load_changed(
                self.store, self.rules, self._columns, wanted, run, look.looking()
            )
            if loaded.orders:
                moved += await self.replan(loaded.orders, None, loaded.batch, look)
        return moved

    async def replan_all(self, stop: asyncio.Event | None = None) -> int:
        """Re-plan, for every rule that changed since the last full plan (all of them the
        first time), every subject it could apply to or has a running timer for.

        The pass goes through the mirror in spans of :data:`BATCH` order ids: for each, it finds
        the subjects to visit, then re-plans them (a quick look first when that is worth it),
        while the next span is read. Once ``stop`` is set it ends after the spans under way,
        and the rules it was re-planning are left for the next full re-plan to do again."""
        await self._routes_if_due()
        self._rule_muters = await rule_muters(self.store, self.rules, self.clock.now())
        moved = await self.evaluate_sources()
        dirty, self._dirty = self._dirty, set()
        wanted = Wanted.of(self.rules, dirty)
        if wanted.nothing:
            return moved
        todo = deque(spans(await self.store.order_span(), BATCH))
        look = QuickLook()  # of this pass only: what earlier ones found busy says nothing here
        muters = bool(muter_rules(self.rules))  # their muting is only known once decided

        def load(span: Span) -> Awaitable[Loaded]:
            looking = not muters and look.looking()
            return load_span(self.store, self.rules, self._columns, wanted, span, looking)

        async def replan(loaded: Loaded) -> int:
            if not loaded.orders:
                return 0
            return await self.replan(loaded.orders, loaded.only, loaded.batch, look)

        def stopped() -> bool:
            return stop is not None and stop.is_set()

        def next_span() -> Span | None:
            return todo.popleft() if todo and not stopped() else None

        seen_aside: list[tuple[Span, list[int] | None]] = []
        helping = asyncio.Event()
        aside = None if muters else self._look_aside(dirty, todo, seen_aside, stopped, helping)
        with collector_paused():
            try:
                moved += await read_ahead(next_span, load, replan)
            except BaseException:
                await _aside_done(aside, wanted=False)  # the pass failed or was stopped
                raise
            # a helper not up yet is not wanted any more: waiting would only slow a small pass
            await _aside_done(aside, wanted=helping.is_set())
            if stopped():  # not done: the next full re-plan does it again
                self._dirty = None if dirty is None or self._dirty is None else self._dirty | dirty
                return moved
            # what the helper found, or could not look at, in the order of the mirror
            for span, orders in sorted(seen_aside, key=lambda seen: seen[0]):
                found = await load_span(self.store, self.rules, self._columns, wanted, span, False)
                moved += await replan(found if orders is None else Loaded(orders, found.only, None))
        return moved

    def _look_aside(
        self,
        dirty: Collection[str] | None,
        todo: deque[Span],
        seen: list[tuple[Span, list[int] | None]],
        stopped: Callable[[], bool],
        ready: asyncio.Event,
    ) -> asyncio.Task[None] | None:
        """For a big pass, a helper process that looks at spans from the far end while this
        one works from the near end. What it finds in a span, or every order of a span it could
        not look at (None), goes to ``seen``, decided here once the near end is done. ``ready``
        is set once the helper is up."""
        path = str(self.store.db.path)
        if not can_help(self.rules, path, len(todo)):
            return None
        setup = Setup(
            path,
            self.rules.text,
            self.rules.source,
            self.routes.figures,
            (*self._feed_muters, *self._rule_muters),
            None if dirty is None else frozenset(dirty),
        )

        def from_the_far_end() -> Span | None:
            return todo.pop() if todo and not stopped() else None

        return asyncio.create_task(look_aside(setup, from_the_far_end, self.clock.now, seen, ready))

    async def tick(self) -> int:
        """One turn of the daemon's rules loop: feeds first (their muting decides whether what
        follows notifies), then the orders a sync changed, then the timers that are due."""
        moved = await self._sources_if_due()
        if await self._routes_if_due():
            moved += await self.replan_all()
        await self.guards.check_changed()  # before the re-plan: rules read the flags
        moved += await self.replan_changed()
        return moved + await self._due_timers()

    async def fire_due(self) -> int:
        """Act on every timer whose next action time has come, and on feeds when due."""
        return await self._sources_if_due() + await self._due_timers()

    async def _sources_if_due(self) -> int:
        due = self._sources_due is not None and self.clock.now() >= self._sources_due
        if due or await self.store.sources_stamp() != self._sources_stamp:
            return await self.evaluate_sources()
        return 0

    async def _due_timers(self) -> int:
        moved = 0
        while ids := await self.store.due_order_ids(self.clock.now(), limit=BATCH):
            moved += await self.replan(ids)
            if len(ids) < BATCH:
                break
        return moved

    async def next_wake(self) -> datetime | None:
        found = _earliest(await self.store.next_timer_at(), await self.guards.next_due())
        sweep = self._sources_due
        if sweep is not None and (found is None or sweep < found):
            return sweep
        return found

    async def replan(
        self,
        order_ids: Sequence[int],
        only: Mapping[str, set[int]] | None = None,
        loaded: Batch | None = None,
        look: QuickLook | None = None,
    ) -> int:
        """Re-plan every rule for the orders and their parcels, or with ``only``, each rule
        for the subjects listed under its id (a full re-plan's candidates). ``loaded`` is the
        batch already read for the quick look (:mod:`daemon.replan_check`), and ``look`` the
        pass's :class:`QuickLook`, told what it found."""
        now = self.clock.now()
        if loaded is not None:
            # Most orders of a big batch come out as stored: decide only those that do not.
            found = orders_to_decide(loaded, self._by_kind, only, now, self.muting)
            if look is not None:
                look.saw(len(order_ids), len(found))
            if not found:
                return 0
            order_ids = found
        # Only what is read from here on is decided from (the quick look only chose the orders).
        read_from = await self.store.change_seq()
        orders = await self.store.orders_by_id(order_ids)
        parcels = await self.store.shipments_of_orders(order_ids)
        guards = await self.store.active_guards(order_ids)
        origins = await self._origins(parcels)
        timers = {
            (t.rule_id, t.subject_kind, t.subject_id): t
            for t in await self.store.timers_for_orders(order_ids, None if only is None else only)
        }
        version = self.rules.version
        subjects = [
            subject
            for order in orders
            for subject in subjects_of(
                order, tuple(parcels.get(order.id, ())), guards.get(order.id, frozenset()), origins
            )
        ]
        decisions = self._decide(subjects, timers, only, now)
        for timer in timers.values():  # rules removed, or subjects gone
            if timer.state == TimerState.RESOLVED:
                continue
            if self.rules.rule(timer.rule_id) is None:
                decisions.append(resolved(timer, self._why_gone(timer.rule_id), version))
            elif only is None or timer.subject_id in only.get(timer.rule_id, ()):
                decisions.append(resolved(timer, "gone", version))
            # else: a rule this pass does not re-plan (unchanged by the reload): left alone
        if not decisions:
            return 0
        saved = await self.store.save_decisions(decisions, now)
        if saved.seq == read_from + 1:  # no write came between the reads and the save
            self._settled.add(saved.seq)
        moved = saved.moved
        muters = muter_rules(self.rules)
        if muters and any(decision.rule_id in muters for decision in decisions):
            self._rule_muters = await rule_muters(self.store, self.rules, now)
            moved += await self._update_muting()
        return moved

    def _decide(
        self,
        subjects: Sequence[Subject],
        timers: dict[tuple[str, str, int], TimerRow],
        only: Mapping[str, set[int]] | None,
        now: datetime,
    ) -> list[TimerDecision]:
        """Decide every rule for ``subjects`` (popping the timers used from ``timers``).

        Instances that mute others are decided first, so what they start muting in this pass is
        muted in this pass too, before it could open an escalation."""
        decisions: list[TimerDecision] = []
        muters = muter_rules(self.rules)
        muting = self.muting
        version = self.rules.version
        for first in (True, False) if muters else (False,):
            found_muters = []
            by_kind = {
                kind: [
                    (rule, None if only is None else only.get(rule.id, set()))
                    for rule in rules
                    if not muters or (rule.id in muters) == first
                ]
                for kind, rules in self._by_kind.items()
            }
            for subject in subjects:
                kind, subject_id = subject.kind, subject.subject_id
                for rule, wanted in by_kind.get(kind, ()):
                    if wanted is not None and subject_id not in wanted:
                        continue
                    timer = timers.pop((rule.id, str(kind), subject_id), None)
                    found = decide(rule, subject, timer, now, version, muting)
                    if found is not None:
                        decisions.append(found)
                        if first:
                            found_muters.append(self._muter(rule, subject, found.state, now))
            muting = muting.adding(self.rules.inhibits, found_muters)
        return decisions

    def _muter(self, rule: Rule, subject: Subject, state: str, now: datetime) -> Muter:
        inhibits = [i for i in self.rules.inhibits if i.source_rule == rule.id]
        names = sorted({name for inhibit in inhibits for name in inhibit.equal})
        return Muter(rule.id, state, values_of(rule, subject, names, now), subject.key)

    async def _origins(self, parcels: Mapping[int, Sequence[ShipmentRow]]) -> dict[int, str]:
        """First-scan places of the parcels, when a rule learns timeouts per route."""
        if not learned_rules(self.rules):
            return {}
        return await self.store.parcel_origins([p.id for found in parcels.values() for p in found])

    def _why_gone(self, rule_id: str) -> str:
        """Why a timer's rule no longer runs: removed, or waiting for a feed."""
        for rule in self.rules.dormant:
            if rule.id == rule_id:
                return f"feed {rule.needs_feed} is off"
        return "rule removed"

    async def evaluate_sources(self) -> int:
        """Evaluate the rules about sources; re-plan what their muting touches when it moves."""
        now = self.clock.now()
        self._sources_due = None
        self._sources_stamp = await self.store.sources_stamp()
        rules = self._by_kind.get(SubjectKind.SOURCE, ())
        existing = await self.store.source_timers()
        if not rules and not existing:
            return 0
        stored = {(timer.rule_id, timer.source): timer for timer in existing}
        changed: list[SourceTimer] = []
        sources = await self.store.source_health()
        self._sources_due = next_look(rules, sources, now, self.rules.eval_interval)
        for health in sources:
            subject = source_subject(health, now)
            for rule in rules:
                previous = stored.pop((rule.id, health.name), None)
                found = decide_source(rule, subject, previous, now, self.rules.version)
                if found is not None:
                    changed.append(found)
        for timer in stored.values():  # rules removed, or sources gone from the table
            if timer.state != TimerState.RESOLVED:
                changed.append(_resolved_source(timer, self.rules.version))
        before = {(timer.rule_id, timer.source): timer for timer in existing}
        moves = feed_moves(self.rules, before, changed)
        opened = await self.store.save_source_timers(changed, moves, now)
        timers = await self.store.source_timers()
        # An instance moves on by itself too (pending -> firing after `for`; keep_firing_for).
        wakes = [t.next_at for t in timers if t.next_at is not None]
        if self._sources_due is not None:
            wakes.append(self._sources_due)
        self._sources_due = min(wakes, default=None)
        self._feed_muters = feed_muters(self.rules, timers, sources)
        return opened + await self._update_muting()

    async def _update_muting(self) -> int:
        """Take the muting the instances give now; re-plan what it touches when it moved."""
        muting = Muting.of(self.rules.inhibits, [*self._feed_muters, *self._rule_muters])
        if muting == self.muting:
            return 0
        touched = muting.targets | self.muting.targets
        self.muting = muting
        if self._muting_moves:  # the re-plan running will settle it
            return 0
        log.info("muting changed for %s", ", ".join(sorted(touched)))
        ids = await self.store.timer_order_ids(sorted(touched))
        moved = 0
        self._muting_moves = True
        try:
            for start in range(0, len(ids), BATCH):
                moved += await self.replan(ids[start : start + BATCH])
        finally:
            self._muting_moves = False
        return moved


def next_look(
    rules: Sequence[Rule], sources: Sequence[SourceHealth], now: datetime, interval: timedelta
) -> datetime | None:
    """When the rules about sources must be looked at again though no source changed.

    ``source.age`` and ``source.failing_for`` grow with time; a rule's answer can only change
    when one of them crosses a duration written in the rule, so that is when to look (a second
    after, since stored times have whole seconds). A rule that reads them but names no duration
    is looked at every ``interval``.
    """
    best: datetime | None = None
    for rule in rules:
        reads = rule.fields & _GROWING.keys()
        if not reads or not sources:
            continue
        durations = rule.fires_when.durations if isinstance(rule, ConditionRule) else frozenset()
        if not durations:
            best = min(best or now + interval, now + interval)
            continue
        for health in sources:
            for field in reads:
                base = _GROWING[field](health)
                if base is None:
                    continue
                for duration in durations:
                    at = base + duration + timedelta(seconds=1)
                    if at > now and (best is None or at < best):
                        best = at
    return best


_GROWING: dict[str, Callable[[SourceHealth], datetime | None]] = {
    "source.age": lambda health: health.last_success_at,
    "source.failing_for": lambda health: health.last_error_at if health.last_error else None,
}


async def _aside_done(aside: asyncio.Task[None] | None, *, wanted: bool) -> None:
    """End the helper's part of a pass: wait for what it is looking at when its answers are
    ``wanted``, else cancel it (a helper still starting is stopped once up)."""
    if aside is None:
        return
    if wanted:
        await aside
        return
    aside.cancel()
    await asyncio.gather(aside, return_exceptions=True)


def _earliest(*instants: datetime | None) -> datetime | None:
    return min((at for at in instants if at is not None), default=None)


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
