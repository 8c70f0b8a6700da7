"""The rules engine on a virtual clock over a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import EscalationState, Lifecycle
from sync.store import Store
from tests.conftest import T0, OrderFactory

RULES = """
schema = 1
timezone = "UTC"

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = '''
  order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'
  and order.lifecycle == 'open'
'''
timeout = "4h"
severity = "warning"
summary = "Order {order.number} paid {elapsed} ago, not shipped"
"""


async def _engine(store: Store, clock: VirtualClock, text: str = RULES) -> RulesEngine:
    return RulesEngine(store, clock, parse_rules(text))


async def test_rule_fires_at_its_deadline_not_before(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0)
    order = make_order(1, created_at=T0, paid_at=T0)
    await store.save_order_page("shop", "shopify", [order], "", T0)
    engine = await _engine(store, clock)
    await engine.replan_changed()
    assert await engine.next_wake() == T0 + timedelta(hours=4)

    clock.set(T0 + timedelta(hours=3, minutes=59))
    await engine.fire_due()
    assert await store.open_escalations() == []

    clock.set(T0 + timedelta(hours=4))
    assert await engine.fire_due() == 1
    (escalation,) = await store.open_escalations()
    assert escalation.state == EscalationState.FIRING
    assert escalation.summary == "Order #1001 paid 4h ago, not shipped"


async def test_escalation_resolves_when_the_order_ships(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=5))
    await store.save_order_page("shop", "shopify", [make_order(1, paid_at=T0)], "", T0)
    engine = await _engine(store, clock)
    await engine.replan_changed()
    assert len(await store.open_escalations()) == 1

    shipped = make_order(1, paid_at=T0, tracking="SF100", updated_at=clock.now(), rev=1)
    (order_id,) = await store.save_order_page("shop", "shopify", [shipped], "", clock.now())
    assert await engine.replan_changed() == 1
    assert await store.open_escalations() == []
    (closed,) = await store.escalations_for_order(order_id)
    assert closed.resolution == "shipped"


async def test_cancelled_order_resolves_with_its_reason(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=5))
    await store.save_order_page("shop", "shopify", [make_order(1, paid_at=T0)], "", T0)
    engine = await _engine(store, clock)
    await engine.replan_changed()
    cancelled = make_order(1, lifecycle=Lifecycle.CANCELLED, updated_at=clock.now(), rev=1)
    (order_id,) = await store.save_order_page("shop", "shopify", [cancelled], "", clock.now())
    await engine.replan_changed()
    (closed,) = await store.escalations_for_order(order_id)
    assert closed.resolution == "cancelled"


async def test_replanning_twice_writes_nothing_new(store: Store, make_order: OrderFactory) -> None:
    clock = VirtualClock(T0 + timedelta(hours=5))
    await store.save_order_page("shop", "shopify", [make_order(1, paid_at=T0)], "", T0)
    engine = await _engine(store, clock)
    await engine.replan_changed()
    seq = await store.change_seq()
    assert await engine.replan_all() == 0
    assert await store.change_seq() == seq


async def test_removing_a_rule_resolves_its_escalations(
    store: Store, make_order: OrderFactory
) -> None:
    clock = VirtualClock(T0 + timedelta(hours=5))
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(1, paid_at=T0)], "", T0
    )
    engine = await _engine(store, clock)
    await engine.replan_changed()
    engine.swap(parse_rules(RULES.replace('id = "paid_not_shipped"', 'id = "renamed"')))
    await engine.replan_all()
    states = {
        e.rule_id: (e.state, e.resolution) for e in await store.escalations_for_order(order_id)
    }
    assert states["paid_not_shipped"] == (EscalationState.RESOLVED, "rule removed")
    assert states["renamed"][0] == EscalationState.FIRING


async def test_vip_override_fires_sooner(store: Store, make_order: OrderFactory) -> None:
    text = RULES + 'overrides = [{ name = "vip", when = "order.vip", timeout = "1h" }]\n'
    clock = VirtualClock(T0 + timedelta(hours=1))
    await store.save_order_page(
        "shop",
        "shopify",
        [make_order(1, paid_at=T0, tags=("VIP",)), make_order(2, paid_at=T0)],
        "",
        T0,
    )
    engine = await _engine(store, clock, text)
    await engine.replan_changed()
    assert [e.order_number for e in await store.open_escalations()] == ["#1001"]
