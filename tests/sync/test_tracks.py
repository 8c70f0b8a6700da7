"""Reading vendor times, ordering scans, and finding who signed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.connectors.tracks import (
    CHINA,
    checkpoint,
    chronological,
    last_signer,
    read_day,
    read_time,
    signer_in,
)
from sync.domain import ShipmentStatus


def test_a_time_with_an_offset_is_an_instant() -> None:
    read = read_time("2025-01-17T14:05:10-08:00")
    assert (read.at, read.zoneless) == (datetime(2025, 1, 17, 22, 5, 10, tzinfo=UTC), False)


def test_a_time_in_z_is_utc() -> None:
    assert read_time("2025-01-17T22:05:10Z").at == datetime(2025, 1, 17, 22, 5, 10, tzinfo=UTC)


def test_a_zone_less_time_is_flagged_and_has_no_instant() -> None:
    read = read_time("2025-01-17 14:05:10")
    assert (read.at, read.zoneless, read.raw) == (None, True, "2025-01-17 14:05:10")
    assert read.order_by == datetime(2025, 1, 17, 14, 5, 10, tzinfo=UTC)


def test_a_zone_less_time_in_a_documented_zone_is_an_instant_still_flagged() -> None:
    read = read_time("2025-03-02 14:05:33", CHINA)
    assert (read.at, read.zoneless) == (datetime(2025, 3, 2, 6, 5, 33, tzinfo=UTC), True)


@pytest.mark.parametrize("text", ["", None, "   "])
def test_no_time_is_no_time(text: str | None) -> None:
    read = read_time(text)
    assert (read.at, read.zoneless) == (None, False)


def test_an_unreadable_time_is_kept_as_written() -> None:
    read = read_time("yesterday-ish")
    assert (read.at, read.raw, read.zoneless) == (None, "yesterday-ish", True)


def test_a_day_is_read_as_its_start() -> None:
    assert read_day("2018-08-01") == datetime(2018, 8, 1, tzinfo=UTC)
    assert read_day("2018-08-01", CHINA) == datetime(2018, 7, 31, 16, tzinfo=UTC)
    assert read_day("") is None
    assert read_day("soon") is None


def test_scans_are_ordered_by_absolute_time_whatever_the_list_order() -> None:
    raw = [
        ("2025-01-17T10:00:00+01:00", "b"),  # 09:00Z
        ("2025-01-17T08:30:00Z", "a"),
        ("2025-01-17T05:00:00-05:00", "c"),  # 10:00Z
    ]
    scans = [(read_time(t), checkpoint(read_time(t), text)) for t, text in raw]
    assert [c.description for c in chronological(scans, newest_first=False)] == ["a", "b", "c"]


def test_ties_keep_the_vendors_order_read_oldest_first() -> None:
    same = read_time("2025-01-17T08:30:00Z")
    newest_first = [(same, checkpoint(same, "second")), (same, checkpoint(same, "first"))]
    ordered = chronological(newest_first, newest_first=True)
    assert [c.description for c in ordered] == ["first", "second"]


@pytest.mark.parametrize(
    ("text", "signer"),
    [
        ("您的快件已签收，签收人：王芳。", "王芳"),
        ("已签收，签收人是【前台】", "前台"),
        ("Delivered - Signed for by: J SMITH.", "J SMITH"),
        ("signed by mary", "mary"),
        ("Out for delivery", ""),
    ],
)
def test_the_signer_is_found_in_the_words(text: str, signer: str) -> None:
    assert signer_in(text) == signer


def test_only_a_delivered_scan_names_the_signer() -> None:
    when = read_time("2025-01-17T08:30:00Z")
    scans = [
        checkpoint(when, "签收人：张三 (attempt)", status=ShipmentStatus.DELIVERY_FAILED),
        checkpoint(when, "已签收，签收人：李四", status=ShipmentStatus.DELIVERED),
    ]
    assert last_signer(scans) == "李四"
