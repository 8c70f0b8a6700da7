"""The two kinds of source a shop has, as small base classes.

An :class:`OrderSource` pages through a shop platform's orders incrementally: given the cursor
saved with the last page, it returns the next page and the cursor that resumes *after* it. The sync
engine saves that cursor in the same transaction as the page's rows, so a crash between pages
repeats at most one page, and upserts keyed by (source, external id) make the repeat harmless.

A :class:`TrackingProvider` follows parcels at a courier-tracking service.

Connectors get one shared ``httpx.AsyncClient`` (injected, never created here) and their settings
as plain strings (credentials already read from the environment by the daemon's config). Every
request goes through :func:`sync.http.send` with the connector's own :class:`~sync.http.Breaker`
and :class:`~sync.http.RetryPolicy`, built from these settings (all optional):

``timeout_seconds``
    httpx's connect and read timeout per attempt (default 30).
``deadline_seconds``
    the whole request, retries and waits included (default 90).
``retries``
    attempts per request, the first included (default 4).
``breaker_failures`` / ``breaker_cooldown_seconds``
    failed requests in a row that pause the source (default 5), and for how long (default 60).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from sync.domain import OrderRecord, TrackRecord
from sync.errors import ConfigError, PayloadError
from sync.http import Breaker, RetryPolicy, Sleep, send


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[OrderRecord, ...]
    cursor: str
    """Where the next call resumes; saved with this page's rows."""
    more: bool
    """True when the source has more pages right now; False when caught up."""
    total: int | None = None
    """How many orders the run this page belongs to will bring, when the source says."""
    at_least: int | None = None
    """A floor to that number when the source says only that much (a capped count)."""


@dataclass(frozen=True, slots=True)
class Parcel:
    tracking_number: str
    carrier: str
    """orderwatch's carrier code (``sf``, ``zto``, ``dhl`` …), empty when unknown."""
    phone: str = ""
    """The buyer's phone, for services that ask for it with some couriers (Kuaidi100 for SF)."""


def setting_number(
    settings: Mapping[str, str], key: str, default: float, where: str, *, minimum: float = 0.0
) -> float:
    """A numeric setting, or ``default`` when absent; ConfigError when not a number."""
    text = settings.get(key, "")
    if text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{where}: {key} = {text!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{where}: {key} must be at least {minimum:g}")
    return value


def required(settings: Mapping[str, str], keys: Sequence[str], where: str) -> None:
    missing = [key for key in keys if not settings.get(key)]
    if missing:
        raise ConfigError(f"{where}: missing setting {missing[0]!r}")


class Connector:
    """What every source shares: its name, the HTTP client, settings, breaker and retries."""

    role: ClassVar[str] = "source"

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.client = client
        self.settings = settings
        self.where = f"{self.role} {name}"
        self.timeout = setting_number(settings, "timeout_seconds", 30, self.where)
        self.policy = RetryPolicy(
            attempts=int(setting_number(settings, "retries", 4, self.where, minimum=1)),
            deadline=setting_number(settings, "deadline_seconds", 90, self.where, minimum=0.1),
        )
        self.breaker = Breaker(
            name,
            threshold=int(setting_number(settings, "breaker_failures", 5, self.where, minimum=1)),
            cooldown=setting_number(settings, "breaker_cooldown_seconds", 60, self.where),
        )
        self._sleep = sleep

    @property
    def real_time(self) -> bool:
        """Whether the connector waits on the real clock (not a test's)."""
        return self._sleep is asyncio.sleep

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with this source's retries, deadline and breaker."""
        kwargs.setdefault("timeout", self.timeout)
        return await send(
            self.client,
            method,
            url,
            name=self.name,
            breaker=self.breaker,
            policy=self.policy,
            sleep=self._sleep,
            **kwargs,
        )

    def json_body(self, response: httpx.Response) -> Any:
        """The response as JSON; a body that is not JSON is a :class:`PayloadError`."""
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            size = len(response.content)
            raise PayloadError(f"{self.name}: response is not JSON ({size} bytes)") from None


class OrderSource(Connector, ABC):
    kind: ClassVar[str]

    @abstractmethod
    async def fetch_page(self, cursor: str) -> OrderPage:
        """The page after ``cursor`` (``""`` for a first sync)."""

    def full_pass(self, cursor: str) -> str | None:
        """A cursor that starts a full reconciliation from ``cursor``.

        None while a run is in the middle of its pages (the reconciliation waits for the run to
        end) and for sources that cannot (the default).
        """
        return None

    def parse_push(self, topic: str, body: bytes) -> list[OrderRecord]:
        """The orders in one webhook delivery (empty for a topic that carries none).

        Raises :class:`PayloadError` when the body is not what the vendor sends.
        """
        raise PayloadError(f"{self.name}: {self.kind} sources take no webhooks")

    def parse_deletions(self, topic: str, body: bytes) -> list[str]:
        """The external ids of the orders a webhook delivery says are gone (deleted at the
        source); empty for every other topic.

        Raises :class:`PayloadError` when a deletion's body does not name the order.
        """
        return []


class TrackingProvider(Connector, ABC):
    kind: ClassVar[str]
    role: ClassVar[str] = "tracker"
    register_batch: ClassVar[int] = 1
    """Parcels one registration request carries (the follower budgets requests by these)."""
    fetch_batch: ClassVar[int] = 1
    stop_batch: ClassVar[int] = 1
    lists_updates: ClassVar[bool] = False
    """Whether :meth:`updated_since` lists what changed (else parcels are polled one by one)."""
    pushes_by_default: ClassVar[bool] = False
    """Whether the provider pushes every change once a parcel is registered."""
    counts_registrations: ClassVar[bool] = False
    """Whether registrations use up a paid quota (see :meth:`registrations_left`)."""
    wants_phones: ClassVar[bool] = False
    """Whether parcels are sent with the buyer's phone (:attr:`Parcel.phone`)."""
    queries_unregistered: ClassVar[bool] = False
    """Whether :meth:`fetch_tracks` answers for parcels never registered (a real-time query)."""

    @abstractmethod
    async def register(self, parcels: Sequence[Parcel]) -> None:
        """Ask the provider to start following ``parcels`` (already followed ones are fine)."""

    @abstractmethod
    async def fetch_tracks(self, parcels: Sequence[Parcel]) -> list[TrackRecord]:
        """The current track of each parcel the provider knows."""

    async def stop(self, parcels: Sequence[Parcel]) -> None:
        """Tell the provider to stop following finished parcels; nothing to do by default."""

    async def refollow(self, parcels: Sequence[Parcel]) -> list[tuple[str, str]]:
        """Ask the provider to follow again parcels it gave up on while they were on their way;
        returns (tracking number, the provider's reason) of those it refuses. By default the
        parcels are registered anew."""
        await self.register(parcels)
        return []

    async def registrations_left(self) -> int | None:
        """How many more parcels the account may register (its paid quota); None when the
        provider does not count registrations."""
        return None

    async def updated_since(self, cursor: str) -> tuple[list[TrackRecord], str, bool] | None:
        """One page of the tracks the provider changed after ``cursor``: (tracks, the cursor
        after them, whether more pages follow). None when the provider cannot list by update
        time; the follower (:mod:`sync.follow`) then polls parcel by parcel."""
        return None
