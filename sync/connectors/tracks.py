"""What every tracking connector needs to turn a vendor's scans into a track.

- :func:`read_time` reads a vendor time: an instant when it carries a zone (or when the zone is
  known otherwise: Kuaidi100 documents China time, and :func:`country_zone` gives the zone of a
  courier's country when it has a single one), else a flagged zone-less value;
- :func:`chronological` orders scans by absolute time, whatever order the vendor listed them in
  (17TRACK and Kuaidi100 list newest first, AfterShip oldest first);
- :func:`signer_in` finds who signed for a parcel in a delivery scan's words, for vendors that
  have no field for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sync.domain import Checkpoint, ShipmentStatus

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China time. It has had no daylight saving since 1991, so a fixed offset is exact and needs no
time-zone database."""


COUNTRY_ZONES: dict[str, timezone] = {
    **dict.fromkeys(("CN", "HK", "MO", "TW", "SG", "MY", "PH"), CHINA),
    "JP": timezone(timedelta(hours=9), "Asia/Tokyo"),
    "KR": timezone(timedelta(hours=9), "Asia/Seoul"),
    "TH": timezone(timedelta(hours=7), "Asia/Bangkok"),
    "VN": timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh"),
    "IN": timezone(timedelta(hours=5, minutes=30), "Asia/Kolkata"),
    "AE": timezone(timedelta(hours=4), "Asia/Dubai"),
    "SA": timezone(timedelta(hours=3), "Asia/Riyadh"),
}
"""Countries with one time zone and no daylight saving, whose couriers' zone-less scan times can
be read as an instant (still flagged zone-less). A country with several zones or a DST switch is
not here: its zone-less times keep no instant rather than a guess that is wrong half the year."""


def country_zone(*countries: object) -> timezone | None:
    """The zone of the first of ``countries`` (ISO codes, best first) that has exactly one."""
    for country in countries:
        zone = COUNTRY_ZONES.get(str(country or "").strip().upper())
        if zone is not None:
            return zone
    return None


@dataclass(frozen=True, slots=True)
class VendorTime:
    """A time as a vendor wrote it: ``at`` is the instant (UTC) when one is known."""

    at: datetime | None
    raw: str
    zoneless: bool
    """The vendor gave no zone (``at`` may still be set when the vendor documents its zone)."""
    order_by: datetime | None
    """A value to sort by: the instant, or the wall time read as UTC when there is none."""


def read_time(text: object, assume: timezone | None = None) -> VendorTime:
    """Read ``text`` (ISO 8601 with ``T`` or a space, a date, or empty).

    With an offset or ``Z`` it is an instant. Without one it is zone-less: an instant only if the
    vendor documents the zone (``assume``), never a guess. Unreadable text keeps no instant.
    """
    raw = "" if text is None else str(text).strip()
    if not raw:
        return VendorTime(None, raw, False, None)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return VendorTime(None, raw, True, None)
    if parsed.tzinfo is not None:
        instant = parsed.astimezone(UTC)
        return VendorTime(instant, raw, False, instant)
    if assume is not None:
        instant = parsed.replace(tzinfo=assume).astimezone(UTC)
        return VendorTime(instant, raw, True, instant)
    return VendorTime(None, raw, True, parsed.replace(tzinfo=UTC))


def read_day(text: object, assume: timezone = UTC) -> datetime | None:
    """A delivery estimate: a full time, or a bare date read as the start of that day."""
    raw = "" if text is None else str(text).strip()
    if not raw:
        return None
    read = read_time(raw, assume)
    if read.at is not None:
        return read.at
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return datetime.combine(day, time(), assume).astimezone(UTC)


def checkpoint(
    when: VendorTime,
    description: object,
    location: object = "",
    status: ShipmentStatus = ShipmentStatus.UNKNOWN,
    status_raw: object = "",
) -> Checkpoint:
    return Checkpoint(
        at=when.at,
        at_raw=when.raw,
        description=str(description or "").strip(),
        location=str(location or "").strip(),
        status=status,
        status_raw=str(status_raw or ""),
        zoneless=when.zoneless,
    )


def chronological(
    scans: Iterable[tuple[VendorTime, Checkpoint]], *, newest_first: bool
) -> tuple[Checkpoint, ...]:
    """The scans oldest first by absolute time.

    The vendor's own order breaks ties (two scans in the same second) and places scans with no
    readable time, so ``newest_first`` says which way the vendor lists them.
    """
    listed = list(scans)
    if newest_first:
        listed.reverse()
    keyed: list[tuple[datetime, int, Checkpoint]] = []
    previous = datetime.min.replace(tzinfo=UTC)
    for position, (when, scan) in enumerate(listed):
        order_by = when.order_by or previous
        previous = order_by
        keyed.append((order_by, position, scan))
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(scan for _, _, scan in keyed)


_SIGNER = (
    re.compile(r"签收人\s*[:：是为]?\s*[【\[(（]?([^\s，。,;；:：】\])）]{1,20})"),
    re.compile(r"signed\s+(?:for\s+)?by\s*[:：]?\s*([A-Za-z][\w .'-]{0,40}?)(?:[.,;]|$)", re.I),
)


def signer_in(text: str) -> str:
    """Who signed, as a delivery scan puts it ("签收人：王芳", "Signed for by: J SMITH"); "" if
    the words do not say."""
    for pattern in _SIGNER:
        found = pattern.search(text)
        if found:
            return found.group(1).strip()
    return ""


def last_signer(scans: Iterable[Checkpoint]) -> str:
    """The signer named by the latest delivered scan, if any."""
    signer = ""
    for scan in scans:
        if scan.status == ShipmentStatus.DELIVERED:
            signer = signer_in(scan.description) or signer
    return signer
