"""Instants as stored: fixed-width UTC text to the second, whatever zone they came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

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
    ],
)
def test_an_instant_is_stored_as_utc_text_to_the_second(instant: datetime, stored: str) -> None:
    assert to_db(instant) == stored


def test_a_zone_less_instant_is_never_stored() -> None:
    with pytest.raises(ValueError, match="zone-less"):
        to_db(datetime(2025, 3, 1, 12, 0))
    assert to_db(None) is None
