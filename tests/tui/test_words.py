"""How the console words statuses, ages, countdowns and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui import words

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payment", "fulfillment", "lifecycle", "said"),
    [
        ("paid", "unfulfilled", "open", "paid·unfulfilled"),
        ("partially_refunded", "partially_fulfilled", "open", "part refunded·part shipped"),
        ("refunded", "fulfilled", "cancelled", "cancelled·refunded"),
        ("brand_new", "unfulfilled", "open", "brand new·unfulfilled"),
    ],
)
def test_order_status(payment: str, fulfillment: str, lifecycle: str, said: str) -> None:
    assert words.order_status(payment, fulfillment, lifecycle) == said


def test_parcel() -> None:
    assert words.parcel("sf", "out_for_delivery") == "SF out for delivery"
    assert words.parcel("zto", "in_transit", 3) == "ZTO in transit +2"
    assert words.parcel("", "") == "—"


@pytest.mark.parametrize(
    ("minutes", "said"), [(0, "now"), (45, "45m"), (47 * 60, "47h"), (49 * 60, "2d")]
)
def test_age(minutes: int, said: str) -> None:
    assert words.age(NOW - timedelta(minutes=minutes), NOW) == said


@pytest.mark.parametrize(
    ("minutes", "said"),
    [(7, "7m"), (65, "1h05m"), (-12, "-12m"), (-(50 * 60 + 5), "-2d02h"), (0.5, "0m")],
)
def test_time_left_is_in_minutes(minutes: float, said: str) -> None:
    assert words.time_left(NOW + timedelta(minutes=minutes), NOW) == said


def test_local_time_names_the_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert words.local_time(NOW, shanghai) == "2026-11-20 22:00"
    assert words.zone_label(shanghai, NOW) == "Asia/Shanghai (UTC+08:00)"
    assert words.zone_label(UTC, NOW) == "UTC"
