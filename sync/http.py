"""HTTP robustness shared by every connector: deadlines, retries, Retry-After, circuit breaker.

:func:`send` wraps one logical request to a vendor:

- an overall deadline on top of httpx's connect/read timeouts, so a server trickling bytes cannot
  hang a source;
- retries with exponential backoff and full jitter on connection errors, timeouts, 5xx and 429,
  honouring ``Retry-After`` (seconds or an HTTP date, clamped to ``max_retry_after``); a wait
  that would run past the deadline is not slept but reported at once, so the caller can come
  back later instead of holding the source;
- 401 and 403 fail at once with :class:`~sync.errors.SourceAuthError`;
- a :class:`Breaker` per source: after ``threshold`` consecutive failed requests it opens and
  refuses calls for ``cooldown`` seconds, then lets one probe through (half-open); the probe's
  result closes or re-opens it. Answers that prove the server is up (any status but 429 and
  5xx, including 401) count as successes: retrying will not fix credentials or a bad request.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx

from sync.errors import SourceAuthError, SourceError, SourceRateLimited

Sleep = Callable[[float], Awaitable[None]]

# httpcore imports sniffio a few times per request to learn the async library. Without sniffio
# installed, each of those failed imports walks sys.path again (a seventh of a request's time on
# loopback); noting the absence once makes them fail at once, as they would anyway.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class SourceUnavailable(SourceError):
    """The source's circuit breaker is open: the call was not made."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class CredentialsRefused(SourceAuthError):
    """HTTP 401 or 403: the vendor is up and says no to our credentials."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class Breaker:
    def __init__(
        self,
        name: str,
        *,
        threshold: int = 5,
        cooldown: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self._monotonic = monotonic
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._monotonic() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def failures(self) -> int:
        """Failed requests in a row."""
        return self._failures

    def before_call(self) -> None:
        """Raise :class:`SourceUnavailable` unless a call may go out now."""
        state = self.state
        if state == BreakerState.OPEN:
            assert self._opened_at is not None
            left = self.cooldown - (self._monotonic() - self._opened_at)
            raise SourceUnavailable(
                f"{self.name}: paused after {self._failures} failures in a row "
                f"(next try in {left:.0f}s)",
                retry_in=left,
            )
        if state == BreakerState.HALF_OPEN:
            if self._probing:
                raise SourceUnavailable(f"{self.name}: a probe is already out", retry_in=1.0)
            self._probing = True

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._failures += 1
        self._probing = False
        if self._opened_at is not None or self._failures >= self.threshold:
            self._opened_at = self._monotonic()

    def abandoned(self) -> None:
        """The call was cancelled before it could tell anything: let the next one probe."""
        self._probing = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 90.0
    """Seconds for the whole logical request, retries and waits included."""
    max_retry_after: float = 300.0


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` (seconds or an HTTP date).

    An HTTP date is read against the response's own ``Date`` header when it has one, so a
    server whose clock differs from ours still gets the pause it asked for. A 429 without
    ``Retry-After`` falls back to ``X-RateLimit-Reset`` (AfterShip: the Unix time the window
    reopens).
    """
    value = response.headers.get("Retry-After")
    if not value:
        return _rate_limit_reset(response, now) if response.status_code == 429 else None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    base = _http_date(response.headers.get("Date", "")) or now or datetime.now(UTC)
    return max(0.0, (when - base).total_seconds())


def _rate_limit_reset(response: httpx.Response, now: datetime | None) -> float | None:
    try:
        reset = float(response.headers.get("X-RateLimit-Reset", ""))
    except ValueError:
        return None
    if reset < 1e9:  # a count of seconds rather than a Unix time
        return max(0.0, reset)
    base = _http_date(response.headers.get("Date", "")) or now or datetime.now(UTC)
    return max(0.0, reset - base.timestamp())


def _backoff(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    return rng.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    name: str,
    breaker: Breaker | None = None,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One logical request with the guarantees in the module docstring.

    Returns the response for any status but 401/403, 429 and 5xx (which are retried and finally
    raised as :class:`SourceRateLimited` or :class:`SourceError`).
    """
    jitter = rng or random.Random()
    guard: Breaker | _Unguarded = breaker if breaker is not None else _Unguarded()
    guard.before_call()
    try:
        async with asyncio.timeout(policy.deadline):
            response = await _with_retries(client, method, url, name, policy, sleep, jitter, kwargs)
    except TimeoutError:
        guard.failed()
        raise SourceError(f"{name}: no complete answer within {policy.deadline:g}s") from None
    except (SourceAuthError, SourceRateLimited):
        # The server answered: credentials it refused or a request to wait do not mean it is
        # down, and retrying soon will not change them.
        guard.succeeded()
        raise
    except SourceError:
        guard.failed()
        raise
    except BaseException:
        guard.abandoned()
        raise
    guard.succeeded()
    return response


class _Unguarded:
    """The breaker of a call made without one: every hook does nothing."""

    def before_call(self) -> None:
        pass

    def succeeded(self) -> None:
        pass

    def failed(self) -> None:
        pass

    def abandoned(self) -> None:
        pass


async def _with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    name: str,
    policy: RetryPolicy,
    sleep: Sleep,
    rng: random.Random,
    kwargs: dict[str, Any],
) -> httpx.Response:
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + policy.deadline
    for attempt in range(policy.attempts):
        last = attempt == policy.attempts - 1
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if last:
                raise SourceError(f"{name}: {_transport_words(exc)} talking to {url}") from None
            await sleep(_backoff(policy, attempt, rng))
            continue
        status = response.status_code
        if status in (401, 403):
            raise CredentialsRefused(
                f"{name}: credentials refused (HTTP {status}); check them", status=status
            )
        if status != 429 and status < 500:
            return response
        asked = retry_after(response)
        wait = min(asked, policy.max_retry_after) if asked is not None else None
        delay = _backoff(policy, attempt, rng)
        if wait is not None:
            delay = max(delay, wait)
        if last or loop.time() + delay > give_up_at:
            raise _gave_up(name, status, wait)
        await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _gave_up(name: str, status: int, wait: float | None) -> SourceError:
    if status == 429:
        pause = wait if wait is not None else 60.0
        return SourceRateLimited(f"{name}: rate limited, next try in {pause:g}s", retry_after=pause)
    if wait is not None:
        return SourceError(f"{name}: server error HTTP {status}, asked to wait {wait:g}s")
    return SourceError(f"{name}: server error HTTP {status}")


def _transport_words(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    return type(exc).__name__
