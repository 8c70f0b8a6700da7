"""Timers in the store: set-wise saves, escalations opened and closed with them, feed timers,
and the candidates of a full re-plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sync.domain import EscalationState, TimerState
from sync.store import SourceTimer, Store, TimerDecision
from sync.store.rule_filters import Always, Column, Equals
from tests.conftest import T0, OrderFactory


def _decision(order_id: int, state: TimerState, **changes: Any) -> TimerDecision:
    decision = TimerDecision(
        rule_id="late",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=state,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=4),
        warn_at=T0 + timedelta(hours=3),
        next_at=T0 + timedelta(hours=3),
        rules_version="v1",
        summary="late",
    )
    return replace(decision, **changes)


async def _orders(store: Store, make_order: OrderFactory, count: int) -> list[int]:
    records = [make_order(n) for n in range(1, count + 1)]
    return await store.save_order_page("shop", "x", records, "", T0)


async def test_a_batch_opens_one_escalation_per_firing_timer(
    store: Store, make_order: OrderFactory
) -> None:
    ids = await _orders(store, make_order, 50)
    now = T0 + timedelta(hours=4)
    firing = [_decision(i, TimerState.FIRING, next_at=None) for i in ids]
    assert await store.save_timers(firing, now) == 50
    assert await store.save_timers(firing, now) == 0
    escalations = await store.open_escalations()
    assert sorted(e.order_id for e in escalations) == sorted(ids)
    timers = await store.timers_for_orders(ids)
    assert {t.escalation_id for t in timers} == {e.id for e in escalations}


async def test_a_muted_firing_timer_opens_no_escalation(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    muted = _decision(order_id, TimerState.FIRING, muted_by="stale", next_at=None)
    assert await store.save_timers([muted], T0) == 0
    (timer,) = await store.timers_for_orders([order_id])
    assert (timer.state, timer.muted_by, timer.escalation_id) == ("firing", "stale", None)


async def test_resolving_closes_the_escalation_with_the_reason(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    await store.save_timers([_decision(order_id, TimerState.FIRING)], T0)
    done = _decision(order_id, TimerState.RESOLVED, reason="shipped")
    assert await store.save_timers([done], T0 + timedelta(hours=5)) == 1
    (timer,) = await store.timers_for_orders([order_id])
    assert (timer.state, timer.reason, timer.next_at) == ("resolved", "shipped", None)
    (escalation,) = await store.escalations_for_order(order_id)
    assert (escalation.state, escalation.resolution) == (EscalationState.RESOLVED, "shipped")


async def test_a_restarted_clock_closes_the_previous_run(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    await store.save_timers([_decision(order_id, TimerState.FIRING)], T0)
    again = _decision(order_id, TimerState.PENDING, restarted=True, started_at=T0 + timedelta(1))
    assert await store.save_timers([again], T0 + timedelta(days=1)) == 1
    (escalation,) = await store.escalations_for_order(order_id)
    assert escalation.resolution == "clock restarted"


async def test_timer_details_round_trip(store: Store, make_order: OrderFactory) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    paused = _decision(
        order_id,
        TimerState.PAUSED,
        timeout_seconds=3600,
        clock="warehouse",
        override="vip",
        modifiers="peak x1.5",
        paused_seconds=120,
        paused_since=T0 + timedelta(minutes=5),
        next_at=None,
    )
    await store.save_timers([paused], T0)
    (timer,) = await store.timers_for_orders([order_id])
    assert (timer.timeout_seconds, timer.clock, timer.override, timer.modifiers) == (
        3600,
        "warehouse",
        "vip",
        "peak x1.5",
    )
    assert (timer.paused_seconds, timer.paused_since) == (120, T0 + timedelta(minutes=5))


async def test_a_warning_is_written_on_the_timeline_once(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    await store.save_timers([_decision(order_id, TimerState.WARNING, announce=True)], T0)
    notices = await store.notices(T0 - timedelta(seconds=1), T0)
    assert [(n.rule_id, n.state) for n in notices] == [("late", "warning")]


async def test_the_next_action_includes_feed_timers(store: Store, make_order: OrderFactory) -> None:
    (order_id,) = await _orders(store, make_order, 1)
    await store.save_timers([_decision(order_id, TimerState.PENDING)], T0)
    feed = SourceTimer("stale", "17track", "pending", T0, None, None, T0 + timedelta(minutes=10))
    await store.save_source_timers([feed])
    assert await store.next_timer_at() == T0 + timedelta(minutes=10)
    (stored,) = await store.source_timers()
    assert stored == replace(feed, rules_version="")


async def test_candidates_follow_each_rule_and_the_running_timers(
    store: Store, make_order: OrderFactory
) -> None:
    from sync.domain import FulfillmentStatus

    shipped = make_order(1, tracking="SF1")
    open_one = make_order(2)
    held = make_order(3, fulfillment_status=FulfillmentStatus.ON_HOLD)
    ids = await store.save_order_page("shop", "x", [shipped, open_one, held], "", T0)
    await store.save_timers([_decision(ids[2], TimerState.PENDING, rule_id="gone")], T0)
    unfulfilled = Equals(Column("order", "fulfillment_status"), ("unfulfilled",))
    found = await store.candidate_subjects(
        {"late": unfulfilled}, {"silent": Equals(Column("shipment", "status"), ("pending",))}
    )
    (parcel,) = await store.shipments(ids[0])
    assert found.orders == set(ids)
    assert found.subjects == {"late": {ids[1]}, "silent": {parcel.id}, "gone": {ids[2]}}
    nothing = await store.candidate_subjects({"late": Always(False)}, {})
    assert nothing.orders == {ids[2]}


async def test_candidates_of_a_span_of_order_ids(store: Store, make_order: OrderFactory) -> None:
    assert await store.order_span() is None
    ids = await _orders(store, make_order, 4)
    await store.save_timers([_decision(ids[3], TimerState.PENDING, rule_id="gone")], T0)
    (parcel_order,) = await store.save_order_page(
        "shop", "x", [make_order(9, tracking="SF9")], "", T0
    )
    (parcel,) = await store.shipments(parcel_order)
    rules = {"late": Equals(Column("order", "fulfillment_status"), ("unfulfilled",))}
    parcels = {"silent": Equals(Column("shipment", "status"), ("pending",))}
    low = await store.candidate_subjects(rules, parcels, between=(ids[0], ids[1]))
    assert low.orders == {ids[0], ids[1]}
    assert low.subjects == {"late": {ids[0], ids[1]}}
    high = await store.candidate_subjects(rules, parcels, between=(ids[2], parcel_order))
    assert high.orders == {ids[2], ids[3], parcel_order}
    assert high.subjects == {"late": {ids[2], ids[3]}, "gone": {ids[3]}, "silent": {parcel.id}}
    assert await store.order_span() == (ids[0], parcel_order)


async def test_rules_past_the_mask_bits_are_visited_never_less(
    store: Store, make_order: OrderFactory
) -> None:
    from sync.domain import FulfillmentStatus

    ids = await _orders(store, make_order, 2)
    held = make_order(3, fulfillment_status=FulfillmentStatus.ON_HOLD)
    (held_id,) = await store.save_order_page("shop", "x", [held], "", T0)
    on_hold = Equals(Column("order", "fulfillment_status"), ("on_hold",))
    rules = {f"rule{n}": Always(False) for n in range(70)} | {"last": on_hold}
    found = await store.candidate_subjects(rules, {}, between=(ids[0], held_id))
    assert found.subjects["last"] == {held_id}
    assert "rule0" not in found.subjects and "rule61" not in found.subjects
    assert found.orders == {held_id}
