"""The guard flags' store: raise, update, clear, dismiss, and the rechecks of waiting checks."""

from __future__ import annotations

from datetime import timedelta

from sync.guards import Check, Finding, Outcome
from sync.store import Store
from tests.conftest import T0, OrderFactory

NOW = T0 + timedelta(hours=2)


def _merge(detail: str) -> Outcome:
    return Outcome(findings={1: (Finding(Check.MERGE_SUGGESTED, detail, T0),)})


async def test_a_finding_raises_a_flag_once_and_follows_its_detail(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    assert order_id == 1
    moved, _ = await store.save_guard_outcome([1], {}, _merge("with #1002"), NOW)
    assert moved == [1]
    again, _ = await store.save_guard_outcome([1], {}, _merge("with #1002, #1003"), NOW)
    assert again == []
    (flag,) = await store.guard_flags(1)
    assert (flag.detail, flag.since, flag.active) == ("with #1002, #1003", T0, True)


async def test_a_finding_gone_clears_the_flag(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await store.save_guard_outcome([1], {}, _merge("with #1002"), NOW)
    moved, _ = await store.save_guard_outcome([1], {}, Outcome(), NOW)
    assert moved == [1]
    assert await store.guard_flags(1) == []
    (flag,) = await store.guard_flags(1, cleared=True)
    assert flag.cleared_at == NOW
    kinds = [(e.kind, e.field, e.to_value) for e in await store.events(1) if e.kind == "guard"]
    assert kinds == [
        ("guard", "merge_suggested", "raised"),
        ("guard", "merge_suggested", "cleared"),
    ]


async def test_a_neighbour_run_leaves_its_own_checks_alone(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    address = Outcome(findings={1: (Finding(Check.ADDRESS_PROBLEM, "no postcode", T0),)})
    await store.save_guard_outcome([1], {}, address, NOW)
    await store.save_guard_outcome([1], {}, Outcome(), NOW, customer_only={1})
    assert [flag.check for flag in await store.guard_flags(1)] == ["address_problem"]


async def test_active_guards_leave_out_dismissed_flags(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await store.save_guard_outcome([1], {}, _merge("with #1002"), NOW)
    assert await store.active_guards([1]) == {1: frozenset({"merge_suggested"})}
    assert await store.active_guards([1], (1, 5)) == {1: frozenset({"merge_suggested"})}
    assert await store.active_guards([2, 3], (1, 5)) == {}  # in the span, not asked about
    assert await store.dismiss_guard(1, "merge_suggested", "anna", NOW)
    assert await store.active_guards([1]) == {}
    assert await store.active_guards([1], (1, 5)) == {}


async def test_rechecks_are_replaced_by_each_run(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    later = NOW + timedelta(hours=10)
    await store.save_guard_outcome([1], {}, Outcome(recheck={1: later}), NOW)
    assert await store.next_guard_recheck() == later
    assert await store.due_guard_orders(later) == [1]
    await store.save_guard_outcome([1], {}, Outcome(), NOW)
    assert await store.next_guard_recheck() is None


async def test_customer_keys_are_found_by_key_and_by_order(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "", T0)
    keys = {1: ("p:13800135678", "e:a@example.com"), 2: ("p:13800135678",)}
    await store.save_guard_outcome([1, 2], keys, Outcome(), NOW)
    assert sorted(await store.orders_with_keys(["p:13800135678"])) == [
        ("p:13800135678", 1),
        ("p:13800135678", 2),
    ]
    assert sorted(await store.keys_of_orders([1])) == [
        ("e:a@example.com", 1),
        ("p:13800135678", 1),
    ]
