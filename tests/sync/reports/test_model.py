"""Report figures on a small seeded week, each checked against the hand count in seed.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.domain import Lifecycle, ShipmentRecord, ShipmentStatus, TrackRecord
from sync.reports.model import (
    PeriodKind,
    build_report,
    period_containing,
    period_days,
    shift_period,
)
from sync.reports.stats import percentile
from sync.store import Store
from tests.conftest import OrderFactory
from tests.daemon.reports.seed import escalate, seed_week

UTC_ZONE = ZoneInfo("UTC")
WEEK = (date(2026, 11, 16), date(2026, 11, 23))
MONDAY_DST = datetime(2026, 10, 19, tzinfo=UTC)


async def _week(store: Store, make_order: OrderFactory, zone: ZoneInfo = UTC_ZONE) -> Any:
    await seed_week(store, make_order)
    return await build_report(store, PeriodKind.WEEKLY, *WEEK, zone)


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([10, 30, 6], 50) == 10
    assert percentile([10, 30, 6], 90) == 30
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([], 90) is None


def test_the_weekly_period_is_last_monday_to_sunday() -> None:
    assert period_days(PeriodKind.WEEKLY, date(2026, 11, 25)) == WEEK
    assert period_days(PeriodKind.DAILY, date(2026, 11, 25)) == (
        date(2026, 11, 24),
        date(2026, 11, 25),
    )
    assert period_days(PeriodKind.MONTHLY, date(2026, 3, 5)) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )


async def test_orders_are_counted_by_stage_and_channel(
    store: Store, make_order: OrderFactory
) -> None:
    report = await _week(store, make_order)
    assert report["orders_by_stage"] == [
        {"stage": "cancelled", "channel": "pos", "orders": 1},
        {"stage": "fulfilled", "channel": "web", "orders": 2},
        {"stage": "unfulfilled", "channel": "web", "orders": 1},
    ]


async def test_breaches_are_counted_per_rule(store: Store, make_order: OrderFactory) -> None:
    report = await _week(store, make_order)
    assert report["breaches"] == [
        {"rule": "paid_not_shipped", "escalations": 2, "resolved": 2},
        {"rule": "late_tracking", "escalations": 1, "resolved": 0},
    ]


async def test_delay_reasons_form_weekday_and_hour_heatmaps(
    store: Store, make_order: OrderFactory
) -> None:
    heat = (await _week(store, make_order))["delay_reasons"]
    assert heat["reasons"] == ["customs"]
    assert heat["reason_by_weekday"] == [[1, 0, 1, 0, 0, 0, 0]]
    assert heat["weekday_by_hour"][0][9] == 1
    assert heat["weekday_by_hour"][2][14] == 1
    assert sum(map(sum, heat["weekday_by_hour"])) == 2


async def test_heatmap_hours_are_the_shops_own(store: Store, make_order: OrderFactory) -> None:
    heat = (await _week(store, make_order, ZoneInfo("Asia/Shanghai")))["delay_reasons"]
    assert heat["weekday_by_hour"][0][17] == 1
    assert heat["weekday_by_hour"][2][22] == 1


async def test_stalls_give_median_and_p90_silence_per_route(
    store: Store, make_order: OrderFactory
) -> None:
    report = await _week(store, make_order)
    assert report["stalls"] == [
        {
            "carrier": "sf",
            "origin": "Shenzhen",
            "destination": "Beijing",
            "gaps": 2,
            "median_hours": 10.0,
            "p90_hours": 30.0,
        },
        {
            "carrier": "sf",
            "origin": "Shenzhen",
            "destination": "Guangdong",
            "gaps": 1,
            "median_hours": 6.0,
            "p90_hours": 6.0,
        },
    ]


async def test_response_figures_per_level_team_and_agent(
    store: Store, make_order: OrderFactory
) -> None:
    rows = (await _week(store, make_order))["response"]
    by = {(r["by"], r["group"]): r for r in rows}
    assert by[("level", "1")] == {
        "by": "level",
        "group": "1",
        "acknowledged": 3,
        "ack_p50_minutes": 30.0,
        "ack_p90_minutes": 50.0,
        "resolved": 2,
        "resolve_p50_minutes": 120.0,
        "resolve_p90_minutes": 240.0,
    }
    assert by[("team", "north")]["ack_p50_minutes"] == 10.0
    assert by[("team", "north")]["ack_p90_minutes"] == 50.0
    assert by[("team", "north")]["resolved"] == 1
    assert by[("agent", "bo")]["resolve_p90_minutes"] == 240.0
    assert set(by) == {
        ("level", "1"),
        ("team", "north"),
        ("team", "south"),
        ("agent", "anna"),
        ("agent", "bo"),
    }


async def test_interventions_are_counted_on_every_day(
    store: Store, make_order: OrderFactory
) -> None:
    days = (await _week(store, make_order))["interventions"]
    assert [d["count"] for d in days] == [2, 1, 3, 0, 0, 0, 0]
    assert days[1]["kinds"] == {"note": 1}
    assert days[2]["kinds"] == {"acknowledged": 2, "resolved": 1}


async def test_status_agreement_is_a_share_of_orders_with_parcels(
    store: Store, make_order: OrderFactory
) -> None:
    agreement = (await _week(store, make_order))["agreement"]
    assert agreement == {
        "checked": 3,
        "delivered_but_open": 1,
        "cancelled_but_moving": 0,
        "returned_but_paid": 0,
        "disagreeing": 1,
        "agreement_pct": 66.7,
    }


async def test_an_empty_period_has_zero_figures(store: Store, make_order: OrderFactory) -> None:
    await seed_week(store, make_order)
    later = WEEK[1] + timedelta(days=70)
    report = await build_report(store, PeriodKind.DAILY, later, later + timedelta(days=1), UTC_ZONE)
    assert report["orders_by_stage"] == []
    assert report["response"] == []
    assert report["interventions"] == [{"day": later.isoformat(), "count": 0, "kinds": {}}]
    assert report["agreement"]["agreement_pct"] is None


async def test_a_dst_week_keeps_the_shops_days(store: Store, make_order: OrderFactory) -> None:
    """Berlin leaves summer time on Sunday 25 October 2026: that week lasts 169 hours."""
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", MONDAY_DST)
    openings = (
        datetime(2026, 10, 18, 22, 30, tzinfo=UTC),  # Monday 00:30 summer time: in
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # Sunday 23:30 winter time: in
        datetime(2026, 10, 25, 23, 10, tzinfo=UTC),  # the next Monday 00:10: out
        datetime(2026, 10, 18, 21, 50, tzinfo=UTC),  # the Sunday before, 23:50: out
    )
    for n, opened in enumerate(openings):
        escalation_id = await escalate(store, order_id, f"rule_{n}", opened)
        acked = await store.acknowledge(escalation_id, 1, "anna", opened + timedelta(minutes=1))
        await store.resolve(
            escalation_id, acked.version, "anna", "customs", "", opened + timedelta(minutes=2)
        )
    berlin = ZoneInfo("Europe/Berlin")
    report = await build_report(
        store, PeriodKind.WEEKLY, date(2026, 10, 19), date(2026, 10, 26), berlin
    )
    assert sorted(r["rule"] for r in report["breaches"]) == ["rule_0", "rule_1"]
    heat = report["delay_reasons"]
    assert heat["reason_by_weekday"] == [[1, 0, 0, 0, 0, 0, 1]]
    assert heat["weekday_by_hour"][0][0] == 1
    assert heat["weekday_by_hour"][6][23] == 1
    assert [d["count"] for d in report["interventions"]] == [2, 0, 0, 0, 0, 0, 2]


async def test_an_order_with_two_disagreements_counts_once(
    store: Store, make_order: OrderFactory
) -> None:
    parcels = tuple(
        ShipmentRecord(external_id=f"f{n}", tracking_number=f"YT{n}", carrier="yto") for n in (1, 2)
    )
    order = make_order(1, lifecycle=Lifecycle.CANCELLED, shipments=parcels, created_at=MONDAY_DST)
    await store.save_order_page("shop", "shopify", [order], "", MONDAY_DST)
    tracks = [
        TrackRecord("17track", "YT1", "yto", ShipmentStatus.DELIVERED, "Delivered"),
        TrackRecord("17track", "YT2", "yto", ShipmentStatus.RETURNED, "Returned"),
    ]
    await store.save_tracks("17track", tracks, [], MONDAY_DST)
    day = MONDAY_DST.date()
    report = await build_report(store, PeriodKind.DAILY, day, day + timedelta(days=1), UTC_ZONE)
    assert report["agreement"] == {
        "checked": 1,
        "delivered_but_open": 0,
        "cancelled_but_moving": 1,
        "returned_but_paid": 1,
        "disagreeing": 1,
        "agreement_pct": 0.0,
    }


def test_the_console_starts_on_the_period_holding_today() -> None:
    friday = date(2026, 11, 20)
    assert period_containing(PeriodKind.DAILY, friday) == (friday, date(2026, 11, 21))
    assert period_containing(PeriodKind.WEEKLY, friday) == WEEK
    assert period_containing(PeriodKind.MONTHLY, date(2026, 12, 31)) == (
        date(2026, 12, 1),
        date(2027, 1, 1),
    )


def test_periods_step_across_month_and_year_ends() -> None:
    assert shift_period(PeriodKind.MONTHLY, date(2026, 12, 1), 1) == (
        date(2027, 1, 1),
        date(2027, 2, 1),
    )
    assert shift_period(PeriodKind.MONTHLY, date(2026, 3, 1), -1) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    assert shift_period(PeriodKind.WEEKLY, WEEK[0], -1) == (date(2026, 11, 9), WEEK[0])
    assert shift_period(PeriodKind.DAILY, date(2026, 12, 31), 1) == (
        date(2027, 1, 1),
        date(2027, 1, 2),
    )


async def test_a_spring_dst_day_has_23_hours(store: Store, make_order: OrderFactory) -> None:
    """Berlin moves to summer time on Sunday 29 March 2026: that day is 22:00 to 21:00 UTC."""
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", MONDAY_DST)
    openings = (
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 winter time: in
        datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # 23:30 summer time: in
        datetime(2026, 3, 29, 22, 10, tzinfo=UTC),  # Monday 00:10: out
        datetime(2026, 3, 28, 22, 50, tzinfo=UTC),  # Saturday 23:50: out
    )
    for n, opened in enumerate(openings):
        escalation_id = await escalate(store, order_id, f"rule_{n}", opened)
        acked = await store.acknowledge(escalation_id, 1, "anna", opened + timedelta(minutes=1))
        await store.resolve(
            escalation_id, acked.version, "anna", "customs", "", opened + timedelta(minutes=2)
        )
    berlin = ZoneInfo("Europe/Berlin")
    sunday = date(2026, 3, 29)
    report = await build_report(store, PeriodKind.DAILY, sunday, sunday + timedelta(days=1), berlin)
    assert sorted(r["rule"] for r in report["breaches"]) == ["rule_0", "rule_1"]
    hours = report["delay_reasons"]["weekday_by_hour"][6]
    assert (hours[0], hours[23], sum(hours)) == (1, 1, 2)
    assert report["interventions"] == [
        {"day": "2026-03-29", "count": 4, "kinds": {"acknowledged": 2, "resolved": 2}}
    ]
