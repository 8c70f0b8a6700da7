"""The re-plan's span loader: only the columns asked for, live timers only, each table once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.domain import OrderRow, TimerState
from sync.store import Store, TimerDecision
from sync.store.planning import partial_row
from sync.store.rule_filters import Column, Equals
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


UNFULFILLED = Equals(Column("order", "fulfillment_status"), ("unfulfilled",))
PENDING_PARCEL = Equals(Column("shipment", "status"), ("pending",))


async def test_span_rows_hold_the_fields_asked_for(store: Store, make_order: OrderFactory) -> None:
    ids = await store.save_order_page("shop", "x", [make_order(1), make_order(2)], "", T0)
    fields = {"payment_status", "paid_at", "tags"}
    _, rows = await store.span_rows((ids[0], ids[1]), {"late": None}, {}, None, fields, {"status"})
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


async def test_span_rows_leave_resolved_timers_out(store: Store, make_order: OrderFactory) -> None:
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1)], "", T0)
    await store.save_timers(
        [
            _decision(order_id, "late", TimerState.PENDING),
            _decision(order_id, "old", TimerState.PENDING),
        ],
        T0,
    )
    await store.save_timers([_decision(order_id, "old", TimerState.RESOLVED)], T0)
    span = (order_id, order_id)
    found, rows = await store.span_rows(span, {}, {}, None, set(), set())
    ((rule_id, kind, subject, order, state, started, deadline, *_rest),) = rows.timers
    assert (rule_id, kind, subject, order, state) == (
        "late",
        "order",
        order_id,
        order_id,
        "pending",
    )
    assert (started, deadline) == (T0, T0 + timedelta(hours=4))
    assert found.subjects == {"late": {order_id}}
    found, only = await store.span_rows(span, {}, {}, {"other"}, set(), set())
    assert only.timers == [] and found.orders == set()


async def test_span_rows_find_what_the_candidates_are(
    store: Store, make_order: OrderFactory
) -> None:
    """Read once per table, a span finds the same subjects as the candidate look-up, and
    every parcel of the orders it visits, whether the span is dense or sparse."""
    records = [make_order(n, tracking=f"SF{n}" if n % 3 == 0 else None) for n in range(1, 13)]
    ids = await store.save_order_page("shop", "x", records, "", T0)
    shipped = [ids[n - 1] for n in range(1, 13) if n % 3 == 0]
    await store.save_timers([_decision(shipped[0], "late", TimerState.PENDING)], T0)
    spans = [(ids[0], ids[-1]), (ids[2], ids[5]), (ids[5], ids[5]), (ids[0], ids[-1] + 50)]
    for case in ("parcel rule", "no parcel rule", "timers on most orders"):
        parcels = {"silent": PENDING_PARCEL} if case == "parcel rule" else {}
        if case == "timers on most orders":  # the orders are then read as a range
            timers = [_decision(order_id, "other", TimerState.PENDING) for order_id in ids[1:]]
            await store.save_timers(timers, T0)
        for span in spans:
            expected = await store.candidate_subjects({"late": UNFULFILLED}, parcels, between=span)
            found, rows = await store.span_rows(
                span, {"late": UNFULFILLED}, parcels, None, {"lifecycle"}, {"status"}
            )
            assert (found.orders, found.subjects) == (expected.orders, expected.subjects)
            assert sorted(order.id for order in rows.orders) == sorted(expected.orders)
            for order_id in expected.orders:
                stored = [(p.id, p.status) for p in await store.shipments(order_id)]
                assert [(p.id, p.status) for p in rows.shipments.get(order_id, [])] == stored
        if case == "no parcel rule":
            # a fulfilled order is then visited for its running timer alone
            assert shipped[0] in found.orders and shipped[1] not in found.orders


async def test_span_rows_refuse_an_unknown_column(store: Store) -> None:
    with pytest.raises(ValueError, match="not a column"):
        await store.span_rows((1, 1), {}, {}, None, {"id; DROP TABLE orders"}, set())


def test_a_partial_row_reads_only_what_was_set() -> None:
    row = partial_row(OrderRow, ["id", "lifecycle"], [7, "open"])
    assert (row.id, row.lifecycle) == (7, "open")
    with pytest.raises(AttributeError):
        _ = row.number
