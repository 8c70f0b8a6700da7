from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.rules.durations import DurationError, format_duration, format_elapsed, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1w2d", timedelta(days=9)),
        ("0s", timedelta()),
        (" 4h ", timedelta(hours=4)),
    ],
)
def test_parse_duration_reads_the_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_rejects_words_with_the_hint() -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration("four hours")
    assert str(caught.value) == "'four hours' is not a duration (use 90s, 15m, 4h, 2d)"


@pytest.mark.parametrize("text", ["", "4", "h", "4.5h", "1h 30m", "-1h", "4h!", "1y"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration(text)


def test_parse_duration_names_an_unknown_unit() -> None:
    with pytest.raises(DurationError, match="unknown unit 'hours'"):
        parse_duration("4hours")


@pytest.mark.parametrize("text", ["30m1h", "1h1h", "5m2d"])
def test_parse_duration_wants_units_largest_first(text: str) -> None:
    with pytest.raises(DurationError, match="largest to smallest"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(days=14), "14d"),
        (timedelta(minutes=-15), "-15m"),
    ],
)
def test_format_duration_writes_largest_unit_first(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_format_elapsed_drops_seconds_past_an_hour() -> None:
    assert format_elapsed(timedelta(hours=4, minutes=12, seconds=59)) == "4h12m"
    assert format_elapsed(timedelta(minutes=12, seconds=30)) == "12m30s"
    assert format_elapsed(-timedelta(hours=1, minutes=5, seconds=9)) == "-1h5m"


@given(st.integers(min_value=0, max_value=10 * 365 * 86400))
def test_format_then_parse_gives_the_same_duration(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=5, max_size=5))
def test_parse_adds_up_each_part(amounts: list[int]) -> None:
    text = "".join(f"{amount}{unit}" for amount, unit in zip(amounts, "wdhms", strict=True))
    expected = sum(
        amount * _UNIT_SECONDS[unit] for amount, unit in zip(amounts, "wdhms", strict=True)
    )
    assert parse_duration(text) == timedelta(seconds=expected)
