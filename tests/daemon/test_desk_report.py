"""What ``orderwatchd status`` shows about notifications and response figures."""

from __future__ import annotations

from datetime import timedelta

from daemon.desk_report import desk_lines, desk_report
from sync.domain import TimerState
from sync.store import Outgoing, Store, TimerDecision
from tests.conftest import T0, OrderFactory

OPENED = T0 + timedelta(hours=4)


async def _escalation_id(store: Store, make_order: OrderFactory, n: int) -> int:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(n)], "", T0)
    decision = TimerDecision(
        rule_id="paid_not_shipped",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=T0,
        deadline_at=OPENED,
        warn_at=None,
        next_at=None,
        rules_version="v1",
    )
    await store.save_timers([decision], OPENED)
    (found,) = await store.escalations_for_order(order_id)
    return found.id


async def test_response_figures_are_per_level_and_agent(
    store: Store, make_order: OrderFactory
) -> None:
    for n, ack_after in ((1, 4), (2, 8), (3, 30)):
        escalation_id = await _escalation_id(store, make_order, n)
        acked = await store.acknowledge(
            escalation_id, 1, "anna", OPENED + timedelta(minutes=ack_after)
        )
        await store.resolve(
            escalation_id, acked.version, "anna", "customs", "", OPENED + timedelta(hours=n)
        )
    report = await desk_report(store, OPENED + timedelta(days=1))
    assert desk_lines(report)[1:] == [
        "response     level 1 anna: 3 acknowledged (median 8m), 3 resolved (median 2h)"
    ]


async def test_a_failed_notification_shows_with_its_error(
    store: Store, make_order: OrderFactory
) -> None:
    escalation_id = await _escalation_id(store, make_order, 1)
    await store.save_ladder(
        [],
        OPENED,
        [Outgoing("wecom", "k1", "{}", OPENED, escalation_id, None, 1, "critical")],
    )
    (row,) = await store.outbox_rows()
    await store.claim_outbox(row.id, OPENED)
    await store.outbox_failed(row.id, "errcode 93000 invalid webhook url", OPENED)
    report = await desk_report(store, OPENED)
    assert desk_lines(report) == [
        "notifications 1 failed",
        f"  ! wecom escalation {escalation_id} failed after 1 attempts: "
        "errcode 93000 invalid webhook url",
    ]
