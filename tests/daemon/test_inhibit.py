"""``[[inhibit]]`` in the running engine: any rule's instances mute another rule's, matched on
the same order, the same carrier or equal labels."""

from __future__ import annotations

from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.explain import explain_order
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import FulfillmentStatus, ShipmentRecord, TimerRow, TimerState
from sync.store import Store
from tests.conftest import T0, OrderFactory

HELD = """
[[rules]]
id = "held"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.fulfillment_status == 'on_hold'"
timeout = "8h"

[[rules]]
id = "silent"
subject = "shipment"
starts_at = "shipment.shipped_at"
active_while = "not shipment.terminal"
timeout = "1h"

[[inhibit]]
source = { rule = "held", states = ["pending", "firing"] }
target = { rule = "silent" }
equal = ["order"]
"""

FEED = """
[[rules]]
id = "stale"
subject = "source"
fires_when = "source.age > 2h"

[[rules]]
id = "silent"
subject = "shipment"
starts_at = "shipment.shipped_at"
active_while = "not shipment.terminal"
timeout = "1h"

[[inhibit]]
source = { rule = "stale", states = ["pending", "firing"] }
target = { rule = "silent" }
equal = ["carrier"]
"""


async def _order(
    store: Store, make_order: OrderFactory, n: int, carrier: str = "sf", **fields: object
) -> int:
    parcel = ShipmentRecord(f"f{n}", f"T{n}", carrier, shipped_at=T0)
    order = make_order(n, paid_at=T0, shipments=(parcel,), **fields)
    (order_id,) = await store.save_order_page("shop", "x", [order], "", T0)
    return order_id


async def _timer(store: Store, order_id: int, rule_id: str) -> TimerRow:
    (timer,) = [t for t in await store.timers_for_orders([order_id]) if t.rule_id == rule_id]
    return timer


async def test_an_order_rule_mutes_the_parcel_rule_of_the_same_order_only(
    store: Store, make_order: OrderFactory
) -> None:
    held = await _order(store, make_order, 1, fulfillment_status=FulfillmentStatus.ON_HOLD)
    free = await _order(store, make_order, 2)
    clock = VirtualClock(T0 + timedelta(hours=2))  # both parcels are past their hour
    engine = RulesEngine(store, clock, parse_rules(HELD))
    await engine.replan_all()
    muted = await _timer(store, held, "silent")
    assert (muted.state, muted.muted_by, muted.escalation_id) == (TimerState.FIRING, "held", None)
    loud = await _timer(store, free, "silent")
    assert (loud.muted_by, loud.escalation_id is not None) == ("", True)
    assert [e.rule_id for e in await store.escalations_for_order(held)] == []


async def test_the_mute_lifts_when_the_muting_instance_resolves(
    store: Store, make_order: OrderFactory
) -> None:
    held = await _order(store, make_order, 1, fulfillment_status=FulfillmentStatus.ON_HOLD)
    clock = VirtualClock(T0 + timedelta(hours=2))
    engine = RulesEngine(store, clock, parse_rules(HELD))
    await engine.replan_all()
    released = make_order(
        1,
        paid_at=T0,
        rev=1,
        updated_at=clock.now(),
        shipments=(ShipmentRecord("f1", "T1", "sf", shipped_at=T0),),
    )
    await store.save_order_page("shop", "x", [released], "", clock.now())
    await engine.tick()
    assert (await _timer(store, held, "held")).state == TimerState.RESOLVED
    timer = await _timer(store, held, "silent")
    assert (timer.muted_by, timer.escalation_id is not None) == ("", True)


async def test_a_stale_feed_mutes_only_the_carriers_it_follows(
    store: Store, make_order: OrderFactory
) -> None:
    sf = await _order(store, make_order, 1, carrier="sf")
    zto = await _order(store, make_order, 2, carrier="zto")
    await store.set_source_carriers("kuaidi100", "kuaidi100", ["sf"])
    await store.record_source_success("kuaidi100", "kuaidi100", 0, T0 - timedelta(hours=3))
    clock = VirtualClock(T0 + timedelta(hours=2))
    engine = RulesEngine(store, clock, parse_rules(FEED))
    await engine.replan_all()
    assert (await _timer(store, sf, "silent")).muted_by == "stale"
    assert (await _timer(store, zto, "silent")).muted_by == ""
    lines = await explain_order(store, engine.rules, "#1001", clock.now())
    assert (
        "  muted by stale (kuaidi100: carrier sf): it raises no escalation while that rule is "
        "active"
    ) in lines


async def test_a_feed_following_every_carrier_mutes_them_all(
    store: Store, make_order: OrderFactory
) -> None:
    zto = await _order(store, make_order, 2, carrier="zto")
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    engine = RulesEngine(store, VirtualClock(T0 + timedelta(hours=2)), parse_rules(FEED))
    await engine.replan_all()
    assert (await _timer(store, zto, "silent")).muted_by == "stale"
