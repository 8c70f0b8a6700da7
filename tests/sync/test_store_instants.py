"""Instants as stored: fixed-width UTC text to the second, whatever zone they came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sync.store.db import to_db


@pytest.mark.parametrize(
    ("instant", "stored"),
    [
        (datetime(2025, 3, 1, 12, 0, tzinfo=UTC), "2025-03-01T12:00:00Z"),
        (datetime(2025, 3, 1, 12, 0, 5, 999_999, tzinfo=UTC), "2025-03-01T12:00:05Z"),
        (datetime(2025, 3, 1, 20, 0, tzinfo=timezone(timedelta(hours=8))), "2025-03-01T12:00:00Z"),
        (datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(0))), "2025-03-01T12:00:00Z"),
        (
            datetime(2024, 12, 31, 20, 30, tzinfo=timezone(timedelta(hours=-5))),
            "2025-01-01T01:30:00Z",
        ),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), "1969-12-31T23:59:59Z"),
        (datetime(1970, 1, 2, 3, 4, 5, tzinfo=UTC), "1970-01-02T03:04:05Z"),
        (datetime(2199, 12, 31, 23, 59, 59, 1, tzinfo=UTC), "2199-12-31T23:59:59Z"),
        (datetime(2200, 1, 1, tzinfo=UTC), "2200-01-01T00:00:00Z"),
        (datetime(2025, 3, 1, 12, 0, tzinfo=ZoneInfo("UTC")), "2025-03-01T12:00:00Z"),
        (datetime(2025, 3, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2025-03-01T00:00:00Z"),
    ],
)
def test_an_instant_is_stored_as_utc_text_to_the_second(instant: datetime, stored: str) -> None:
    assert to_db(instant) == stored


def test_a_zone_less_instant_is_never_stored() -> None:
    with pytest.raises(ValueError, match="zone-less"):
        to_db(datetime(2025, 3, 1, 12, 0))
    assert to_db(None) is None


def test_stored_text_sorts_as_the_instants_do() -> None:
    instants = [
        datetime(year, month, day, hour, tzinfo=UTC)
        for year in (999, 1969, 1970, 2025, 2199, 2200, 9999)
        for month, day, hour in ((1, 1, 0), (2, 9, 7), (10, 30, 23))
    ]
    texts = [to_db(instant) for instant in instants]
    assert sorted(texts) == texts  # type: ignore[type-var]
    assert len(set(texts)) == len(texts)
