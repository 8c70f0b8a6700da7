"""17TRACK Tracking API v2.2: follow parcels at 17TRACK (kind ``17track``).

Settings: ``url`` (default ``https://api.17track.net``), ``token`` (the ``17token`` key) and
``timeout_seconds`` (default 30). Calls carry at most 40 numbers, 17TRACK's limit.

The shipment's status is ``track_info.latest_status`` (17TRACK's aggregate), never the last
event; events from every provider are merged and sorted by absolute time (17TRACK lists them
newest first). ``time_utc`` is preferred because ``time_iso`` offsets are sometimes wrong; an
event with neither a UTC time nor an offset is kept with ``zoneless=True`` and no instant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from sync.carriers import carrier, carrier_by_track17, normalize_carrier
from sync.connectors.base import Parcel, TrackingProvider
from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError
from sync.http import CredentialsRefused, Sleep

JSON = dict[str, Any]
BATCH = 40
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
AUTH_CODES = frozenset({-18010001, -18010002, -18010004})
"""IP not allowed, invalid key, account disabled."""

log = logging.getLogger(__name__)

MAIN_STATUS = {
    "NotFound": ShipmentStatus.PENDING,
    "InfoReceived": ShipmentStatus.INFO_RECEIVED,
    "InTransit": ShipmentStatus.IN_TRANSIT,
    "Expired": ShipmentStatus.EXPIRED,
    "AvailableForPickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "DeliveryFailure": ShipmentStatus.DELIVERY_FAILED,
    "Delivered": ShipmentStatus.DELIVERED,
    "Exception": ShipmentStatus.EXCEPTION,
}
SUB_STATUS = {
    "NotFound_InvalidCode": ShipmentStatus.NOT_FOUND,
    "InTransit_CustomsRequiringInformation": ShipmentStatus.EXCEPTION,
    "DeliveryFailure_Rejected": ShipmentStatus.REFUSED,
    "Exception_Returning": ShipmentStatus.RETURNING,
    "Exception_Returned": ShipmentStatus.RETURNED,
    "Exception_Delayed": ShipmentStatus.DELAYED,
    "Exception_Rejected": ShipmentStatus.REFUSED,
    "Exception_Cancel": ShipmentStatus.CANCELLED,
}
STAGE = {
    "InfoReceived": ShipmentStatus.INFO_RECEIVED,
    "PickedUp": ShipmentStatus.IN_TRANSIT,
    "Departure": ShipmentStatus.IN_TRANSIT,
    "Arrival": ShipmentStatus.IN_TRANSIT,
    "AvailableForPickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "Delivered": ShipmentStatus.DELIVERED,
    "Returning": ShipmentStatus.RETURNING,
    "Returned": ShipmentStatus.RETURNED,
}


def shipment_status(status: str, sub_status: str = "") -> ShipmentStatus:
    """17TRACK's (status, sub_status) in orderwatch's words; UNKNOWN for a value not mapped."""
    main = MAIN_STATUS.get(status)
    if main is None:
        return ShipmentStatus.UNKNOWN
    return SUB_STATUS.get(sub_status, main) if sub_status.startswith(status) else main


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _event_time(event: JSON) -> tuple[datetime | None, str, datetime | None]:
    """(absolute instant or None, the time as given, a best guess used only for ordering)."""
    time_utc, time_iso = event.get("time_utc"), event.get("time_iso")
    raw_parts = event.get("time_raw") or {}
    if not time_iso and raw_parts.get("date"):
        zone = raw_parts.get("timezone") or ""
        time_iso = f"{raw_parts['date']}T{raw_parts.get('time') or '00:00:00'}{zone}"
    raw = str(time_iso or time_utc or "")
    if time_utc:
        instant = _parse_time(str(time_utc))
        if instant.tzinfo is not None:
            return instant.astimezone(UTC), raw, instant
    if not time_iso:
        return None, raw, None
    local = _parse_time(str(time_iso))
    if local.tzinfo is None:
        return None, raw, local.replace(tzinfo=UTC)
    return local.astimezone(UTC), raw, local


def checkpoint(event: JSON) -> Checkpoint:
    """One 17TRACK event as a :class:`Checkpoint`."""
    at, raw, _ = _event_time(event)
    sub_status = str(event.get("sub_status") or "")
    stage = str(event.get("stage") or "")
    if sub_status:
        status = shipment_status(sub_status.split("_", 1)[0], sub_status)
    else:
        status = STAGE.get(stage, ShipmentStatus.UNKNOWN)
    return Checkpoint(
        at=at,
        at_raw=raw,
        description=str(event.get("description") or ""),
        location=str(event.get("location") or ""),
        status=status,
        status_raw=sub_status or stage,
        zoneless=at is None and bool(raw),
    )


def _events(track_info: JSON) -> Iterator[JSON]:
    for provider in (track_info.get("tracking") or {}).get("providers") or ():
        yield from provider.get("events") or ()


def _carrier_code(item: JSON, track_info: JSON, fallback: str) -> str:
    key = item.get("carrier")
    row = carrier_by_track17(key) if isinstance(key, int) else None
    if row:
        return row.code
    for provider in (track_info.get("tracking") or {}).get("providers") or ():
        named = normalize_carrier(str((provider.get("provider") or {}).get("name") or ""))
        if named:
            return named
    return fallback


def track_record(item: JSON, provider: str, fallback_carrier: str = "") -> TrackRecord:
    """One accepted ``gettrackinfo`` item (or a push's ``data``) as a :class:`TrackRecord`."""
    try:
        track_info = item.get("track_info") or {}
        latest = track_info.get("latest_status") or {}
        status_raw = str(latest.get("status") or "")
        sub_raw = str(latest.get("sub_status") or "")
        events = list(_events(track_info))
        keyed = []
        for position, event in enumerate(events):
            _, _, order_by = _event_time(event)
            keyed.append((order_by or datetime.min.replace(tzinfo=UTC), position, event))
        keyed.sort(key=lambda entry: (entry[0], -entry[1]))
        return TrackRecord(
            provider=provider,
            tracking_number=str(item["number"]),
            carrier=_carrier_code(item, track_info, fallback_carrier),
            status=shipment_status(status_raw, sub_raw),
            status_raw=status_raw,
            substatus_raw=sub_raw,
            checkpoints=tuple(checkpoint(event) for _, _, event in keyed),
            raw=item,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{provider}: unreadable track {item.get('number')!r}: {exc}") from exc


def parse_tracks(body: JSON, provider: str) -> list[TrackRecord]:
    """Every accepted item of a ``gettrackinfo`` response."""
    if body.get("code") != 0:
        raise PayloadError(f"{provider}: 17TRACK answered code {body.get('code')!r}")
    data = body.get("data") or {}
    return [track_record(item, provider) for item in data.get("accepted") or ()]


def parse_push(body: JSON, provider: str) -> TrackRecord | None:
    """The track in a ``TRACKING_UPDATED`` push; None for other events (``TRACKING_STOPPED``)."""
    if body.get("event") != "TRACKING_UPDATED":
        return None
    data = body.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"{provider}: push without data")
    return track_record(data, provider)


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

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        if not settings.get("token"):
            raise ConfigError(f"tracker {name}: missing setting 'token'")
        self.base = (settings.get("url") or "https://api.17track.net").rstrip("/")

    async def register(self, parcels: Sequence[Parcel]) -> None:
        for batch in _batches(parcels):
            data = await self._call("register", [_request_item(p) for p in batch])
            for refused in data.get("rejected") or ():
                code = (refused.get("error") or {}).get("code")
                if code != ALREADY_REGISTERED:
                    log.warning(
                        "%s: %s not registered: %s",
                        self.name,
                        refused.get("number"),
                        (refused.get("error") or {}).get("message", code),
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

    async def _call(self, operation: str, items: list[JSON]) -> JSON:
        url = f"{self.base}/track/v2.2/{operation}"
        headers = {"17token": self.settings["token"]}
        try:
            response = await self.request("POST", url, json=items, headers=headers)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: 17TRACK refused the key (HTTP {exc.status})"
            ) from None
        status = response.status_code
        if status != 200:
            raise SourceError(f"{self.name}: HTTP {status} from {url}")
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
            raise SourceError(f"{self.name}: 17TRACK error {code}: {message}".rstrip(": "))
        data: JSON = body["data"]
        return data
