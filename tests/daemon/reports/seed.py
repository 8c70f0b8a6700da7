"""A small shop history written through the store's own writes, with figures checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.desk import AGENTS_KEY, DeskAgent, agents_to_json
from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    Lifecycle,
    ShipmentStatus,
    TimerState,
    TrackRecord,
)
from sync.store import Store, TimerDecision
from tests.conftest import OrderFactory

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
"""The week under report: Monday 16 to Sunday 22 November 2026 (UTC)."""


async def escalate(
    store: Store, order_id: int, rule: str, opened: datetime, subject: int | None = None
) -> int:
    decision = TimerDecision(
        rule_id=rule,
        subject_kind="order",
        subject_id=order_id if subject is None else subject,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=opened - timedelta(hours=24),
        deadline_at=opened,
        warn_at=None,
        next_at=None,
        rules_version="v1",
    )
    await store.save_timers([decision], opened)
    found = [e for e in await store.escalations_for_order(order_id) if e.rule_id == rule]
    return found[-1].id


async def seed_week(store: Store, make_order: OrderFactory) -> None:
    """Four orders in the week and one the week before.

    1 web, unfulfilled, parcel delivered (disagreement); escalation acked after 10 min by anna
      (team north) and resolved after 2 h with reason customs; opened Monday 09:00.
    2 web, fulfilled, parcel in transit; escalation acked after 30 min by bo (team south) and
      resolved after 4 h with reason customs; opened Wednesday 14:00.
    3 pos, cancelled; no parcel. Escalation (rule late_tracking) opened Wednesday 14:30, acked
      by anna after 50 min, never resolved.
    4 web, fulfilled, parcel delivered: agrees.
    The parcels of orders 1 and 2 are scanned (sf): order 1 at +0 h, +10 h, +40 h (gaps 10 and
    30 h); order 2 at +0 h and +6 h (gap 6 h).
    """
    await store.set_state(
        {
            AGENTS_KEY: agents_to_json(
                (DeskAgent("anna", "Anna", team="north"), DeskAgent("bo", "Bo", team="south"))
            )
        },
        MONDAY,
    )
    orders = [
        make_order(
            1,
            channel="web",
            created_at=MONDAY + timedelta(hours=1),
            tracking="SF1",
            fulfillment_status=FulfillmentStatus.UNFULFILLED,
            province="Beijing",
        ),
        make_order(
            2,
            channel="web",
            created_at=MONDAY + timedelta(hours=2),
            tracking="SF2",
            province="Guangdong",
        ),
        make_order(
            3,
            channel="pos",
            created_at=MONDAY + timedelta(hours=3),
            lifecycle=Lifecycle.CANCELLED,
        ),
        make_order(4, channel="web", created_at=MONDAY + timedelta(hours=4), tracking="SF4"),
        make_order(5, channel="web", created_at=MONDAY - timedelta(days=2)),
    ]
    ids = await store.save_order_page("shop", "shopify", orders, "", MONDAY)
    await _tracks(store)
    first = await escalate(store, ids[0], "paid_not_shipped", MONDAY + timedelta(hours=9))
    second = await escalate(store, ids[1], "paid_not_shipped", MONDAY + timedelta(days=2, hours=14))
    third = await escalate(
        store, ids[2], "late_tracking", MONDAY + timedelta(days=2, hours=14, minutes=30)
    )
    await _respond(store, first, "anna", MONDAY + timedelta(hours=9), 10, 120)
    await _respond(store, second, "bo", MONDAY + timedelta(days=2, hours=14), 30, 240)
    await store.acknowledge(third, 1, "anna", MONDAY + timedelta(days=2, hours=15, minutes=20))
    await store.add_note(ids[3], "bo", "called the customer", MONDAY + timedelta(days=1, hours=3))


async def _respond(
    store: Store, escalation_id: int, agent: str, opened: datetime, ack: int, resolve: int
) -> None:
    acked = await store.acknowledge(escalation_id, 1, agent, opened + timedelta(minutes=ack))
    await store.resolve(
        escalation_id, acked.version, agent, "customs", "", opened + timedelta(minutes=resolve)
    )


def _scan(at: datetime, where: str, status: ShipmentStatus) -> Checkpoint:
    return Checkpoint(
        at=at, at_raw=at.isoformat(), description=where, location=where, status=status
    )


async def _tracks(store: Store) -> None:
    start = MONDAY + timedelta(hours=5)
    tracks = [
        TrackRecord(
            provider="17track",
            tracking_number="SF1",
            carrier="sf",
            status=ShipmentStatus.DELIVERED,
            status_raw="Delivered",
            checkpoints=(
                _scan(start, "Shenzhen", ShipmentStatus.IN_TRANSIT),
                _scan(start + timedelta(hours=10), "Wuhan", ShipmentStatus.IN_TRANSIT),
                _scan(start + timedelta(hours=40), "Beijing", ShipmentStatus.DELIVERED),
            ),
        ),
        TrackRecord(
            provider="17track",
            tracking_number="SF2",
            carrier="sf",
            status=ShipmentStatus.IN_TRANSIT,
            status_raw="InTransit",
            checkpoints=(
                _scan(start, "Shenzhen", ShipmentStatus.IN_TRANSIT),
                _scan(start + timedelta(hours=6), "Guangzhou", ShipmentStatus.IN_TRANSIT),
            ),
        ),
        TrackRecord(
            provider="17track",
            tracking_number="SF4",
            carrier="sf",
            status=ShipmentStatus.DELIVERED,
            status_raw="Delivered",
        ),
    ]
    await store.save_tracks("17track", tracks, [], MONDAY + timedelta(days=3))
