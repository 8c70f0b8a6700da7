"""sync/http.py against a real Starlette app on 127.0.0.1: retries, waits, deadline, breaker."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from daemon.simulator.server import RunningServer, serve
from sync.errors import SourceAuthError, SourceError, SourceRateLimited
from sync.http import (
    Breaker,
    BreakerState,
    CredentialsRefused,
    RetryPolicy,
    SourceUnavailable,
    retry_after,
    send,
)

Reply = Callable[[int], Response]
"""Answer to the n-th request (0-based)."""


class Vendor:
    """A loopback vendor whose answers a test scripts, counting the requests it gets."""

    def __init__(self) -> None:
        self.hits = 0
        self.reply: Reply = lambda _n: PlainTextResponse("ok")
        self.server: RunningServer | None = None

    async def endpoint(self, _request: Request) -> Response:
        self.hits += 1
        return self.reply(self.hits - 1)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/orders"


@pytest.fixture
async def vendor() -> AsyncIterator[Vendor]:
    scripted = Vendor()
    scripted.server = await serve(Starlette(routes=[Route("/orders", scripted.endpoint)]))
    yield scripted
    await scripted.server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as http:
        yield http


class Waits:
    """A sleep that records what it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


QUICK = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, deadline=600)


def status(code: int, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(f"HTTP {code}", status_code=code, headers=headers)


async def test_a_5xx_burst_is_retried_until_it_passes(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda n: status(503) if n < 2 else PlainTextResponse("ok")
    waits = Waits()
    response = await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=waits)
    assert response.text == "ok"
    assert vendor.hits == 3
    assert len(waits.asked) == 2


async def test_5xx_that_never_ends_fails_after_the_last_attempt(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda _n: status(502)
    with pytest.raises(SourceError, match="HTTP 502"):
        await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=Waits())
    assert vendor.hits == QUICK.attempts


async def test_429_waits_the_seconds_of_retry_after(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda n: status(429, {"Retry-After": "7"}) if n == 0 else PlainTextResponse()
    waits = Waits()
    await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=waits)
    assert waits.asked == [7.0]
    assert vendor.hits == 2


async def test_429_waits_until_the_http_date_of_retry_after(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    def reply(n: int) -> Response:
        if n:
            return PlainTextResponse()
        later = datetime.now(UTC) + timedelta(seconds=30)
        return status(429, {"Retry-After": format_datetime(later, usegmt=True)})

    vendor.reply = reply
    waits = Waits()
    await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=waits)
    (waited,) = waits.asked
    assert 28.0 <= waited <= 31.0  # measured against the server's own Date header


def test_an_http_date_is_read_against_the_servers_clock() -> None:
    response = httpx.Response(
        503,
        headers={
            "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
            "Retry-After": "Wed, 21 Oct 2026 07:30:00 GMT",
        },
    )
    assert retry_after(response, now=datetime(2030, 1, 1, tzinfo=UTC)) == 120.0


def test_an_unreadable_retry_after_is_ignored() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None


async def test_an_absurd_retry_after_is_clamped(vendor: Vendor, client: httpx.AsyncClient) -> None:
    vendor.reply = lambda n: (
        status(429, {"Retry-After": "86400"}) if n == 0 else PlainTextResponse()
    )
    waits = Waits()
    policy = RetryPolicy(attempts=2, base_delay=0.01, max_retry_after=120, deadline=600)
    await send(client, "GET", vendor.url, name="shop", policy=policy, sleep=waits)
    assert waits.asked == [120.0]


async def test_a_wait_past_the_deadline_is_reported_not_slept(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda _n: status(429, {"Retry-After": "3600"})
    waits = Waits()
    with pytest.raises(SourceRateLimited) as caught:
        await send(client, "GET", vendor.url, name="shop", policy=RetryPolicy(), sleep=waits)
    assert caught.value.retry_after == RetryPolicy().max_retry_after
    assert waits.asked == []
    assert vendor.hits == 1


async def test_a_refused_connection_is_retried_then_fails(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits = Waits()
    policy = RetryPolicy(attempts=3, base_delay=0.01, deadline=600)
    with pytest.raises(SourceError, match="cannot connect"):
        await send(
            client, "GET", f"http://127.0.0.1:{port}/", name="shop", policy=policy, sleep=waits
        )
    assert len(waits.asked) == 2


@pytest.mark.parametrize("code", [401, 403])
async def test_refused_credentials_fail_at_once(
    code: int, vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda _n: status(code)
    waits = Waits()
    with pytest.raises(CredentialsRefused) as caught:
        await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=waits)
    assert isinstance(caught.value, SourceAuthError)
    assert caught.value.status == code
    assert str(caught.value).count("\n") == 0 and f"HTTP {code}" in str(caught.value)
    assert vendor.hits == 1
    assert waits.asked == []


async def test_other_client_errors_are_returned_not_retried(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda _n: status(404)
    response = await send(client, "GET", vendor.url, name="shop", policy=QUICK, sleep=Waits())
    assert response.status_code == 404
    assert vendor.hits == 1


async def test_a_trickling_server_is_cut_at_the_deadline(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    sent: list[int] = []

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(200):  # 200 bytes, one every 50 ms: ten seconds in all
            sent.append(1)
            yield b"x"
            await asyncio.sleep(0.05)

    vendor.reply = lambda _n: StreamingResponse(trickle(), media_type="application/json")
    policy = RetryPolicy(attempts=1, deadline=0.5)
    with pytest.raises(SourceError, match=r"no complete answer within 0\.5s"):
        await send(client, "GET", vendor.url, name="shop", policy=policy, timeout=5.0)
    assert len(sent) < 200  # each byte came well inside the read timeout; the deadline cut it


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_breaker_opens_then_half_opens_then_closes(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    breaker = Breaker("shop", threshold=3, cooldown=60, monotonic=clock)
    policy = RetryPolicy(attempts=1, deadline=600)
    vendor.reply = lambda _n: status(500)
    states = [breaker.state]
    for _ in range(3):
        with pytest.raises(SourceError):
            await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
        states.append(breaker.state)
    assert states == ["closed", "closed", "closed", "open"]

    with pytest.raises(SourceUnavailable):
        await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
    assert vendor.hits == 3  # an open breaker sends nothing

    clock.now = 61
    assert breaker.state == BreakerState.HALF_OPEN
    vendor.reply = lambda _n: PlainTextResponse("back")
    response = await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
    assert response.text == "back"
    assert breaker.state == BreakerState.CLOSED
    assert vendor.hits == 4


async def test_a_failed_probe_opens_the_breaker_again(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    breaker = Breaker("shop", threshold=1, cooldown=10, monotonic=clock)
    policy = RetryPolicy(attempts=1, deadline=600)
    vendor.reply = lambda _n: status(503)
    with pytest.raises(SourceError):
        await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
    clock.now = 11
    with pytest.raises(SourceError, match="HTTP 503"):
        await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
    assert breaker.state == BreakerState.OPEN
    with pytest.raises(SourceUnavailable):
        await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=policy)
    assert vendor.hits == 2


async def test_refused_credentials_do_not_open_the_breaker(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    breaker = Breaker("shop", threshold=1)
    vendor.reply = lambda _n: status(401)
    with pytest.raises(SourceAuthError):
        await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=QUICK)
    assert breaker.state == BreakerState.CLOSED


async def test_a_cancelled_probe_lets_the_next_call_probe(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    breaker = Breaker("shop", threshold=1, cooldown=10, monotonic=clock)
    breaker.failed()
    clock.now = 11
    started = asyncio.Event()

    async def slow_sleep(_seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    vendor.reply = lambda _n: status(503)
    probe = asyncio.create_task(
        send(
            client, "GET", vendor.url, name="shop", breaker=breaker, policy=QUICK, sleep=slow_sleep
        )
    )
    await started.wait()
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    vendor.reply = lambda _n: PlainTextResponse("ok")
    await send(client, "GET", vendor.url, name="shop", breaker=breaker, policy=QUICK)
    assert breaker.state == BreakerState.CLOSED


async def test_a_rate_limit_never_opens_the_breaker(
    vendor: Vendor, client: httpx.AsyncClient
) -> None:
    vendor.reply = lambda _n: status(429, {"Retry-After": "0"})
    breaker = Breaker("shop", threshold=2, cooldown=60.0)
    for _ in range(3):
        with pytest.raises(SourceRateLimited):
            await send(
                client,
                "GET",
                vendor.url,
                name="shop",
                breaker=breaker,
                policy=RetryPolicy(attempts=1),
                sleep=Waits(),
            )
    assert breaker.state == BreakerState.CLOSED
    assert vendor.hits == 3
