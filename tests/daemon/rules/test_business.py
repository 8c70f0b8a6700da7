"""Business time: deadlines counted in a calendar's open hours, in UTC, across DST switches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.rules.business import WALL, BusinessClock
from daemon.rules.calendar import Calendar, Closure, Window, local_to_utc

BERLIN = ZoneInfo("Europe/Berlin")
WORKDAY = (Window(8 * 60, 12 * 60), Window(12 * 60 + 30, 18 * 60))


def warehouse(
    holidays: frozenset[date] = frozenset(), closures: tuple[Closure, ...] = ()
) -> BusinessClock:
    week = (WORKDAY,) * 5 + ((Window(9 * 60, 13 * 60),), ())
    return BusinessClock(Calendar("warehouse", "Europe/Berlin", week, holidays, closures))


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def test_a_deadline_skips_the_lunch_break() -> None:
    deadline = warehouse().add(berlin(2027, 4, 12, 11, 0), timedelta(hours=2))
    assert deadline == berlin(2027, 4, 12, 13, 30)


def test_friday_afternoon_carries_over_to_saturday_morning() -> None:
    deadline = warehouse().add(berlin(2027, 4, 9, 15, 0), timedelta(hours=4))
    assert deadline == berlin(2027, 4, 10, 10, 0)


def test_a_start_in_closed_hours_waits_for_the_next_opening() -> None:
    deadline = warehouse().add(berlin(2027, 4, 11, 20, 0), timedelta(minutes=30))  # Sunday
    assert deadline == berlin(2027, 4, 12, 8, 30)


def test_holidays_are_skipped() -> None:
    clock = warehouse(holidays=frozenset({date(2027, 4, 12)}))
    assert clock.add(berlin(2027, 4, 12, 9, 0), timedelta(hours=1)) == berlin(2027, 4, 13, 9, 0)


def test_a_closure_cuts_the_hours_it_covers() -> None:
    closure = Closure(datetime(2027, 4, 12, 10, 0), datetime(2027, 4, 12, 15, 0), "stocktaking")
    clock = warehouse(closures=(closure,))
    assert clock.add(berlin(2027, 4, 12, 9, 0), timedelta(hours=2)) == berlin(2027, 4, 12, 16, 0)


def test_elapsed_counts_only_open_hours() -> None:
    clock = warehouse()
    assert clock.elapsed(berlin(2027, 4, 9, 17, 0), berlin(2027, 4, 12, 9, 0)) == timedelta(
        hours=1 + 4 + 1
    )


def test_windows_list_the_open_stretches_counted() -> None:
    found = warehouse().windows(berlin(2027, 4, 12, 11, 0), berlin(2027, 4, 12, 13, 30))
    assert found == [
        (berlin(2027, 4, 12, 11, 0), berlin(2027, 4, 12, 12, 0)),
        (berlin(2027, 4, 12, 12, 30), berlin(2027, 4, 12, 13, 30)),
    ]


def test_an_overnight_window_runs_past_midnight() -> None:
    night = BusinessClock(Calendar("night", "UTC", ((Window(22 * 60, 30 * 60),),) * 7))
    start = datetime(2027, 4, 12, 23, 0, tzinfo=UTC)
    assert night.add(start, timedelta(hours=3)) == datetime(2027, 4, 13, 2, 0, tzinfo=UTC)


def test_a_window_over_the_spring_forward_gap_has_one_hour_less() -> None:
    # 30 March 2025: Berlin clocks jump from 02:00 to 03:00.
    clock = BusinessClock(Calendar("night", "Europe/Berlin", ((Window(60, 4 * 60),),) * 7))
    night = berlin(2025, 3, 30, 1, 0), berlin(2025, 3, 30, 4, 0)
    assert clock.elapsed(*night) == timedelta(hours=2)


def test_a_window_over_the_autumn_fold_has_one_hour_more() -> None:
    # 26 October 2025: Berlin clocks go back from 03:00 to 02:00.
    clock = BusinessClock(Calendar("night", "Europe/Berlin", ((Window(60, 4 * 60),),) * 7))
    start = berlin(2025, 10, 26, 1, 0)
    assert clock.add(start, timedelta(hours=4)) == berlin(2025, 10, 26, 4, 0)


def test_a_window_edge_in_the_gap_moves_to_the_switch() -> None:
    at = local_to_utc(datetime(2025, 3, 30, 2, 30), BERLIN, opening=True)
    assert datetime.fromtimestamp(at, UTC) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)


def test_a_repeated_time_opens_early_and_closes_late() -> None:
    local = datetime(2025, 10, 26, 2, 30)
    first = local_to_utc(local, BERLIN, opening=True)
    second = local_to_utc(local, BERLIN, opening=False)
    assert second - first == 3600


def test_a_calendar_that_never_opens_gives_no_deadline() -> None:
    closed = BusinessClock(Calendar("closed", "UTC", ((),) * 7))
    assert closed.add(datetime(2027, 1, 1, tzinfo=UTC), timedelta(hours=1)) is None


def test_wall_time_is_real_elapsed_time_across_dst() -> None:
    start = berlin(2025, 3, 29, 10, 0)
    assert WALL.add(start, timedelta(hours=24)) == berlin(2025, 3, 30, 11, 0)


def test_counting_backwards_finds_the_warning_time() -> None:
    clock = warehouse()
    deadline = berlin(2027, 4, 12, 13, 30)
    assert clock.add(deadline, -timedelta(hours=2)) == berlin(2027, 4, 12, 11, 0)


_ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Shanghai", "UTC"])
_STARTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
_AMOUNTS = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))


def _clock(zone: str) -> BusinessClock:
    week = (WORKDAY,) * 5 + ((Window(9 * 60, 13 * 60),), ())
    holidays = frozenset({date(2025, 12, 25), date(2026, 12, 25), date(2027, 3, 29)})
    return BusinessClock(Calendar("c", zone, week, holidays))


@settings(max_examples=200, deadline=None)
@given(zone=_ZONES, start=_STARTS, amount=_AMOUNTS)
def test_adding_then_measuring_gives_the_duration_back(
    zone: str, start: datetime, amount: timedelta
) -> None:
    clock = _clock(zone)
    deadline = clock.add(start, amount)
    assert deadline is not None
    assert clock.elapsed(start, deadline) == amount


@settings(max_examples=200, deadline=None)
@given(zone=_ZONES, start=_STARTS, first=_AMOUNTS, second=_AMOUNTS)
def test_a_longer_duration_never_gives_an_earlier_deadline(
    zone: str, start: datetime, first: timedelta, second: timedelta
) -> None:
    clock = _clock(zone)
    shorter, longer = sorted((first, second))
    a, b = clock.add(start, shorter), clock.add(start, longer)
    assert a is not None and b is not None and a <= b


@settings(max_examples=200, deadline=None)
@given(zone=_ZONES, start=_STARTS, amount=_AMOUNTS.filter(lambda d: d > timedelta()))
def test_deadlines_land_inside_an_open_window_or_on_its_end(
    zone: str, start: datetime, amount: timedelta
) -> None:
    clock = _clock(zone)
    deadline = clock.add(start, amount)
    assert deadline is not None
    just_before = deadline - timedelta(microseconds=1)
    assert clock.is_open(just_before)
