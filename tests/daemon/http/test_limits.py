"""Token buckets and penalties, on instants given by the caller."""

from __future__ import annotations

from datetime import timedelta

from daemon.http.limits import Buckets, Penalties, Rate, retry_after
from tests.conftest import T0

MINUTE = timedelta(minutes=1)


def test_a_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    buckets = Buckets(Rate(60, MINUTE, burst=2))
    assert [buckets.take("a", T0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a", T0) == 1.0
    assert buckets.take("a", T0 + timedelta(seconds=1)) == 0.0


def test_buckets_forget_the_least_recently_seen_keys_first() -> None:
    buckets = Buckets(Rate(1, MINUTE), max_keys=2)
    buckets.take("a", T0)
    buckets.take("b", T0)
    buckets.take("a", T0)  # "a" is now the most recent
    buckets.take("c", T0)
    assert buckets.take("a", T0) > 0  # still remembered (and empty)
    assert buckets.take("b", T0) == 0.0  # forgotten: starts full


def test_blocks_double_up_to_the_ceiling() -> None:
    penalties = Penalties(1, timedelta(hours=1), MINUTE, timedelta(minutes=3))
    assert penalties.fail("ip", T0) == 0.0
    blocks = [penalties.fail("ip", T0 + timedelta(seconds=n)) for n in range(1, 5)]
    assert [round(b) for b in blocks] == [60, 120, 180, 180]


def test_failures_outside_the_window_are_forgotten() -> None:
    penalties = Penalties(1, MINUTE, MINUTE, MINUTE)
    assert penalties.fail("ip", T0) == 0.0
    assert penalties.fail("ip", T0 + timedelta(minutes=2)) == 0.0
    assert penalties.blocked("ip", T0 + timedelta(minutes=2)) == 0.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after(s) for s in (0.01, 1.0, 14.2)] == ["1", "1", "15"]
