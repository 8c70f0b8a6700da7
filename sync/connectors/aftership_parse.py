"""AfterShip Tracking API payloads → tracks: list pages, single trackings, webhooks, signatures.

The shipment's status is the tracking's ``tag`` (AfterShip's aggregate), refined by its
``subtag`` and ``return_to_sender``; checkpoints come oldest first but are still sorted by
absolute time. ``checkpoint_time`` carries the carrier's local offset when AfterShip knows it;
without one (a bare date, or a time with no zone) the scan is kept zone-less, with no instant.

Accepted shapes: a list response (``data.trackings`` with ``page``/``limit``/``count``, or a
``pagination`` cursor in newer versions), a single tracking (``data.tracking``, or ``data`` being
the tracking itself), and a webhook delivery (``msg`` being the tracking). A webhook is signed in
``aftership-hmac-sha256``: base64 of HMAC-SHA256 over the raw body, keyed with the webhook secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sync.carriers import carrier_by_aftership, normalize_carrier
from sync.connectors.tracks import checkpoint, chronological, read_day, read_time
from sync.domain import ShipmentStatus, TrackRecord
from sync.errors import PayloadError

JSON = dict[str, Any]
ALREADY_EXISTS = 4003

TAGS = {
    "Pending": ShipmentStatus.PENDING,
    "InfoReceived": ShipmentStatus.INFO_RECEIVED,
    "InTransit": ShipmentStatus.IN_TRANSIT,
    "OutForDelivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "AttemptFail": ShipmentStatus.DELIVERY_FAILED,
    "Delivered": ShipmentStatus.DELIVERED,
    "AvailableForPickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "Exception": ShipmentStatus.EXCEPTION,
    "Expired": ShipmentStatus.EXPIRED,
}
SUBTAGS = {
    "Exception_003": ShipmentStatus.REFUSED,
    "Exception_004": ShipmentStatus.DELAYED,
    "Exception_005": ShipmentStatus.DELAYED,
}
"""Documented sub-statuses that mean more than their tag: refused, delayed (customs, external)."""


def shipment_status(
    tag: str, subtag: str = "", subtag_message: str = "", return_to_sender: bool = False
) -> ShipmentStatus:
    """AfterShip's (tag, subtag) in orderwatch's words; UNKNOWN for a tag not mapped."""
    main = TAGS.get(tag)
    if main is None:
        return ShipmentStatus.UNKNOWN
    words = subtag_message.casefold()
    if return_to_sender or "return" in words:
        if main == ShipmentStatus.DELIVERED or "returned" in words:
            return ShipmentStatus.RETURNED
        if main in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.EXCEPTION):
            return ShipmentStatus.RETURNING
    return SUBTAGS.get(subtag, main) if subtag.startswith(tag) else main


def sign(body: bytes, secret: str) -> str:
    """The ``aftership-hmac-sha256`` header AfterShip sends with a webhook of ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_webhook(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether ``signature`` is AfterShip's for these exact bytes (constant-time compare)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(body, secret), signature.strip())


def _location(scan: JSON) -> str:
    if scan.get("location"):
        return str(scan["location"])
    parts = (
        scan.get("city"),
        scan.get("state"),
        scan.get("country_name") or scan.get("country_iso3"),
    )
    return ", ".join(str(part) for part in parts if part)


def _carrier(slug: str) -> str:
    row = carrier_by_aftership(slug)
    return row.code if row else normalize_carrier(slug)


def _eta(tracking: JSON) -> Any:
    latest = tracking.get("latest_estimated_delivery") or {}
    estimate = tracking.get("aftership_estimated_delivery_date") or {}
    for value in (
        latest.get("datetime") or latest.get("datetime_max"),
        estimate.get("estimated_delivery_date"),
        tracking.get("expected_delivery"),
    ):
        eta = read_day(value)
        if eta is not None:
            return eta
    return None


def track_record(tracking: JSON, provider: str) -> TrackRecord:
    """One AfterShip tracking object as a :class:`TrackRecord`."""
    try:
        tag = str(tracking.get("tag") or "")
        subtag = str(tracking.get("subtag") or "")
        scans = []
        for scan in tracking.get("checkpoints") or ():
            status = shipment_status(
                str(scan.get("tag") or ""),
                str(scan.get("subtag") or ""),
                str(scan.get("subtag_message") or ""),
            )
            when = read_time(scan.get("checkpoint_time"))
            raw = scan.get("subtag") or scan.get("tag") or ""
            scans.append(
                (when, checkpoint(when, scan.get("message"), _location(scan), status, raw))
            )
        return TrackRecord(
            provider=provider,
            tracking_number=str(tracking["tracking_number"]),
            carrier=_carrier(str(tracking.get("slug") or "")),
            status=shipment_status(
                tag,
                subtag,
                str(tracking.get("subtag_message") or ""),
                bool(tracking.get("return_to_sender")),
            ),
            status_raw=tag,
            substatus_raw=subtag,
            checkpoints=chronological(scans, newest_first=False),
            raw=tracking,
            eta=_eta(tracking),
            signed_by=str(tracking.get("signed_by") or ""),
            provider_ref=str(tracking.get("id") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        number = tracking.get("tracking_number") if isinstance(tracking, dict) else None
        raise PayloadError(f"{provider}: unreadable tracking {number!r}: {exc}") from exc


def meta_code(body: JSON) -> int:
    meta = body.get("meta")
    code = meta.get("code") if isinstance(meta, dict) else None
    return code if isinstance(code, int) else 0


def trackings(body: JSON, provider: str) -> list[JSON]:
    """The tracking objects in any body the connector reads (see the module docstring)."""
    if isinstance(body.get("msg"), dict):
        return [body["msg"]]
    code = meta_code(body)
    if code and code not in (200, 201):
        message = body["meta"].get("message") or body["meta"].get("type") or ""
        raise PayloadError(f"{provider}: AfterShip answered {code} {message}".rstrip())
    data = body.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"{provider}: not an AfterShip body (no data, no msg)")
    if isinstance(data.get("trackings"), list):
        return [item for item in data["trackings"] if isinstance(item, dict)]
    if isinstance(data.get("tracking"), dict):
        return [data["tracking"]]
    if "tracking_number" in data:
        return [data]
    raise PayloadError(f"{provider}: AfterShip data holds no tracking")


def parse_body(body: JSON, provider: str) -> list[TrackRecord]:
    return [track_record(item, provider) for item in trackings(body, provider)]


def more_pages(body: JSON) -> tuple[bool, str]:
    """Whether a list response has more pages, and the next cursor when it pages by cursor."""
    data = body.get("data") or {}
    pagination = data.get("pagination") or {}
    if "has_next_page" in pagination:
        return bool(pagination.get("has_next_page")), str(pagination.get("next_cursor") or "")
    page, limit, count = data.get("page"), data.get("limit"), data.get("count")
    if isinstance(page, int) and isinstance(limit, int) and isinstance(count, int):
        return page * limit < count, ""
    return False, ""
