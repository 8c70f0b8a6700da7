"""Until when a snooze lasts: spans from now, or a time of the agent's day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tui.when import snooze_until

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "after"),
    [("15m", timedelta(minutes=15)), ("2h", timedelta(hours=2)), ("1d", timedelta(days=1))],
)
def test_spans_count_from_now(text: str, after: timedelta) -> None:
    assert snooze_until(text, NOW, SHANGHAI) == NOW + after


def test_a_time_already_past_today_means_tomorrow() -> None:
    # 17:30 has passed in Shanghai at 22:00: tomorrow's 17:30 is 09:30 UTC.
    assert snooze_until("17:30", NOW, SHANGHAI) == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert snooze_until("23:15", NOW, SHANGHAI) == NOW + timedelta(hours=1, minutes=15)


def test_tomorrow_is_nine_in_the_morning_unless_said() -> None:
    assert snooze_until("tomorrow", NOW, SHANGHAI) == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert snooze_until("tomorrow 10:30", NOW, SHANGHAI).hour == 2


@pytest.mark.parametrize("text", ["soon", "25:00", "0m", ""])
def test_nonsense_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        snooze_until(text, NOW, SHANGHAI)
