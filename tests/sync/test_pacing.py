"""Request spacing and the hourly request budget."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.pacing import Budget, Pacer
from tests.conftest import T0


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_starts_are_spaced_to_the_rate() -> None:
    time = FakeTime()
    pacer = Pacer(3, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for _ in range(4):
        await pacer.wait()
        starts.append(time.now)
    assert starts == pytest.approx([100.0, 100 + 1 / 3, 100 + 2 / 3, 101.0])


async def test_a_slow_caller_is_not_made_to_wait() -> None:
    time = FakeTime()
    pacer = Pacer(3, monotonic=time.monotonic, sleep=time.sleep)
    await pacer.wait()
    time.now += 5
    await pacer.wait()
    assert time.waits == []


async def test_a_hold_stops_every_start_until_it_ends() -> None:
    time = FakeTime()
    pacer = Pacer(10, monotonic=time.monotonic, sleep=time.sleep)
    pacer.hold(7)
    await pacer.wait()
    assert time.now == pytest.approx(107.0)


def test_a_wild_hold_is_clamped_to_an_hour() -> None:
    time = FakeTime()
    pacer = Pacer(1, monotonic=time.monotonic, sleep=time.sleep)
    pacer.hold(10**9)
    assert pacer.held_for == 3600


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(0)


def test_a_budget_refills_an_hour_after_spending() -> None:
    budget = Budget(3)
    budget.spend(T0, 2)
    budget.spend(T0 + timedelta(minutes=30))
    assert budget.left(T0 + timedelta(minutes=59)) == 0
    assert budget.left(T0 + timedelta(hours=1)) == 2
    assert budget.left(T0 + timedelta(hours=1, minutes=30)) == 3


def test_no_budget_means_no_cap() -> None:
    budget = Budget(0)
    budget.spend(T0, 10_000)
    assert budget.left(T0) > 10_000
