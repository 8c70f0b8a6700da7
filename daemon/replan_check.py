"""The quick first look of a re-plan: which orders have anything to change at all?

After a reload the engine re-plans every active order, and nearly always every timer comes out
as it was stored. :func:`orders_to_decide` answers, for a batch, which orders need deciding in
full: it reads only the columns the rules look at (:mod:`sync.store.planning`) and asks
:func:`~daemon.rules.decide.unchanged` for every (rule, subject), so an order whose timers all
stand costs a few microseconds and no plan, decision or message is built for it. The engine then
decides the orders left exactly as it always does, so what gets written is the same either way.

A full re-plan goes through the mirror one span of order ids at a time (:func:`load_span`): it
finds there the subjects each rule could apply to and those with a running timer, and reads
them for the quick look. Spans need no list of every candidate up front, so the pass starts at
once, and a helper process (:mod:`daemon.replan_aside`) can take spans of its own.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from daemon.rules.decide import Muting, unchanged
from daemon.rules.learned import learned_rules
from daemon.rules.model import Rule, RuleSet
from daemon.rules.prefilter import candidates
from daemon.rules.profile import STORED_AS
from daemon.rules.schema import Field
from daemon.rules.subject import Subject
from sync.domain import SubjectKind
from sync.store import Store
from sync.store.planning import (
    ORDER_FIELDS,
    SHIPMENT_FIELDS,
    PlanningRows,
    StoredTimer,
    dense,
)
from sync.store.rule_filters import Filter

QUICK_LOOK_FROM = 200
"""Spans with fewer orders to visit are decided in full straight away."""

SKIP_AFTER_BUSY = 8
"""Spans decided in full straight away after one where most orders had something to change
(a first plan): there the quick look would only read them twice. Each busy look in a row
doubles it, up to :data:`SKIP_AT_MOST`."""
SKIP_AT_MOST = 512

_ORDER_ALWAYS = ("id", "source", "external_id", "province", "city")
"""Read whatever the rules say: rollouts hash the order's source and id; learned timeouts
look up the route to the order's province and city."""
_SHIPMENT_ALWAYS = ("id", "order_id", "carrier")
_ORDER, _PARCEL = str(SubjectKind.ORDER), str(SubjectKind.SHIPMENT)


@dataclass(slots=True)
class QuickLook:
    """Whether the next span of a full re-plan gets a quick look.

    It does in a re-plan after a reload, where timers mostly stand; after a span where most
    orders changed, the next :data:`SKIP_AFTER_BUSY` are decided in full straight away, and then
    it looks again (skipping twice as many each time it finds the spans still busy).
    """

    skip: int = 0
    busy: int = 0

    def looking(self) -> bool:
        """Whether to read the next span for a quick look (spans of fewer than
        :data:`QUICK_LOOK_FROM` orders are then decided in full all the same)."""
        if self.skip:
            self.skip -= 1
            return False
        return True

    def saw(self, batch: int, changed: int) -> None:
        """What the quick look of a span found: ``changed`` of its ``batch`` orders."""
        if changed * 2 > batch:
            self.busy = min(self.busy * 2, SKIP_AT_MOST) if self.busy else SKIP_AFTER_BUSY
            self.skip = self.busy
        else:
            self.busy = 0


def rules_by_kind(rules: RuleSet) -> dict[SubjectKind, tuple[Rule, ...]]:
    return {kind: rules.for_subject(kind) for kind in SubjectKind}


@dataclass(frozen=True, slots=True)
class Columns:
    """The order and parcel fields the rules of a rule set can read."""

    orders: frozenset[str]
    shipments: frozenset[str]


def columns_of(rules: RuleSet) -> Columns:
    """Every order and parcel field the order and parcel rules read, through their expressions
    or the labels an ``[[inhibit]]`` may match on, plus the few planning itself reads."""
    orders, shipments = set(_ORDER_ALWAYS), set(_SHIPMENT_ALWAYS)
    for rule in rules.rules:
        if rule.subject is SubjectKind.SOURCE:
            continue
        paths = set(rule.fields)
        for _name, template in rule.labels:
            paths.update(piece.path for piece in template.pieces if isinstance(piece, Field))
        for path in paths:
            table, _, column = STORED_AS.get(path, path).partition(".")
            if table == "order" and column in ORDER_FIELDS:
                orders.add(column)
            elif table == "shipment" and column in SHIPMENT_FIELDS:
                shipments.add(column)
    return Columns(frozenset(orders), frozenset(shipments))


@dataclass(frozen=True, slots=True)
class Batch:
    """What the quick look of a span reads: its orders and parcels with the columns the rules
    look at, their live timers, the order guards up, and the parcels' first-scan places."""

    rows: PlanningRows
    guards: Mapping[int, frozenset[str]]
    origins: Mapping[int, str]


Span = tuple[int, int]
"""Order ids from the first to the last (inclusive): the unit a full re-plan goes through."""


def spans(first_last: Span | None, width: int) -> list[Span]:
    """``first_last`` cut into spans of ``width`` ids, in order."""
    if first_last is None:
        return []
    first, last = first_last
    return [(low, min(low + width - 1, last)) for low in range(first, last + 1, width)]


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a full re-plan visits: per order rule and per parcel rule, the condition of the
    subjects it could apply to (:func:`~daemon.rules.prefilter.candidates`), and the rules
    whose running timers it visits (None: every rule's)."""

    orders: Mapping[str, Filter | None]
    parcels: Mapping[str, Filter | None]
    running: frozenset[str] | None

    @classmethod
    def of(cls, rules: RuleSet, dirty: Collection[str] | None) -> Wanted:
        """For the rules ``dirty`` names (None: all of them)."""
        orders, parcels = candidates(rules)
        if dirty is None:
            return cls(orders, parcels, None)
        return cls(
            {rule: found for rule, found in orders.items() if rule in dirty},
            {rule: found for rule, found in parcels.items() if rule in dirty},
            frozenset(dirty),
        )

    @property
    def nothing(self) -> bool:
        """No rule to re-plan: the pass has nothing to visit."""
        return self.running is not None and not self.running


@dataclass(frozen=True, slots=True)
class Loaded:
    """A span as a re-plan found it: the orders to visit, per rule the subjects to decide it
    for, and what was read for the quick look (None: the orders are decided in full)."""

    orders: list[int]
    only: Mapping[str, set[int]]
    batch: Batch | None


async def load_span(
    store: Store,
    rules: RuleSet,
    columns: Columns,
    wanted: Wanted,
    span: Span,
    looking: bool,
    least: int | None = None,
) -> Loaded:
    """Find what a full re-plan visits in ``span``, and, when ``looking``, read it for a quick
    look, kept when there are at least ``least`` orders to visit (:data:`QUICK_LOOK_FROM`)."""
    if not looking:
        found = await store.candidate_subjects(
            wanted.orders, wanted.parcels, running=wanted.running, between=span
        )
        return Loaded(sorted(found.orders), found.subjects, None)
    found, rows = await store.span_rows(
        span, wanted.orders, wanted.parcels, wanted.running, columns.orders, columns.shipments
    )
    orders = sorted(found.orders)
    if not orders or len(orders) < (QUICK_LOOK_FROM if least is None else least):
        return Loaded(orders, found.subjects, None)
    guards = await store.active_guards(orders, span)
    origins: dict[int, str] = {}
    if learned_rules(rules):
        parcel_ids = [p.id for parcels in rows.shipments.values() for p in parcels]
        origins = await store.parcel_origins(parcel_ids)
    return Loaded(orders, found.subjects, Batch(rows, guards, origins))


RUN_GAP = 4
"""Ids further apart than this end a run of changed orders (:func:`changed_runs`)."""


def changed_runs(
    ids: Collection[int], least: int | None = None
) -> tuple[list[list[int]], list[int]]:
    """``ids`` cut into runs of close ids that fill most of their span (:data:`DENSE`), of at
    least ``least`` each (:data:`QUICK_LOOK_FROM`), and the ids left over, all in order."""
    fewest = QUICK_LOOK_FROM if least is None else least
    runs: list[list[int]] = []
    rest: list[int] = []

    def close(run: list[int]) -> None:
        if len(run) >= fewest and dense(run, (run[0], run[-1])):
            runs.append(run)
        else:
            rest.extend(run)

    run: list[int] = []
    for order_id in sorted(set(ids)):
        if run and order_id - run[-1] > RUN_GAP:
            close(run)
            run = []
        run.append(order_id)
    if run:
        close(run)
    return runs, rest


async def load_changed(
    store: Store, rules: RuleSet, columns: Columns, wanted: Wanted, run: list[int], looking: bool
) -> Loaded:
    """What a re-plan of the changed orders ``run`` (a run of close ids, :func:`changed_runs`)
    visits: found, and when ``looking`` read for a quick look, as :func:`load_span` does in
    their span, then kept for these orders only.

    A first sync or a big import changes whole spans of new orders, most of which no rule
    could apply to: those then cost nothing, and most of the others a quick look."""
    keep = set(run)
    loaded = await load_span(store, rules, columns, wanted, (run[0], run[-1]), looking)
    orders = [order_id for order_id in loaded.orders if order_id in keep]
    if loaded.batch is None or len(orders) == len(loaded.orders):
        return Loaded(orders, loaded.only, loaded.batch)
    rows = loaded.batch.rows
    kept = PlanningRows(
        [order for order in rows.orders if order.id in keep],
        {order_id: found for order_id, found in rows.shipments.items() if order_id in keep},
        [timer for timer in rows.timers if timer[3] in keep],
    )
    return Loaded(orders, loaded.only, Batch(kept, loaded.batch.guards, loaded.batch.origins))


def orders_to_decide(
    batch: Batch,
    by_kind: Mapping[SubjectKind, Sequence[Rule]],
    only: Mapping[str, set[int]] | None,
    now: datetime,
    muting: Muting,
) -> list[int]:
    """The orders of the batch whose timers (of the rules ``only`` names, for the subjects it
    lists, when given) would not all come out as stored."""
    rows, guards, origins = batch.rows, batch.guards, batch.origins
    timers: dict[tuple[str, str, int], StoredTimer] = {(t[0], t[1], t[2]): t for t in rows.timers}
    wanted = {
        kind: [(rule, None if only is None else only.get(rule.id, set())) for rule in found]
        for kind, found in by_kind.items()
    }
    order_rules = wanted.get(SubjectKind.ORDER, [])
    parcel_rules = wanted.get(SubjectKind.SHIPMENT, [])
    changed: set[int] = set()
    for order in rows.orders:
        order_id = order.id
        parcels = tuple(rows.shipments.get(order_id, ()))
        flags = guards.get(order_id, frozenset())
        # What subjects_of() gives, built positionally and only for a rule that wants it: this
        # runs for every active order.
        try:
            subject = None
            for rule, among in order_rules:
                if among is not None and order_id not in among:
                    continue
                if subject is None:
                    subject = Subject(order, None, parcels, None, None, flags)
                stored = timers.pop((rule.id, _ORDER, order_id), None)
                if not unchanged(rule, subject, stored, now, muting):
                    changed.add(order_id)
            for parcel in parcels:
                subject = None
                for rule, among in parcel_rules:
                    if among is not None and parcel.id not in among:
                        continue
                    if subject is None:
                        origin = origins.get(parcel.id, "")
                        subject = Subject(order, parcel, parcels, None, None, flags, origin)
                    stored = timers.pop((rule.id, _PARCEL, parcel.id), None)
                    if not unchanged(rule, subject, stored, now, muting):
                        changed.add(order_id)
        except AttributeError:  # a rule read a column not loaded: let the full path decide
            changed.add(order_id)
    changed.update(timer[3] for timer in timers.values())  # rules removed, or subjects gone
    return sorted(changed)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a full re-plan runs.

    A re-plan makes and drops millions of small acyclic objects (rows, subjects): reference
    counting frees them, and the collector's passes over everything alive only cost time (a
    tenth of a full re-plan). It runs again, as it was, as soon as the re-plan ends.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


async def read_ahead(
    take: Callable[[], Span | None],
    load: Callable[[Span], Awaitable[Loaded]],
    replan: Callable[[Loaded], Awaitable[int]],
) -> int:
    """Re-plan the spans ``take`` hands out (None: no more) in turn, each read while the span
    before it is looked at (SQLite reads on its own thread meanwhile); the escalations moved."""
    moved = 0
    span = take()
    ahead = None if span is None else asyncio.create_task(_loaded(load, span))
    try:
        while ahead is not None:
            loaded = await ahead
            following = take()
            ahead = None if following is None else asyncio.create_task(_loaded(load, following))
            moved += await replan(loaded)
    finally:
        if ahead is not None:  # stopped half-way: the read ahead is not wanted
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
    return moved


async def _loaded(load: Callable[[Span], Awaitable[Loaded]], span: Span) -> Loaded:
    return await load(span)
