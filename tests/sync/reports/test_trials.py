"""Rules on trial against the rest, and the agents' look-ups, on hand-checked fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.reports.model import PeriodKind, build_report
from sync.rollout import ROLLOUTS_KEY, rollout_bucket, rollouts_to_json
from sync.store import LookupKind, Store
from tests.conftest import OrderFactory
from tests.daemon.reports.seed import escalate

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
WEEK = (date(2026, 11, 16), date(2026, 11, 23))
UTC_ZONE = ZoneInfo("UTC")
SHARE = Decimal("65")
"""Orders 2, 3 and 4 fall in a 65% trial of late_pack (buckets 2418, 6440, 6239); order 1
(bucket 9479) does not."""


def _delivered(number: str, at: datetime) -> TrackRecord:
    scan = Checkpoint(at=at, at_raw=at.isoformat(), description="Signed", location="Beijing")
    return TrackRecord(
        "17track", number, "sf", ShipmentStatus.DELIVERED, "Delivered", checkpoints=(scan,)
    )


async def _resolved(store: Store, order_id: int, rule: str, opened: datetime, took: int) -> None:
    escalation_id = await escalate(store, order_id, rule, opened)
    acked = await store.acknowledge(escalation_id, 1, "anna", opened + timedelta(minutes=1))
    done = opened + timedelta(minutes=took)
    await store.resolve(escalation_id, acked.version, "anna", "customs", "", done)


async def _seed_trial(store: Store, make_order: OrderFactory) -> None:
    """1 (rest): one escalation resolved in 60 min; delivered a day before its promise.
    2 (trial): escalations resolved in 30 min and never; delivered a day after its promise.
    3 (trial): one escalation resolved in 90 min; delivered, nothing promised.
    4 (trial): no escalation; delivered on the promised day, before the promised time."""
    promise = MONDAY + timedelta(days=3)
    orders = [
        make_order(1, created_at=MONDAY, tracking="SF1", promised_at=promise),
        make_order(2, created_at=MONDAY, tracking="SF2", promised_at=promise),
        make_order(3, created_at=MONDAY, tracking="SF3"),
        make_order(4, created_at=MONDAY, tracking="SF4", promised_at=promise),
    ]
    ids = await store.save_order_page("shop", "shopify", orders, "", MONDAY)
    tracks = [
        _delivered("SF1", promise - timedelta(days=1)),
        _delivered("SF2", promise + timedelta(days=1)),
        _delivered("SF3", promise),
        _delivered("SF4", promise - timedelta(hours=2)),
    ]
    await store.save_tracks("17track", tracks, [], MONDAY + timedelta(days=5))
    opened = MONDAY + timedelta(hours=10)
    await _resolved(store, ids[0], "late_pack", opened, 60)
    await _resolved(store, ids[1], "late_pack", opened, 30)
    await escalate(store, ids[1], "no_scan", opened)
    await _resolved(store, ids[2], "late_pack", opened, 90)


def test_the_fixture_buckets_are_as_written() -> None:
    buckets = [rollout_bucket("late_pack", f"shop:gid://shopify/Order/{n}") for n in (1, 2, 3, 4)]
    assert buckets == [9479, 2418, 6440, 6239]


async def _week(store: Store, **more: Any) -> dict[str, Any]:
    return await build_report(store, PeriodKind.WEEKLY, *WEEK, UTC_ZONE, **more)


async def test_a_trial_rule_is_compared_with_the_rest(
    store: Store, make_order: OrderFactory
) -> None:
    await _seed_trial(store, make_order)
    rows = (await _week(store, rollouts={"late_pack": SHARE}))["rollouts"]
    assert rows == [
        {
            "rule": "late_pack",
            "share_pct": 65.0,
            "group": "trial",
            "orders": 3,
            "escalations": 3,
            "escalations_per_100": 100.0,
            "resolved": 2,
            "resolve_p50_minutes": 30.0,
            "resolve_p90_minutes": 90.0,
            "delivered_with_promise": 2,
            "delivered_late": 1,
            "late_pct": 50.0,
        },
        {
            "rule": "late_pack",
            "share_pct": 65.0,
            "group": "rest",
            "orders": 1,
            "escalations": 1,
            "escalations_per_100": 100.0,
            "resolved": 1,
            "resolve_p50_minutes": 60.0,
            "resolve_p90_minutes": 60.0,
            "delivered_with_promise": 1,
            "delivered_late": 0,
            "late_pct": 0.0,
        },
    ]


async def test_the_shares_default_to_what_the_daemon_published(
    store: Store, make_order: OrderFactory
) -> None:
    await _seed_trial(store, make_order)
    await store.set_state({ROLLOUTS_KEY: rollouts_to_json({"late_pack": SHARE})}, MONDAY)
    rows = (await _week(store))["rollouts"]
    assert [(r["group"], r["orders"]) for r in rows] == [("trial", 3), ("rest", 1)]


async def test_no_rule_on_trial_means_no_comparison(store: Store, make_order: OrderFactory) -> None:
    await _seed_trial(store, make_order)
    assert (await _week(store))["rollouts"] == []


async def test_an_empty_period_compares_empty_groups(store: Store) -> None:
    rows = (await _week(store, rollouts={"late_pack": SHARE}))["rollouts"]
    assert [r["orders"] for r in rows] == [0, 0]
    assert {r["escalations_per_100"] for r in rows} == {None}
    assert {r["late_pct"] for r in rows} == {None}


async def test_lookups_are_counted_per_day_by_stage(store: Store, make_order: OrderFactory) -> None:
    """Order 1 is unfulfilled; order 2 has a parcel in transit. Monday: two looks at order 1
    and a find with several matches; Wednesday: order 2 once; the Monday after: not counted."""
    orders = [make_order(1, created_at=MONDAY), make_order(2, created_at=MONDAY, tracking="SF2")]
    first, second = await store.save_order_page("shop", "shopify", orders, "", MONDAY)
    moving = TrackRecord("17track", "SF2", "sf", ShipmentStatus.IN_TRANSIT, "InTransit")
    await store.save_tracks("17track", [moving], [], MONDAY)
    await store.record_lookup("anna", LookupKind.FIND, first, MONDAY + timedelta(hours=9))
    await store.record_lookup("bo", LookupKind.OPEN, first, MONDAY + timedelta(hours=10))
    await store.record_lookup("bo", LookupKind.FIND, None, MONDAY + timedelta(hours=11))
    await store.record_lookup("anna", LookupKind.OPEN, second, MONDAY + timedelta(days=2))
    await store.record_lookup("anna", LookupKind.OPEN, second, MONDAY + timedelta(days=7))
    lookups = (await _week(store))["lookups"]
    assert lookups["stages"] == [
        {"stage": "unfulfilled", "lookups": 2},
        {"stage": "-", "lookups": 1},
        {"stage": "in_transit", "lookups": 1},
    ]
    days = lookups["days"]
    assert [d["count"] for d in days] == [3, 0, 1, 0, 0, 0, 0]
    assert days[0]["stages"] == {"unfulfilled": 2, "-": 1}
    assert days[2]["stages"] == {"in_transit": 1}


async def test_a_lookup_keeps_the_stage_of_its_moment(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(1, created_at=MONDAY, tracking="SF1")], "", MONDAY
    )
    await store.record_lookup("anna", LookupKind.OPEN, order_id, MONDAY + timedelta(hours=1))
    await store.save_tracks("17track", [_delivered("SF1", MONDAY + timedelta(hours=2))], [], MONDAY)
    await store.record_lookup("anna", LookupKind.OPEN, order_id, MONDAY + timedelta(hours=3))
    found = await store.lookups(MONDAY, MONDAY + timedelta(days=1))
    assert [(item.kind, item.stage) for item in found] == [
        ("open", "pending"),
        ("open", "delivered"),
    ]


async def test_lookup_days_are_the_shops_days(store: Store, make_order: OrderFactory) -> None:
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(1, created_at=MONDAY)], "", MONDAY
    )
    # Sunday 22 November 23:30 UTC is already Monday 07:30 in Shanghai: outside that week.
    await store.record_lookup(
        "anna", LookupKind.FIND, order_id, MONDAY + timedelta(days=6, hours=23, minutes=30)
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    utc_week = (await _week(store))["lookups"]["days"]
    local = (await build_report(store, PeriodKind.WEEKLY, *WEEK, shanghai))["lookups"]["days"]
    assert utc_week[6]["count"] == 1
    assert sum(d["count"] for d in local) == 0
