"""17TRACK v2.2 payloads → tracks: ``gettrackinfo`` items, pushes, and the push signature.

The shipment's status is ``track_info.latest_status`` (17TRACK's aggregate), never the last
event; events from every provider are merged and sorted by absolute time (17TRACK lists them
newest first). ``time_utc`` is preferred because ``time_iso`` offsets are sometimes wrong; an
event with neither a UTC time nor an offset (China EMS domestic scans) is read in the zone of its
country, its courier's or the shipper's when that country has a single zone, and flagged
``zoneless`` either way; with no such zone it keeps no instant.

A push is signed in the ``sign`` header: hex SHA-256 of the raw body, a ``/`` and the API key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timezone
from typing import Any

from sync.carriers import carrier_by_track17, normalize_carrier
from sync.connectors.tracks import (
    VendorTime,
    chronological,
    country_zone,
    last_signer,
    read_day,
    read_time,
)
from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.errors import PayloadError

JSON = dict[str, Any]

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


def sign(body: bytes, key: str) -> str:
    """The ``sign`` header 17TRACK sends with a push of ``body``."""
    return hashlib.sha256(body + b"/" + key.encode()).hexdigest()


def verify_push(body: bytes, signature: str | None, key: str) -> bool:
    """Whether ``signature`` is 17TRACK's for these exact bytes (constant-time compare)."""
    if not signature or not key:
        return False
    return hmac.compare_digest(sign(body, key), signature.strip().lower())


def _event_time(event: JSON, zone: timezone | None = None) -> VendorTime:
    time_utc, time_iso = event.get("time_utc"), event.get("time_iso")
    parts = event.get("time_raw") or {}
    if not time_iso and isinstance(parts, dict) and parts.get("date"):
        time_iso = f"{parts['date']}T{parts.get('time') or '00:00:00'}{parts.get('timezone') or ''}"
    universal = read_time(time_utc)
    raw = str(time_iso or time_utc or "")
    if universal.at is not None:
        return VendorTime(universal.at, raw, False, universal.at)
    address = event.get("address")
    where = address.get("country") if isinstance(address, dict) else None
    return read_time(time_iso, country_zone(where) or zone)


def checkpoint(event: JSON, zone: timezone | None = None) -> tuple[VendorTime, Checkpoint]:
    """One 17TRACK event as a :class:`Checkpoint`, with its time for ordering.

    A time with neither ``time_utc`` nor an offset is read in the zone of the event's country,
    else ``zone`` (the courier's or the origin's), when that country has a single zone; it stays
    flagged zone-less either way.
    """
    when = _event_time(event, zone)
    sub_status = str(event.get("sub_status") or "")
    stage = str(event.get("stage") or "")
    if sub_status:
        status = shipment_status(sub_status.split("_", 1)[0], sub_status)
    else:
        status = STAGE.get(stage, ShipmentStatus.UNKNOWN)
    scan = Checkpoint(
        at=when.at,
        at_raw=when.raw,
        description=str(event.get("description") or ""),
        location=str(event.get("location") or ""),
        status=status,
        status_raw=sub_status or stage,
        zoneless=when.zoneless and bool(when.raw),
    )
    return when, scan


def _events(track_info: JSON) -> Iterator[tuple[JSON, timezone | None]]:
    """Every provider's events, each with the zone its zone-less times are read in: the
    provider's (the courier's) country, else the shipper's."""
    shipper = ((track_info.get("shipping_info") or {}).get("shipper_address") or {}).get("country")
    for provider in (track_info.get("tracking") or {}).get("providers") or ():
        zone = country_zone((provider.get("provider") or {}).get("country"), shipper)
        for event in provider.get("events") or ():
            yield event, zone


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


def _eta(track_info: JSON) -> Any:
    estimate = (track_info.get("time_metrics") or {}).get("estimated_delivery_date") or {}
    return read_day(estimate.get("to") or estimate.get("from"))


def track_record(item: JSON, provider: str, fallback_carrier: str = "") -> TrackRecord:
    """One accepted ``gettrackinfo`` item (or a push's ``data``) as a :class:`TrackRecord`."""
    try:
        track_info = item.get("track_info") or {}
        latest = track_info.get("latest_status") or {}
        status_raw = str(latest.get("status") or "")
        sub_raw = str(latest.get("sub_status") or "")
        scans = chronological((checkpoint(e, z) for e, z in _events(track_info)), newest_first=True)
        return TrackRecord(
            provider=provider,
            tracking_number=str(item["number"]),
            carrier=_carrier_code(item, track_info, fallback_carrier),
            status=shipment_status(status_raw, sub_raw),
            status_raw=status_raw,
            substatus_raw=sub_raw,
            checkpoints=scans,
            raw=item,
            eta=_eta(track_info),
            signed_by=last_signer(scans),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{provider}: unreadable track {item.get('number')!r}: {exc}") from exc


def parse_tracks(body: JSON, provider: str) -> list[TrackRecord]:
    """Every accepted item of a ``gettrackinfo`` response."""
    if body.get("code") != 0:
        raise PayloadError(f"{provider}: 17TRACK answered code {body.get('code')!r}")
    data = body.get("data") or {}
    return [track_record(item, provider) for item in data.get("accepted") or ()]


def parse_stopped(body: JSON) -> str:
    """The number of a ``TRACKING_STOPPED`` push (17TRACK no longer follows it); "" for other
    events."""
    data = body.get("data")
    if body.get("event") != "TRACKING_STOPPED" or not isinstance(data, dict):
        return ""
    return str(data.get("number") or "")


def parse_push(body: JSON, provider: str) -> TrackRecord | None:
    """The track in a ``TRACKING_UPDATED`` push; None for other events (``TRACKING_STOPPED``)."""
    if body.get("event") != "TRACKING_UPDATED":
        return None
    data = body.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"{provider}: push without data")
    return track_record(data, provider)
