"""Cells of an export: times, amounts, quantities, numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sync.csvimport.values import (
    CellError,
    order_number,
    parse_amount,
    parse_count,
    parse_time,
    tracking_numbers,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20 10:15:30",
        "2026/11/20 10:15:30",
        "2026年11月20日 10:15:30",
        "2026.11.20 10:15:30",
    ],
)
def test_zone_less_times_are_read_in_the_profile_zone_and_stored_utc(text: str) -> None:
    assert parse_time(text, SHANGHAI) == datetime(2026, 11, 20, 2, 15, 30, tzinfo=UTC)


def test_an_explicit_offset_wins_over_the_profile_zone() -> None:
    assert parse_time("2026-11-20 09:41:07 +0100", SHANGHAI) == datetime(
        2026, 11, 20, 8, 41, 7, tzinfo=UTC
    )
    assert parse_time("2026-11-20T08:41:07Z", SHANGHAI) == datetime(
        2026, 11, 20, 8, 41, 7, tzinfo=UTC
    )


def test_a_date_alone_is_local_midnight() -> None:
    assert parse_time("2026-11-20", SHANGHAI) == datetime(2026, 11, 19, 16, tzinfo=UTC)


def test_a_dst_zone_is_applied_on_the_right_side_of_the_switch() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_time("2026-03-28 12:00", berlin) == datetime(2026, 3, 28, 11, tzinfo=UTC)
    assert parse_time("2026-03-30 12:00", berlin) == datetime(2026, 3, 30, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "-", "--", "null", "0000-00-00 00:00:00"])
def test_blank_times_are_none(text: str) -> None:
    assert parse_time(text, SHANGHAI) is None


@pytest.mark.parametrize("text", ["昨天", "2026-13-01 00:00", "20/11/2026"])
def test_unreadable_times_say_so(text: str) -> None:
    with pytest.raises(CellError):
        parse_time(text, SHANGHAI)


def test_amounts_lose_currency_marks_and_thousands_separators() -> None:
    assert parse_amount("1,299.5 元") == "1299.50"
    assert parse_amount("￥88") == "88.00"
    assert parse_amount("0.125") == "0.125"
    assert parse_amount("") == "0"
    with pytest.raises(CellError):
        parse_amount("about ten")


def test_quantities_are_whole() -> None:
    assert parse_count("2") == 2
    assert parse_count("3件") == 3
    assert parse_count("") == 1
    with pytest.raises(CellError):
        parse_count("1.5")


def test_an_order_number_a_spreadsheet_rounded_is_refused() -> None:
    assert order_number("3871204419020561234") == "3871204419020561234"
    assert order_number("1001.0") == "1001"
    with pytest.raises(CellError, match="rounded"):
        order_number("3.8712E+18")
    with pytest.raises(CellError):
        order_number(" ")


def test_tracking_cells_may_hold_several_numbers() -> None:
    assert tracking_numbers("No:SF1428800061234") == ["SF1428800061234"]
    assert tracking_numbers("ZTO1, ZTO2；ZTO1") == ["ZTO1", "ZTO2"]
    assert tracking_numbers("-") == []
