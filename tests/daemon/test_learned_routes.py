"""Learned route thresholds: a parcel is flagged when it is late for its own route."""

from __future__ import annotations

from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.explain import explain_order
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import (
    Checkpoint,
    ShipmentRecord,
    ShipmentStatus,
    TimerRow,
    TimerState,
    TrackRecord,
)
from sync.store import Store
from tests.conftest import T0, OrderFactory

RULES = """
[[rules]]
id = "late_for_route"
subject = "shipment"
starts_at = "shipment.last_checkpoint_at"
active_while = "shipment.status == 'in_transit'"
timeout = "route.p90_silence"
fallback = "48h"
min_samples = 6

[[rules]]
id = "silent_48h"
subject = "shipment"
starts_at = "shipment.last_checkpoint_at"
active_while = "shipment.status == 'in_transit'"
timeout = "48h"
"""

GAPS = (timedelta(hours=16), timedelta(hours=20))


async def _parcel(
    store: Store,
    make_order: OrderFactory,
    n: int,
    scans: list[timedelta],
    city: str = "Beijing",
    status: ShipmentStatus = ShipmentStatus.IN_TRANSIT,
) -> int:
    """An order to ``city`` with one SF parcel scanned at T0 + each offset, first in Shenzhen."""
    first = T0 + scans[0]
    order = make_order(
        n,
        created_at=first - timedelta(hours=3),
        province="Beijing",
        city=city,
        fulfillment_status="fulfilled",
        shipments=(ShipmentRecord(f"f{n}", f"SF{n}", "sf", shipped_at=first),),
    )
    (order_id,) = await store.save_order_page("shop", "x", [order], "", first)
    (parcel,) = await store.shipments(order_id)
    places = ["Shenzhen", "Wuhan", "Beijing"]
    checkpoints = tuple(
        Checkpoint(
            at=T0 + offset,
            at_raw=f"scan {i}",
            description="scan",
            location=places[min(i, 2)],
            status=ShipmentStatus.IN_TRANSIT,
        )
        for i, offset in enumerate(scans)
    )
    track = TrackRecord("17track", f"SF{n}", "sf", status, str(status), checkpoints=checkpoints)
    await store.save_tracks("17track", [track], [parcel.id], T0 + scans[-1])
    return order_id


async def _history(store: Store, make_order: OrderFactory, parcels: int) -> None:
    """Delivered parcels from Shenzhen to Beijing, silent 16h then 20h between scans."""
    for n in range(parcels):
        start = -timedelta(days=10) + timedelta(hours=n)
        scans = [start, start + GAPS[0], start + GAPS[0] + GAPS[1]]
        await _parcel(store, make_order, 100 + n, scans, status=ShipmentStatus.DELIVERED)


async def _timer(store: Store, order_id: int, rule_id: str) -> TimerRow:
    (timer,) = [t for t in await store.timers_for_orders([order_id]) if t.rule_id == rule_id]
    return timer


async def test_a_parcel_on_a_fast_route_is_flagged_a_day_before_a_fixed_48h_rule(
    store: Store, make_order: OrderFactory
) -> None:
    await _history(store, make_order, 4)  # 8 gaps: p90 is 20h
    order_id = await _parcel(store, make_order, 1, [timedelta()])
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(RULES))
    await engine.replan_all()
    learned = await _timer(store, order_id, "late_for_route")
    fixed = await _timer(store, order_id, "silent_48h")
    assert learned.deadline_at == T0 + timedelta(hours=20)
    assert fixed.deadline_at == T0 + timedelta(hours=48)
    assert learned.override == "route.p90_silence 20h for sf Shenzhen → Beijing Beijing (8 samples)"
    clock.set(T0 + timedelta(hours=20))
    await engine.tick()
    assert (await _timer(store, order_id, "late_for_route")).state == TimerState.FIRING
    assert (await _timer(store, order_id, "silent_48h")).state == TimerState.PENDING


async def test_a_route_with_too_little_history_falls_back(
    store: Store, make_order: OrderFactory
) -> None:
    await _history(store, make_order, 2)  # 4 gaps, fewer than min_samples = 6
    order_id = await _parcel(store, make_order, 1, [timedelta()])
    elsewhere = await _parcel(store, make_order, 2, [timedelta()], city="Tianjin")
    engine = RulesEngine(store, VirtualClock(T0), parse_rules(RULES))
    await engine.replan_all()
    thin = await _timer(store, order_id, "late_for_route")
    assert thin.deadline_at == T0 + timedelta(hours=48)
    assert (
        thin.override == "fallback 2d: sf Shenzhen → Beijing Beijing has 4 samples (fewer than 6)"
    )
    unknown = await _timer(store, elsewhere, "late_for_route")
    assert unknown.override == "fallback 2d: no history for sf Shenzhen → Beijing Tianjin"


async def test_the_figures_are_kept_and_learned_again_a_day_later(
    store: Store, make_order: OrderFactory
) -> None:
    await _history(store, make_order, 4)
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(RULES))
    await engine.replan_all()
    (silence, transit) = await store.route_figures()
    assert (silence.metric, silence.p90_seconds, silence.samples) == ("silence", 72000, 8)
    assert (transit.metric, transit.samples) == ("transit", 4)
    assert silence.computed_at == T0
    again = RulesEngine(store, clock, parse_rules(RULES))  # a restart reuses the day's figures
    await again.replan_all()
    assert again.routes.figures == engine.routes.figures
    clock.set(T0 + timedelta(days=1, minutes=1))
    await engine.tick()
    assert {f.computed_at for f in await store.route_figures()} == {clock.now()}


async def test_explain_shows_the_learned_figure(store: Store, make_order: OrderFactory) -> None:
    await _history(store, make_order, 4)
    await _parcel(store, make_order, 1, [timedelta()])
    rules = parse_rules(RULES)
    await RulesEngine(store, VirtualClock(T0), rules).replan_all()
    lines = await explain_order(store, rules, "#1001", T0 + timedelta(hours=1))
    assert (
        "  timeout 20h learned: route.p90_silence 20h for sf Shenzhen → Beijing Beijing (8 samples)"
    ) in lines
