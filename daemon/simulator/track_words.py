"""How AfterShip and Kuaidi100 word the simulated courier scans, and where and when each happens.

:func:`scan_view` gives one scan's local time, place and words, the way every tracking service
of the simulator shows it: origin scans happen in Shenzhen on China time, the others at the
destination on its clock; China EMS domestic scans carry no zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from daemon.simulator.parcels import Scan, scan_text
from daemon.simulator.shop import TrackState

ORIGIN_SCANS = (Scan.INFO, Scan.PICKED_UP, Scan.DEPARTED)

AFTERSHIP_TAGS: dict[Scan, tuple[str, str, str]] = {
    Scan.INFO: ("InfoReceived", "InfoReceived_001", "Info Received"),
    Scan.PICKED_UP: ("InTransit", "InTransit_002", "Acceptance scan"),
    Scan.DEPARTED: ("InTransit", "InTransit_007", "Departure Scan"),
    Scan.ARRIVED: ("InTransit", "InTransit_003", "Arrival scan"),
    Scan.CUSTOMS: ("Exception", "Exception_004", "Delayed (Customs clearance)"),
    Scan.OUT_FOR_DELIVERY: ("OutForDelivery", "OutForDelivery_001", "Out for Delivery"),
    Scan.DELIVERED: ("Delivered", "Delivered_001", "Delivered"),
    Scan.FAILED: ("AttemptFail", "AttemptFail_001", "Failed Attempt"),
    Scan.ADDRESS: ("AttemptFail", "AttemptFail_003", "Failed Attempt"),
    Scan.RETURNING: ("Exception", "Exception_011", "Returning to sender"),
}
"""Scan → AfterShip (tag, subtag, subtag_message)."""

KUAIDI100_STATES: dict[Scan, tuple[str, str]] = {
    Scan.INFO: ("101", "已下单"),
    Scan.PICKED_UP: ("103", "揽收"),
    Scan.DEPARTED: ("1002", "在途"),
    Scan.ARRIVED: ("1002", "在途"),
    Scan.CUSTOMS: ("13", "清关异常"),
    Scan.OUT_FOR_DELIVERY: ("5", "派件"),
    Scan.DELIVERED: ("301", "签收"),
    Scan.FAILED: ("2", "疑难"),
    Scan.ADDRESS: ("2", "疑难"),
    Scan.RETURNING: ("6", "退回"),
}
"""Scan → Kuaidi100 (advanced state with ``resultv2=4``, the scan's status word)."""


@dataclass(frozen=True, slots=True)
class ScanView:
    local: datetime
    """The scan's time on the local clock of where it happened (aware)."""
    zoneless: bool
    location: str
    city: str
    country: str
    description: str


def scan_view(track: TrackState, moment: datetime, scan: Scan) -> ScanView:
    origin = scan in ORIGIN_SCANS
    chinese = track.chinese or origin
    dest = track.destination
    local = moment.astimezone(timezone(timedelta(hours=8 if origin else dest.utc_offset)))
    if chinese:
        where = "深圳" if origin else dest.city.removesuffix("市")
        location = "深圳市" if origin else f"{dest.province}{dest.city}"
        city = "深圳市" if origin else dest.city
    else:
        where = dest.city
        location = f"{dest.city.upper()}, {dest.country}"
        city = dest.city
    return ScanView(
        local=local,
        zoneless=track.carrier == "ems" and track.chinese,
        location=location,
        city=city,
        country="CN" if origin else dest.country,
        description=scan_text(scan, chinese=track.chinese, where=where),
    )


def china_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` on China time, the way Kuaidi100 writes every time."""
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
