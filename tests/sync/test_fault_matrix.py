"""The fault matrix: every API source against a misbehaving vendor, through the engine.

Each case says what is retried (and how often the vendor was asked), what fails at once, and
checks that nothing wrong was written: a failed sync leaves no row and no cursor behind, and a
retried one ends with exactly the shop's orders.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.engine import sync_orders
from sync.errors import PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.http import BreakerState, SourceUnavailable
from sync.store import Store
from tests.sync.apisim import KINDS, Waits, make_source, start_vendor, truth

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RETRIES = 3


@dataclass(frozen=True)
class Case:
    script: tuple[int | str, ...]
    error: type[Exception] | None
    """What the sync raises; None when it gets through."""
    asks: int
    """Requests for the first page."""
    waits: int
    """Pauses between them."""


CASES = {
    "429 twice, then fine": Case((429, 429), None, 3, 2),
    "5xx burst, then fine": Case((503, 502), None, 3, 2),
    "5xx that lasts": Case((500, 500, 500), SourceError, RETRIES, RETRIES - 1),
    "429 that lasts": Case((429, 429, 429), SourceRateLimited, RETRIES, RETRIES - 1),
    "stalled answer": Case(("stall", "stall", "stall"), SourceError, RETRIES, RETRIES - 1),
    "truncated JSON": Case(("garbage",), PayloadError, 1, 0),
    "HTML instead of JSON": Case(("html",), PayloadError, 1, 0),
    "401": Case((401,), SourceAuthError, 1, 0),
    "403": Case((403,), SourceAuthError, 1, 0),
    "404": Case((404,), SourceError, 1, 0),
}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def nothing_written(store: Store) -> None:
    assert await store.order_count() == 0
    saved = await store.source("shop")
    assert saved is None or saved.cursor == ""


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(CASES))
async def test_fault(
    kind: str, name: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    case = CASES[name]
    shop = Shop(seed=31, orders=60, now=NOW)
    server, vendor = await start_vendor(shop, clock, list(case.script), listings=True)
    waits = Waits()
    source = make_source(
        kind, server.url, http, sleep=waits, retries=str(RETRIES), timeout_seconds="0.5"
    )
    try:
        if case.error is None:
            await sync_orders(store, source, clock)
        else:
            with pytest.raises(case.error):
                await sync_orders(store, source, clock)
    finally:
        await server.stop()
    listings = [hit for hit in vendor.hits if not hit.endswith("/count.json")]
    first_page = listings[: case.asks]
    assert len(set(first_page)) == 1 and len(first_page) == case.asks
    assert len(waits.asked) == case.waits
    if case.error is None:
        assert await store.order_count() == len(truth(shop, NOW, kind))
        if 429 in case.script:
            assert waits.asked == [3.0] * case.waits  # never sooner than Retry-After
    else:
        assert len(listings) == case.asks  # given up: no further page asked
        await nothing_written(store)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_refused_connection_is_retried_then_fails_writing_nothing(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits = Waits()
    source = make_source(kind, f"http://127.0.0.1:{port}", http, sleep=waits)
    with pytest.raises(SourceError, match="cannot connect"):
        await sync_orders(store, source, clock)
    assert len(waits.asked) == RETRIES - 1
    await nothing_written(store)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_source_that_stays_down_opens_its_breaker_and_is_left_alone(
    kind: str, store: Store, clock: VirtualClock, http: httpx.AsyncClient
) -> None:
    shop = Shop(seed=31, orders=60, now=NOW)
    server, vendor = await start_vendor(shop, clock, [500] * 4, listings=True)
    source = make_source(kind, server.url, http, retries="1", breaker_failures="2")
    try:
        for _ in range(2):
            with pytest.raises(SourceError, match="HTTP 500"):
                await sync_orders(store, source, clock)
        asked = len(vendor.hits)
        with pytest.raises(SourceUnavailable):
            await sync_orders(store, source, clock)
    finally:
        await server.stop()
    assert source.breaker.state == BreakerState.OPEN
    assert len(vendor.hits) == asked  # an open breaker sends nothing
    await nothing_written(store)
