"""Conflicting edits: three different actors changing one order's status within a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.ladder.conflicts import ConflictWatch
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.desk import CONFLICT_FLAG
from sync.store import Store
from sync.store.events import append_event
from tests.conftest import T0, OrderFactory

RULES = parse_rules('timezone = "UTC"\n')


async def _status_by(store: Store, order_id: int, actor: str, at: datetime) -> None:
    """A status line on the timeline, as a source, an export or an agent writes one."""
    async with store.db.write() as tx:
        await append_event(
            tx,
            at=at,
            actor=actor,
            order_id=order_id,
            subject_kind="order",
            subject_id=order_id,
            kind="status",
            field="fulfillment_status",
            from_value="unfulfilled",
            to_value="on_hold",
        )


async def _order(store: Store, make_order: OrderFactory) -> int:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    return order_id


async def test_three_actors_within_a_day_raise_the_flag_once(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order(store, make_order)  # "shop" wrote its payment status
    clock = VirtualClock(T0 + timedelta(hours=3))
    watch = ConflictWatch(store, clock, lambda: RULES)
    await _status_by(store, order_id, "warehouse_export", T0 + timedelta(hours=1))
    await _status_by(store, order_id, "anna", T0 + timedelta(hours=2))
    assert await watch.scan() == 1
    await _status_by(store, order_id, "ben", T0 + timedelta(hours=2, minutes=30))
    assert await watch.scan() == 0
    (flag,) = await store.order_flags(order_id)
    assert flag.flag == CONFLICT_FLAG
    assert flag.detail == "status changed by shop, warehouse_export, anna within 1d"
    assert [e.to_value for e in await store.events(order_id) if e.kind == "flag"] == ["raised"]


async def test_two_actors_are_not_a_conflict(store: Store, make_order: OrderFactory) -> None:
    order_id = await _order(store, make_order)
    watch = ConflictWatch(store, VirtualClock(T0 + timedelta(hours=3)), lambda: RULES)
    await _status_by(store, order_id, "anna", T0 + timedelta(hours=1))
    assert await watch.scan() == 0
    assert await store.order_flags(order_id) == []


async def test_edits_more_than_a_day_apart_are_not_a_conflict(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order(store, make_order)
    later = T0 + timedelta(days=2)
    watch = ConflictWatch(store, VirtualClock(later), lambda: RULES)
    await _status_by(store, order_id, "warehouse_export", later - timedelta(hours=30))
    await _status_by(store, order_id, "anna", later)
    assert await watch.scan() == 0


async def test_a_cleared_flag_can_be_raised_again(store: Store, make_order: OrderFactory) -> None:
    order_id = await _order(store, make_order)
    clock = VirtualClock(T0 + timedelta(hours=3))
    watch = ConflictWatch(store, clock, lambda: RULES)
    for actor in ("warehouse_export", "anna"):
        await _status_by(store, order_id, actor, T0 + timedelta(hours=1))
    await watch.scan()
    assert await store.clear_order_flag(order_id, CONFLICT_FLAG, "ben", clock.now())
    await _status_by(store, order_id, "mia", T0 + timedelta(hours=2))
    assert await watch.scan() == 1
    assert [f.cleared_by for f in await store.order_flags(order_id, open_only=False)] == ["ben", ""]
