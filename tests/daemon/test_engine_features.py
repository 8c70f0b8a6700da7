"""The rules engine over a real SQLite file: pauses stored on timers, feeds muting alerts,
reloads that carry instances over, clocks that restart."""

from __future__ import annotations

from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import (
    Checkpoint,
    EscalationState,
    FulfillmentStatus,
    Lifecycle,
    ShipmentRecord,
    ShipmentStatus,
    TimerRow,
    TimerState,
    TrackRecord,
)
from sync.store import Store
from tests.conftest import T0, OrderFactory

PAUSING = """
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.fulfillment_status in ['unfulfilled', 'on_hold']"
pause_while = "order.fulfillment_status == 'on_hold'"
timeout = "4h"
"""


async def _timer(store: Store, order_id: int, rule_id: str = "late") -> TimerRow:
    (timer,) = [t for t in await store.timers_for_orders([order_id]) if t.rule_id == rule_id]
    return timer


async def test_paused_time_is_stored_on_the_timer_and_moves_the_deadline(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(PAUSING))
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await engine.tick()
    clock.set(T0 + timedelta(hours=1))
    held = make_order(1, paid_at=T0, fulfillment_status=FulfillmentStatus.ON_HOLD, rev=1)
    await store.save_order_page("shop", "x", [held], "", clock.now())
    await engine.tick()
    paused = await _timer(store, order_id)
    assert (paused.state, paused.paused_since, paused.next_at) == (
        TimerState.PAUSED,
        T0 + timedelta(hours=1),
        None,
    )
    clock.set(T0 + timedelta(hours=3))
    back = make_order(1, paid_at=T0, rev=2, updated_at=clock.now())
    await store.save_order_page("shop", "x", [back], "", clock.now())
    await engine.tick()
    running = await _timer(store, order_id)
    assert running.paused_seconds == 7200
    assert running.deadline_at == T0 + timedelta(hours=6)


FEED = """
[[rules]]
id = "stale"
subject = "source"
fires_when = "source.kind == '17track' and source.age > 2h"
labels = { feed = "{source.name}" }

[[rules]]
id = "silent"
subject = "shipment"
starts_at = "shipment.last_checkpoint_at"
active_while = "shipment.status == 'in_transit'"
timeout = "48h"
labels = { feed = "{shipment.tracked_by}" }

[[inhibit]]
source = { rule = "stale", states = ["pending", "firing"] }
target = { rule = "silent" }
equal = ["feed"]
"""


async def _parcel_in_transit(store: Store, make_order: OrderFactory) -> int:
    order = make_order(1, paid_at=T0, tracking="SF1")
    (order_id,) = await store.save_order_page("shop", "x", [order], "", T0)
    (parcel,) = await store.shipments(order_id)
    scan = Checkpoint(at=T0, at_raw="t0", description="picked up", status=ShipmentStatus.IN_TRANSIT)
    track = TrackRecord(
        "17track", "SF1", "sf", ShipmentStatus.IN_TRANSIT, "transit", checkpoints=(scan,)
    )
    await store.save_tracks("17track", [track], [parcel.id], T0)
    return order_id


async def test_a_stale_feed_mutes_the_alerts_of_its_parcels_until_it_recovers(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _parcel_in_transit(store, make_order)
    await store.record_source_success("17track", "17track", 0, T0)
    clock = VirtualClock(T0 + timedelta(hours=49))  # overdue, and the feed is 49h old
    engine = RulesEngine(store, clock, parse_rules(FEED))
    await engine.tick()
    silent = await _timer(store, order_id, "silent")
    assert silent.state == TimerState.FIRING
    assert silent.muted_by == "stale"
    # the stale feed's own escalation only: the muted parcel raises none
    assert [e.rule_id for e in await store.open_escalations()] == ["stale"]

    await store.record_source_success("17track", "17track", 0, clock.now())
    await engine.tick()
    assert (await _timer(store, order_id, "silent")).muted_by == ""
    (escalation,) = await store.open_escalations()
    assert escalation.rule_id == "silent"


async def test_a_feed_rule_wakes_the_engine_when_the_feed_turns_stale(
    store: Store, make_order: OrderFactory
) -> None:
    await _parcel_in_transit(store, make_order)
    await store.record_source_success("17track", "17track", 0, T0)
    engine = RulesEngine(store, VirtualClock(T0), parse_rules(FEED))
    await engine.tick()
    assert await engine.next_wake() == T0 + timedelta(hours=2, seconds=1)


async def test_a_reload_carries_instances_over_and_notifies_nobody(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=5))
    engine = RulesEngine(store, clock, parse_rules(PAUSING))
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await engine.tick()
    before = await _timer(store, order_id)
    events = await store.events(order_id)
    engine.swap(parse_rules(PAUSING.replace('timeout = "4h"', 'timeout = "6h"')))
    assert await engine.replan_all() == 0
    after = await _timer(store, order_id)
    assert after.id == before.id
    assert after.state == TimerState.FIRING
    assert await store.events(order_id) == events
    (escalation,) = await store.escalations_for_order(order_id)
    assert escalation.state == EscalationState.FIRING


async def test_a_new_scan_restarts_the_clock_and_closes_the_old_escalation(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _parcel_in_transit(store, make_order)
    clock = VirtualClock(T0 + timedelta(hours=49))
    engine = RulesEngine(store, clock, parse_rules(FEED))
    await engine.tick()
    (parcel,) = await store.shipments(order_id)
    scan = Checkpoint(
        at=clock.now(), at_raw="t1", description="hub", status=ShipmentStatus.IN_TRANSIT
    )
    track = TrackRecord(
        "17track", "SF1", "sf", ShipmentStatus.IN_TRANSIT, "transit", checkpoints=(scan,)
    )
    await store.save_tracks("17track", [track], [parcel.id], clock.now())
    await engine.tick()
    (closed,) = await store.escalations_for_order(order_id)
    assert (closed.state, closed.resolution) == (EscalationState.RESOLVED, "clock restarted")
    assert (await _timer(store, order_id, "silent")).state == TimerState.PENDING


async def test_a_full_replan_finds_parcels_of_archived_orders(
    store: Store, make_order: OrderFactory
) -> None:
    archived = make_order(
        1,
        paid_at=T0,
        lifecycle=Lifecycle.CLOSED,
        shipments=(ShipmentRecord("f1", "SF1", "sf", shipped_at=T0),),
    )
    (order_id,) = await store.save_order_page("shop", "x", [archived], "", T0)
    (parcel,) = await store.shipments(order_id)
    scan = Checkpoint(at=T0, at_raw="t0", description="picked up", status=ShipmentStatus.IN_TRANSIT)
    track = TrackRecord(
        "17track", "SF1", "sf", ShipmentStatus.IN_TRANSIT, "transit", checkpoints=(scan,)
    )
    await store.save_tracks("17track", [track], [parcel.id], T0)
    engine = RulesEngine(store, VirtualClock(T0), parse_rules(FEED))
    await engine.replan_all()
    assert (await _timer(store, order_id, "silent")).state == TimerState.PENDING


TWO = (
    PAUSING
    + """
[[rules]]
id = "other"
subject = "order"
starts_at = "order.created_at"
active_while = "order.lifecycle == 'open'"
timeout = "2d"
"""
)


async def test_a_reload_re_plans_only_the_rule_it_changed(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    engine = RulesEngine(store, clock, parse_rules(TWO))
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await engine.replan_all()
    other = await _timer(store, order_id, "other")
    engine.swap(parse_rules(TWO.replace('timeout = "4h"', 'timeout = "6h"')))
    await engine.replan_all()
    assert (await _timer(store, order_id, "late")).deadline_at == T0 + timedelta(hours=6)
    assert await _timer(store, order_id, "other") == other  # untouched, not resolved


async def test_switching_a_feed_off_resolves_the_timers_of_the_rules_needing_it(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0)
    needing = PAUSING + 'needs_feed = "warehouse_stages"\n'
    engine = RulesEngine(store, clock, parse_rules(needing + "[feeds]\nwarehouse_stages = true\n"))
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await engine.tick()
    assert (await _timer(store, order_id)).state == TimerState.PENDING
    engine.swap(parse_rules(needing))
    await engine.replan_all()
    timer = await _timer(store, order_id)
    assert (timer.state, timer.reason) == (TimerState.RESOLVED, "feed warehouse_stages is off")
