"""The watchdog pings only while the scheduler turns; a stop drains, then cancels."""

from __future__ import annotations

import asyncio

import pytest

from daemon.lifecycle import WORK, drain, watchdog
from daemon.systemd import Notifier
from daemon.vitals import Vitals


class Pings(Notifier):
    def __init__(self) -> None:
        super().__init__(None)
        self.count = 0

    def watchdog(self) -> bool:
        self.count += 1
        return True


async def _ping_for(vitals: Vitals, seconds: float) -> int:
    pings, stop = Pings(), asyncio.Event()
    task = asyncio.create_task(watchdog(pings, vitals, stop, every=0.01))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    return pings.count


async def test_a_turning_scheduler_is_pinged_for() -> None:
    vitals = Vitals()
    vitals.rules_turned(0.0)

    assert await _ping_for(vitals, 0.1) >= 3


async def test_a_stuck_scheduler_gets_no_ping() -> None:
    now = [0.0]
    vitals = Vitals(monotonic=lambda: now[0])
    vitals.rules_turned(0.0)
    now[0] = 1000.0

    assert await _ping_for(vitals, 0.1) == 0


async def test_a_stopping_daemon_gets_no_ping() -> None:
    vitals = Vitals()
    vitals.rules_turned(0.0)
    vitals.stopping = True

    assert await _ping_for(vitals, 0.05) == 0


async def test_work_that_ends_within_the_grace_is_left_to_end() -> None:
    stop = asyncio.Event()
    finished: list[str] = []

    async def work() -> None:
        await stop.wait()
        await asyncio.sleep(0.05)  # the page in hand
        finished.append("page saved")

    runner = asyncio.create_task(work())
    stop.set()
    await drain(runner, stop, grace=5)

    assert finished == ["page saved"]


async def test_work_that_outlasts_the_grace_is_cancelled() -> None:
    stop = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    runner = asyncio.create_task(stuck())
    stop.set()
    await asyncio.wait_for(drain(runner, stop, grace=0.05), timeout=5)

    assert cancelled == [True]


async def test_a_failure_of_the_daemon_comes_through() -> None:
    async def fails() -> None:
        raise RuntimeError("the daemon broke")

    with pytest.raises(RuntimeError, match="broke"):
        await drain(asyncio.create_task(fails()), asyncio.Event(), grace=1)


async def test_a_slow_stop_names_the_work_still_busy(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()

    async def daemon() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(asyncio.sleep(3600), name=WORK + "outbox")
            group.create_task(asyncio.sleep(0), name=WORK + "ladder")

    runner = asyncio.create_task(daemon())
    await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(drain(runner, stop, grace=0.05), timeout=5)

    assert "still running" in caplog.text
    assert "(outbox)" in caplog.text
