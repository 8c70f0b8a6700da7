"""The clock's skew against the sources, as their HTTP Date headers show it."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import httpx

from daemon.clockskew import SKEW_HOST, SKEW_SECONDS, SkewWatch, skew_of
from daemon.lifecycle import record_skew
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0

NOW = 1_800_000_000.0


def _response(date: str | None, host: str = "shop.example") -> httpx.Response:
    headers = {"Date": date} if date is not None else {}
    return httpx.Response(200, headers=headers, request=httpx.Request("GET", f"https://{host}/"))


def test_an_hour_fast_clock_is_wrong() -> None:
    skew = skew_of(_response(formatdate(NOW - 3600, usegmt=True)), NOW)

    assert skew is not None
    assert round(skew.seconds) == 3600
    assert skew.wrong
    assert skew.words() == "this clock is 3600s ahead of shop.example"


def test_a_clock_within_seconds_agrees() -> None:
    skew = skew_of(_response(formatdate(NOW - 1, usegmt=True)), NOW)

    assert skew is not None and not skew.wrong
    assert skew.words() == "this clock agrees with shop.example (within 2s)"


def test_a_missing_or_garbled_date_tells_nothing() -> None:
    assert skew_of(_response(None), NOW) is None
    assert skew_of(_response("yesterday"), NOW) is None


async def test_the_watch_keeps_the_worst_host() -> None:
    watch = SkewWatch(wall=lambda: NOW)
    await watch.observe(_response(formatdate(NOW, usegmt=True), "a.example"))
    await watch.observe(_response(formatdate(NOW + 120, usegmt=True), "b.example"))

    worst = watch.worst()

    assert worst is not None and worst.host == "b.example"
    assert round(worst.seconds) == -120


async def test_the_daemon_records_the_skew_for_status(store: Store) -> None:
    watch = SkewWatch(wall=lambda: NOW)
    await watch.observe(_response(formatdate(NOW - 600, usegmt=True)))
    stop = asyncio.Event()
    task = asyncio.create_task(record_skew(store, watch, VirtualClock(T0), stop))

    for _ in range(100):
        if await store.get_state(SKEW_HOST):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)

    assert await store.get_state(SKEW_HOST) == "shop.example"
    assert float(await store.get_state(SKEW_SECONDS)) == 599.5
