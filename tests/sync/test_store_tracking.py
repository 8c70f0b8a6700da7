"""The store's tracking side: set-wise track writes, the polling schedule, pushes, stale feeds."""

from __future__ import annotations

from datetime import timedelta

from sync.domain import Checkpoint, ShipmentRow, ShipmentStatus, TimerState, TrackRecord
from sync.store import DueQuery, Store, TimerDecision
from sync.store.parcels import push_digest
from tests.conftest import T0, OrderFactory

INTERVALS = {"in_transit": timedelta(hours=4), "default": timedelta(hours=6)}


def scan(hours: float, text: str, **fields: object) -> Checkpoint:
    at = T0 + timedelta(hours=hours)
    values: dict[str, object] = {"at": at, "at_raw": at.isoformat(), "description": text}
    values.update(fields)
    return Checkpoint(**values)  # type: ignore[arg-type]


def track(number: str, status: ShipmentStatus, *scans: Checkpoint, **fields: object) -> TrackRecord:
    values: dict[str, object] = {
        "provider": "17track",
        "tracking_number": number,
        "carrier": "sf",
        "status": status,
        "status_raw": str(status),
        "checkpoints": scans,
    }
    values.update(fields)
    return TrackRecord(**values)  # type: ignore[arg-type]


async def parcel(store: Store, make_order: OrderFactory, n: int = 1) -> ShipmentRow:
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(n, tracking=f"SF{n}")], "", T0
    )
    (shipment,) = await store.shipments(order_id)
    return shipment


def due(provider: str = "17track", hours: float = 0, **fields: object) -> DueQuery:
    now = T0 + timedelta(hours=hours)
    values: dict[str, object] = {
        "provider": provider,
        "now": now,
        "soon": now + timedelta(hours=2),
        "near_polled_before": now - timedelta(minutes=30),
        "pushed_after": now,
    }
    values.update(fields)
    return DueQuery(**values)  # type: ignore[arg-type]


async def test_a_scan_seen_by_poll_and_push_is_stored_once(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    picked = scan(1, "Picked up", location="Shenzhen")
    await store.save_tracks("17track", [track("SF1", ShipmentStatus.IN_TRANSIT, picked)], [], T0)
    pushed = scan(1, "  Picked   up ", location="")  # same instant and words, other spacing
    await store.save_push(
        "17track",
        "d1",
        "{}",
        [track("SF1", ShipmentStatus.IN_TRANSIT, pushed, scan(2, "Departed"))],
        T0,
    )
    assert [c.description for c in await store.checkpoints(shipment.id)] == [
        "Picked up",
        "Departed",
    ]


async def test_an_older_report_adds_scans_but_never_moves_the_status_back(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    delivered = track("SF1", ShipmentStatus.DELIVERED, scan(1, "Picked up"), scan(9, "Delivered"))
    await store.save_tracks("17track", [delivered], [], T0)
    late = track("SF1", ShipmentStatus.IN_TRANSIT, scan(1, "Picked up"), scan(3, "Arrived"))
    await store.save_tracks("17track", [late], [], T0)
    (after,) = await store.shipments(shipment.order_id)
    assert after.status == ShipmentStatus.DELIVERED
    assert after.last_checkpoint_at == T0 + timedelta(hours=9)
    assert len(await store.checkpoints(shipment.id)) == 3


async def test_eta_and_signer_are_kept(store: Store, make_order: OrderFactory) -> None:
    shipment = await parcel(store, make_order)
    eta = T0 + timedelta(days=2)
    report = track("SF1", ShipmentStatus.DELIVERED, scan(5, "Signed"), eta=eta, signed_by="Wang")
    assert await store.save_tracks("17track", [report], [], T0) == [shipment.order_id]
    (after,) = await store.shipments(shipment.order_id)
    assert (after.eta, after.signed_by, after.delivered_at) == (
        eta,
        "Wang",
        T0 + timedelta(hours=5),
    )


async def test_a_status_change_is_one_timeline_event(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    moving = track("SF1", ShipmentStatus.IN_TRANSIT, scan(1, "Picked up"))
    await store.save_tracks("17track", [moving], [], T0)
    await store.save_tracks("17track", [moving], [], T0)
    events = [e for e in await store.events(shipment.order_id) if e.field == "shipment_status"]
    assert [(e.from_value, e.to_value) for e in events] == [("pending", "in_transit")]


async def test_a_polled_parcel_is_due_again_after_its_status_interval(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    assert [s.id for s in await store.parcels_due(due())] == [shipment.id]
    moving = track("SF1", ShipmentStatus.IN_TRANSIT, scan(0, "Picked up"))
    await store.save_tracks("17track", [moving], [shipment.id], T0, intervals=INTERVALS)
    assert await store.parcels_due(due(hours=3.9)) == []
    assert [s.id for s in await store.parcels_due(due(hours=4))] == [shipment.id]


async def test_a_delivered_parcel_is_never_due(store: Store, make_order: OrderFactory) -> None:
    shipment = await parcel(store, make_order)
    done = track("SF1", ShipmentStatus.DELIVERED, scan(0, "Signed"))
    await store.save_tracks("17track", [done], [shipment.id], T0, intervals=INTERVALS)
    assert await store.parcels_due(due(hours=100)) == []


async def test_a_near_rule_deadline_makes_a_parcel_due_early(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    moving = track("SF1", ShipmentStatus.IN_TRANSIT, scan(0, "Picked up"))
    await store.save_tracks("17track", [moving], [shipment.id], T0, intervals=INTERVALS)
    await store.save_timers(
        [
            TimerDecision(
                rule_id="stalled",
                subject_kind="shipment",
                subject_id=shipment.id,
                order_id=shipment.order_id,
                state=TimerState.PENDING,
                started_at=T0,
                deadline_at=T0 + timedelta(hours=2),
                warn_at=None,
                next_at=T0 + timedelta(hours=2),
                rules_version="v1",
                summary="stalled",
            )
        ],
        T0,
    )
    assert await store.parcels_due(due(hours=0.25)) == []  # polled too recently
    assert [s.id for s in await store.parcels_due(due(hours=1))] == [shipment.id]


async def test_a_recently_pushed_parcel_waits(store: Store, make_order: OrderFactory) -> None:
    shipment = await parcel(store, make_order)
    report = track("SF1", ShipmentStatus.IN_TRANSIT, scan(0, "Picked up"))
    await store.save_push("17track", "d1", "{}", [report], T0)
    quiet_until = T0 - timedelta(hours=12)
    assert await store.parcels_due(due(pushed_after=quiet_until)) == []
    later = due(hours=13, pushed_after=T0 + timedelta(hours=1))
    assert [s.id for s in await store.parcels_due(later)] == [shipment.id]


async def test_a_repeated_push_changes_nothing(store: Store, make_order: OrderFactory) -> None:
    shipment = await parcel(store, make_order)
    report = track("SF1", ShipmentStatus.IN_TRANSIT, scan(0, "Picked up"))
    digest = push_digest(b'{"a": 1}')
    assert await store.save_push("17track", digest, "{}", [report], T0) == (
        True,
        [shipment.order_id],
    )
    assert await store.save_push("17track", digest, "{}", [report], T0) == (False, [])
    assert await store.push_count("17track") == 1


async def test_finished_parcels_are_listed_to_stop_once(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    await store.mark_registered("17track", [shipment.id], T0)
    done = track("SF1", ShipmentStatus.DELIVERED, scan(0, "Signed"))
    await store.save_tracks("17track", [done], [shipment.id], T0)
    assert [s.id for s in await store.parcels_to_stop("17track")] == [shipment.id]
    await store.mark_stopped([shipment.id], T0)
    assert await store.parcels_to_stop("17track") == []


async def test_a_stale_feed_is_one_problem_with_its_start(store: Store) -> None:
    problem = "17track: no answer"
    assert await store.record_feed_stale("17track", "17track", problem, T0)
    later = T0 + timedelta(minutes=30)
    assert not await store.record_feed_stale("17track", "17track", problem, later)
    source = await store.source("17track")
    assert source is not None
    assert (source.last_error, source.last_error_at) == (problem, T0)


async def test_a_parcels_buyer_phone_comes_from_its_order(
    store: Store, make_order: OrderFactory
) -> None:
    shipment = await parcel(store, make_order)
    assert await store.buyer_phones([shipment.id]) == {shipment.id: "+86 138 0013 5678"}
