"""The guards' driver over a real database: changed orders, their neighbours, waiting checks."""

from __future__ import annotations

from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.guards import GuardRunner
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.desk import CONFLICT_FLAG
from sync.domain import FulfillmentStatus, ShipmentRecord
from sync.guards import GuardSettings
from sync.store import Store
from tests.conftest import T0, OrderFactory


def _runner(store: Store, clock: VirtualClock) -> GuardRunner:
    return GuardRunner(store, clock, GuardSettings)


async def _active(store: Store, order_id: int) -> set[str]:
    return {flag.check for flag in await store.guard_flags(order_id) if flag.active}


async def test_a_second_order_of_the_same_phone_flags_both(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    runner = _runner(store, clock)
    (first,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await runner.check_changed()
    assert "merge_suggested" not in await _active(store, first)
    other = make_order(2, phone="138 0013 5678", email="", customer_name="Someone Else")
    (second,) = await store.save_order_page("shop", "shopify", [other], "", T0)
    await runner.check_changed()
    assert "merge_suggested" in await _active(store, second)
    assert "merge_suggested" in await _active(store, first)


async def test_an_order_that_changes_customer_clears_its_old_neighbours(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    runner = _runner(store, clock)
    ids = await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "", T0)
    await runner.check_changed()
    assert ["merge_suggested" in await _active(store, i) for i in ids] == [True, True]
    moved = make_order(2, phone="+86 139 1111 2222", customer_name="李雷", rev=1)
    await store.save_order_page("shop", "shopify", [moved], "", T0 + timedelta(minutes=5))
    await runner.check_changed()
    assert [await _active(store, i) for i in ids] == [set(), set()]
    flags = await store.guard_flags(ids[0], cleared=True)
    assert [f.cleared_at is not None for f in flags] == [True]


async def test_a_waiting_check_is_raised_when_its_time_comes(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    runner = _runner(store, clock)
    fulfilled = make_order(1, fulfillment_status=FulfillmentStatus.FULFILLED)
    (order_id,) = await store.save_order_page("shop", "shopify", [fulfilled], "", T0)
    await runner.check_changed()
    assert await _active(store, order_id) == set()
    due = await runner.next_due()
    assert due is not None and due > clock.now()
    clock.set(due)
    await runner.check_changed()
    assert await _active(store, order_id) == {"fulfilled_without_tracking"}


async def test_a_dismissed_flag_stays_quiet_until_it_clears(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    runner = _runner(store, clock)
    ids = await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "", T0)
    await runner.check_changed()
    assert await store.dismiss_guard(ids[0], "merge_suggested", "anna", clock.now())
    assert not await store.dismiss_guard(ids[0], "merge_suggested", "anna", clock.now())
    await store.save_order_page("shop", "shopify", [make_order(1, rev=2)], "", T0)
    await runner.check_changed()
    (flag,) = await store.guard_flags(ids[0])
    assert (flag.dismissed_by, flag.active) == ("anna", False)
    timeline = [(e.actor, e.kind, e.to_value) for e in await store.events(ids[0])]
    assert ("anna", "guard", "dismissed") in timeline


async def test_a_parcel_the_courier_moves_before_the_shop_ships_it(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    parcel = ShipmentRecord("f1", "SF1400000001", "sf", shipped_at=T0)
    record = make_order(1, shipments=(parcel,))
    (order_id,) = await store.save_order_page("shop", "shopify", [record], "", T0)
    async with store.db.write() as tx:
        await tx.execute(
            "UPDATE shipments SET status = 'in_transit', last_checkpoint_at = ?, change_seq = ?",
            ("2026-11-20T09:00:00Z", tx.seq),
        )
        await tx.execute("UPDATE orders SET change_seq = ?", (tx.seq,))
    await _runner(store, clock).check_changed()
    assert await _active(store, order_id) == {"courier_moving_unfulfilled"}


async def test_an_address_change_after_the_label_is_flagged(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=6))
    runner = _runner(store, clock)
    labelled = make_order(1, tracking="SF1400000002", address="建国路88号", city="北京")
    (order_id,) = await store.save_order_page("shop", "shopify", [labelled], "", T0)
    await runner.check_changed()
    assert "address_problem" not in await _active(store, order_id)
    moved = make_order(
        1,
        tracking="SF1400000002",
        address="朝阳区建国路99号",
        city="北京",
        rev=1,
        updated_at=T0 + timedelta(hours=5),
    )
    await store.save_order_page("shop", "shopify", [moved], "", T0 + timedelta(hours=5))
    await runner.check_changed()
    (flag,) = [f for f in await store.guard_flags(order_id) if f.check == "address_problem"]
    assert "changed after the label" in flag.detail


async def test_a_condition_rule_fires_on_a_guard(store: Store, make_order: OrderFactory) -> None:
    rules = parse_rules(
        'timezone = "UTC"\n[[rules]]\nid = "pack_together"\ntitle = "Pack together"\n'
        'subject = "order"\nfires_when = "guard.merge_suggested"\nseverity = "info"\n'
        'summary = "Order {order.number}: pack with the other order"\n'
    )
    clock = VirtualClock(T0 + timedelta(hours=1))
    engine = RulesEngine(store, clock, rules)
    await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "", T0)
    await engine.tick()
    opened = await store.open_escalations()
    assert sorted(e.rule_id for e in opened) == ["pack_together", "pack_together"]


async def test_new_settings_look_again_at_flagged_orders(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=3))
    settings = [GuardSettings()]
    runner = GuardRunner(store, clock, lambda: settings[0])
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await runner.check_changed()
    assert "not_released" not in await _active(store, order_id)
    settings[0] = GuardSettings(not_released_after=timedelta(hours=2))
    await runner.check_changed()
    assert "not_released" in await _active(store, order_id)
    settings[0] = GuardSettings(off=frozenset({"not_released"}))
    await runner.check_changed()
    assert "not_released" not in await _active(store, order_id)


async def test_the_conflicting_edits_flag_is_surfaced_and_follows_it(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=1))
    runner = _runner(store, clock)
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await runner.check_changed()
    detail = "status changed by shop, warehouse, anna within 24h"
    assert await store.raise_order_flag(order_id, CONFLICT_FLAG, detail, clock.now())
    await runner.check_changed()
    (flag,) = [f for f in await store.guard_flags(order_id) if f.check == "conflicting_edit"]
    assert (flag.detail, flag.since) == (detail, clock.now())
    assert await store.clear_order_flag(order_id, CONFLICT_FLAG, "anna", clock.now())
    await runner.check_changed()
    assert "conflicting_edit" not in await _active(store, order_id)
