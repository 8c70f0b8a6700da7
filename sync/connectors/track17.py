"""17TRACK Tracking API v2.2: follow parcels at 17TRACK (kind ``17track``).

Settings: ``url`` (default ``https://api.17track.net``), ``token`` (the ``17token`` key, which also
signs pushes) and ``requests_per_second`` (default 3, 17TRACK's limit), besides the retry and
breaker settings every connector takes (:mod:`sync.connectors.base`).

Calls carry at most 40 numbers, 17TRACK's limit: ``register`` ("already registered" is success),
``gettrackinfo``, ``stoptrack`` once a parcel is finished (so it stops costing), ``retrack`` for a
parcel 17TRACK stopped following before it arrived, and ``getquota``.
Every call goes through :func:`sync.http.send` (deadline, retries, ``Retry-After``) and the
provider's breaker, paced to the request rate; a 429 that outlasts the retries holds every
further call for the time 17TRACK asked. Payload reading lives in
:mod:`sync.connectors.track17_parse`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from sync.carriers import carrier
from sync.connectors.base import Parcel, TrackingProvider, required, setting_number
from sync.connectors.track17_parse import (
    parse_push,
    parse_stopped,
    parse_tracks,
    shipment_status,
    track_record,
    verify_push,
)
from sync.domain import TrackRecord
from sync.errors import PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.http import CredentialsRefused
from sync.pacing import Pacer, Sleep

__all__ = [
    "Quota",
    "Track17Provider",
    "parse_push",
    "parse_stopped",
    "parse_tracks",
    "shipment_status",
    "verify_push",
]

JSON = dict[str, Any]
BATCH = 40
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
STOP_ONLY_TRACKING = -18019906
AUTH_CODES = frozenset({-18010001, -18010002, -18010004})
"""IP not allowed, invalid key, account disabled."""
QUOTA_CODES = frozenset({-18019907, -18019908})
"""Daily limit reached, quota used up."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Quota:
    """The account's registration quota, as ``getquota`` reports it."""

    total: int
    used: int
    remaining: int
    today_used: int


def _batches(parcels: Sequence[Parcel]) -> Iterator[Sequence[Parcel]]:
    for start in range(0, len(parcels), BATCH):
        yield parcels[start : start + BATCH]


def _request_item(parcel: Parcel) -> JSON:
    row = carrier(parcel.carrier)
    if row and row.track17:
        return {"number": parcel.tracking_number, "carrier": row.track17}
    return {"number": parcel.tracking_number}


class Track17Provider(TrackingProvider):
    kind: ClassVar[str] = "17track"
    register_batch: ClassVar[int] = BATCH
    fetch_batch: ClassVar[int] = BATCH
    stop_batch: ClassVar[int] = BATCH
    counts_registrations: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        required(settings, ["token"], self.where)
        self.base = (settings.get("url") or "https://api.17track.net").rstrip("/")
        rate = setting_number(settings, "requests_per_second", 3, self.where, minimum=0.01)
        self.pacer = Pacer(rate, sleep=sleep)

    async def register(self, parcels: Sequence[Parcel]) -> None:
        for batch in _batches(parcels):
            data = await self._call("register", [_request_item(p) for p in batch])
            for refused in data.get("rejected") or ():
                error = refused.get("error") or {}
                if error.get("code") != ALREADY_REGISTERED:
                    log.warning(
                        "%s: %s not registered: %s",
                        self.name,
                        refused.get("number"),
                        error.get("message", error.get("code")),
                    )

    async def fetch_tracks(self, parcels: Sequence[Parcel]) -> list[TrackRecord]:
        tracks: list[TrackRecord] = []
        for batch in _batches(parcels):
            known = {p.tracking_number: p.carrier for p in batch}
            data = await self._call("gettrackinfo", [_request_item(p) for p in batch])
            for item in data.get("accepted") or ():
                number = str(item.get("number") or "")
                tracks.append(track_record(item, self.name, known.get(number, "")))
        return tracks

    async def stop(self, parcels: Sequence[Parcel]) -> None:
        """``stoptrack`` finished parcels; numbers 17TRACK no longer follows are fine."""
        harmless = {NOT_REGISTERED, STOP_ONLY_TRACKING}
        for batch in _batches(parcels):
            data = await self._call("stoptrack", [_request_item(p) for p in batch])
            for refused in data.get("rejected") or ():
                error = refused.get("error") or {}
                if error.get("code") not in harmless:
                    log.info("%s: %s not stopped: %s", self.name, refused.get("number"), error)

    async def refollow(self, parcels: Sequence[Parcel]) -> list[tuple[str, str]]:
        """``retrack`` parcels 17TRACK stopped following; a number it never registered is
        registered instead. 17TRACK restarts a number only once, so a second loss of the same
        parcel comes back refused, with 17TRACK's message."""
        refused: list[tuple[str, str]] = []
        unregistered: list[Parcel] = []
        by_number = {p.tracking_number: p for p in parcels}
        for batch in _batches(parcels):
            data = await self._call("retrack", [_request_item(p) for p in batch])
            for rejected in data.get("rejected") or ():
                number = str(rejected.get("number") or "")
                error = rejected.get("error") or {}
                if error.get("code") == NOT_REGISTERED and number in by_number:
                    unregistered.append(by_number[number])
                else:
                    refused.append((number, str(error.get("message") or error.get("code"))))
        if unregistered:
            await self.register(unregistered)
        return refused

    async def quota(self) -> Quota:
        data = await self._call("getquota", [])
        try:
            return Quota(
                total=int(data.get("quota_total") or 0),
                used=int(data.get("quota_used") or 0),
                remaining=int(data.get("quota_remain") or 0),
                today_used=int(data.get("today_used") or 0),
            )
        except (TypeError, ValueError) as exc:
            raise PayloadError(f"{self.name}: unreadable quota: {exc}") from None

    async def registrations_left(self) -> int | None:
        return (await self.quota()).remaining

    async def _call(self, operation: str, items: list[JSON]) -> JSON:
        url = f"{self.base}/track/v2.2/{operation}"
        await self.pacer.wait()
        try:
            response = await self.request(
                "POST", url, json=items, headers={"17token": self.settings["token"]}
            )
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: 17TRACK refused the key (HTTP {exc.status})"
            ) from None
        except SourceRateLimited as exc:
            self.pacer.hold(exc.retry_after)
            raise
        if response.status_code != 200:
            raise SourceError(f"{self.name}: HTTP {response.status_code} from {url}")
        return self._data(response)

    def _data(self, response: httpx.Response) -> JSON:
        body = self.json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise PayloadError(f"{self.name}: response is not 17TRACK's envelope")
        code = body.get("code")
        if code in AUTH_CODES:
            raise SourceAuthError(f"{self.name}: 17TRACK refused the key (code {code})")
        if code != 0:
            errors = body["data"].get("errors") or [{}]
            message = errors[0].get("message", "") if isinstance(errors[0], dict) else ""
            if code in QUOTA_CODES:
                message = message or "the quota is used up"
            raise SourceError(f"{self.name}: 17TRACK error {code}: {message}".rstrip(": "))
        data: JSON = body["data"]
        return data
