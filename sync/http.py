"""HTTP robustness shared by every connector: deadlines, retries, Retry-After, circuit breaker.

:func:`send` wraps one logical request to a vendor:

- an overall deadline on top of httpx's connect/read timeouts, so a server trickling bytes cannot
  hang a source;
- retries with exponential backoff and full jitter on connection errors, timeouts, 5xx and 429,
  honouring ``Retry-After`` (seconds or an HTTP date, clamped);
- 401 and 403 fail at once with :class:`~sync.errors.SourceAuthError`;
- a :class:`Breaker` per source: after ``threshold`` consecutive failed requests it opens and
  refuses calls for ``cooldown`` seconds, then lets one probe through (half-open); the probe's
  result closes or re-opens it.
"""

from __future__ import annotations

import asyncio
import random
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


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class SourceUnavailable(SourceError):
    """The source's circuit breaker is open: the call was not made."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


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


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 90.0
    """Seconds for the whole logical request, retries and waits included."""
    max_retry_after: float = 300.0


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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
    if breaker is not None:
        breaker.before_call()
    try:
        async with asyncio.timeout(policy.deadline):
            response = await _with_retries(client, method, url, name, policy, sleep, jitter, kwargs)
    except TimeoutError:
        if breaker is not None:
            breaker.failed()
        raise SourceError(f"{name}: no complete answer within {policy.deadline:.0f}s") from None
    except SourceAuthError:
        if breaker is not None:
            breaker.succeeded()  # the server is up; retrying will not fix credentials
        raise
    except SourceError:
        if breaker is not None:
            breaker.failed()
        raise
    if breaker is not None:
        breaker.succeeded()
    return response


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
    for attempt in range(policy.attempts):
        last = attempt == policy.attempts - 1
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if last:
                raise SourceError(f"{name}: {type(exc).__name__} talking to {url}") from None
            await sleep(_backoff(policy, attempt, rng))
            continue
        if response.status_code in (401, 403):
            raise SourceAuthError(
                f"{name}: credentials refused (HTTP {response.status_code}); check the token"
            )
        if response.status_code == 429 or response.status_code >= 500:
            wait = retry_after(response)
            if last:
                if response.status_code == 429:
                    raise SourceRateLimited(
                        f"{name}: rate limited",
                        retry_after=min(wait or 60.0, policy.max_retry_after),
                    )
                raise SourceError(f"{name}: server error HTTP {response.status_code}")
            delay = _backoff(policy, attempt, rng)
            if wait is not None:
                delay = max(delay, min(wait, policy.max_retry_after))
            await sleep(delay)
            continue
        return response
    raise AssertionError("unreachable: the last attempt returns or raises")
