"""The re-plan check's loader: only the columns asked for, live timers only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.domain import OrderRow, TimerState
from sync.store import Store, TimerDecision
from sync.store.planning import partial_row
from tests.conftest import T0, OrderFactory


def _decision(order_id: int, rule_id: str, state: TimerState) -> TimerDecision:
    return TimerDecision(
        rule_id=rule_id,
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=state,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=4),
        warn_at=None,
        next_at=T0 + timedelta(hours=4),
        rules_version="v1",
        clock="wall",
        timeout_seconds=14_400,
    )


async def test_planning_rows_hold_the_fields_asked_for(
    store: Store, make_order: OrderFactory
) -> None:
    ids = await store.save_order_page("shop", "x", [make_order(1), make_order(2)], "", T0)
    rows = await store.planning_rows(ids, {"payment_status", "paid_at", "tags"}, {"status"})
    full = {order.id: order for order in await store.orders_by_id(ids)}
    assert sorted(order.id for order in rows.orders) == sorted(ids)
    for order in rows.orders:
        expected = full[order.id]
        assert (order.payment_status, order.paid_at, order.tags) == (
            expected.payment_status,
            expected.paid_at,
            expected.tags,
        )
        with pytest.raises(AttributeError):
            _ = order.customer_name


async def test_planning_rows_leave_resolved_timers_out(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1)], "", T0)
    await store.save_timers(
        [
            _decision(order_id, "late", TimerState.PENDING),
            _decision(order_id, "old", TimerState.PENDING),
        ],
        T0,
    )
    await store.save_timers([_decision(order_id, "old", TimerState.RESOLVED)], T0)
    rows = await store.planning_rows([order_id], set(), set())
    ((rule_id, kind, subject, order, state, started, deadline, *_rest),) = rows.timers
    assert (rule_id, kind, subject, order, state) == (
        "late",
        "order",
        order_id,
        order_id,
        "pending",
    )
    assert (started, deadline) == (T0, T0 + timedelta(hours=4))
    only = await store.planning_rows([order_id], set(), set(), rule_ids={"other"})
    assert only.timers == []


async def test_planning_rows_refuse_an_unknown_column(store: Store) -> None:
    with pytest.raises(ValueError, match="not a column"):
        await store.planning_rows([1], {"id; DROP TABLE orders"}, set())


def test_a_partial_row_reads_only_what_was_set() -> None:
    row = partial_row(OrderRow, ["id", "lifecycle"], [7, "open"])
    assert (row.id, row.lifecycle) == (7, "open")
    with pytest.raises(AttributeError):
        _ = row.number
