"""Couriers of the simulated shop: tracking-number formats, how the shop writes their names,
and the words their scans use.

Every tracking number carries its order's index in seven fixed digits, so the tracking service
side of the simulator finds the order behind a number without an index of all numbers; a
per-order salt makes the rest of the number look like a real waybill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Scan(StrEnum):
    """A courier scan kind, and the 17TRACK (status, sub-status, stage) it reports."""

    INFO = "info"
    PICKED_UP = "picked_up"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    CUSTOMS = "customs"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED = "failed"
    ADDRESS = "address"
    RETURNING = "returning"


TRACK17_STATUS: dict[Scan, tuple[str, str, str | None]] = {
    Scan.INFO: ("InfoReceived", "InfoReceived", "InfoReceived"),
    Scan.PICKED_UP: ("InTransit", "InTransit_PickedUp", "PickedUp"),
    Scan.DEPARTED: ("InTransit", "InTransit_Departure", "Departure"),
    Scan.ARRIVED: ("InTransit", "InTransit_Arrival", "Arrival"),
    Scan.CUSTOMS: ("InTransit", "InTransit_CustomsRequiringInformation", None),
    Scan.OUT_FOR_DELIVERY: ("OutForDelivery", "OutForDelivery_Other", "OutForDelivery"),
    Scan.DELIVERED: ("Delivered", "Delivered_Other", "Delivered"),
    Scan.FAILED: ("DeliveryFailure", "DeliveryFailure_NoBody", None),
    Scan.ADDRESS: ("DeliveryFailure", "DeliveryFailure_InvalidAddress", None),
    Scan.RETURNING: ("Exception", "Exception_Returning", "Returning"),
}

CN_TEXT: dict[Scan, str] = {
    Scan.INFO: "已收到寄件人的电子运单信息",
    Scan.PICKED_UP: "快件已被揽收",
    Scan.DEPARTED: "快件已从{where}转运中心发出",
    Scan.ARRIVED: "快件已到达{where}转运中心",
    Scan.CUSTOMS: "清关中，需收件人补充身份信息",
    Scan.OUT_FOR_DELIVERY: "快件派送中，请保持电话畅通",
    Scan.DELIVERED: "已签收，签收人：本人",
    Scan.FAILED: "派送失败：收件人不在，将再次派送",
    Scan.ADDRESS: "地址信息有误，无法派送，请联系客服",
    Scan.RETURNING: "快件退回中",
}
EN_TEXT: dict[Scan, str] = {
    Scan.INFO: "Shipment information received",
    Scan.PICKED_UP: "Shipment picked up",
    Scan.DEPARTED: "Departed facility in {where}",
    Scan.ARRIVED: "Arrived at sort facility {where}",
    Scan.CUSTOMS: "Clearance delay - importer documentation required",
    Scan.OUT_FOR_DELIVERY: "Out for delivery",
    Scan.DELIVERED: "Delivered - signed for by receiver",
    Scan.FAILED: "Delivery attempted - receiver not available",
    Scan.ADDRESS: "Address information needed; contact the sender",
    Scan.RETURNING: "Returning to shipper",
}

# Fulfillment.displayStatus after the scans the shop platform hears about.
SHOP_DISPLAY_STATUS: dict[Scan, str] = {
    Scan.DELIVERED: "DELIVERED",
    Scan.FAILED: "ATTEMPTED_DELIVERY",
    Scan.ADDRESS: "FAILURE",
    Scan.RETURNING: "FAILURE",
}


@dataclass(frozen=True, slots=True)
class Courier:
    code: str
    """orderwatch's carrier code (see ``sync.carriers``)."""
    shop_names: tuple[str, ...]
    """How merchants type the company into the shop platform."""
    url: str
    chinese_scans: bool
    pattern: re.Pattern[str]


_GENERIC_URL = "https://t.17track.net/en#nums={number}"

COURIERS: dict[str, Courier] = {
    "sf": Courier(
        "sf", ("SF Express", "顺丰速运"), _GENERIC_URL, True, re.compile(r"SF\d{6}(\d{7})")
    ),
    "zto": Courier(
        "zto", ("ZTO Express", "中通快递"), _GENERIC_URL, True, re.compile(r"7\d{4}(\d{7})")
    ),
    "yto": Courier(
        "yto", ("YTO Express", "圆通速递"), _GENERIC_URL, True, re.compile(r"YT\d{6}(\d{7})")
    ),
    "jd": Courier(
        "jd", ("JD Logistics", "京东物流"), _GENERIC_URL, True, re.compile(r"JD\d{6}(\d{7})")
    ),
    "ems": Courier(
        "ems",
        ("China EMS", "EMS"),
        _GENERIC_URL,
        True,
        re.compile(r"(?:1\d{5}(\d{7})|E[A-Z]\d(\d{7})\dCN)"),
    ),
    "dhl": Courier(
        "dhl",
        ("DHL Express",),
        "https://www.dhl.com/en/express/tracking.html?AWB={number}",
        False,
        re.compile(r"\d{3}(\d{7})"),
    ),
    "ups": Courier(
        "ups",
        ("UPS",),
        "https://www.ups.com/track?tracknum={number}",
        False,
        re.compile(r"1Z[0-9A-Z]{6}03(\d{7})\d"),
    ),
}

CN_MIX = (("sf", 0.30), ("zto", 0.22), ("yto", 0.18), ("jd", 0.18), ("ems", 0.12))
WEST_MIX = (("dhl", 0.40), ("ups", 0.35), ("ems", 0.25))
_UPS_SALT = "ABCDEFGHJKLMNPRSTUVWXY0123456789"


def _s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an eight-digit serial (used on international EMS items)."""
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def tracking_number(code: str, index: int, salt: int, *, domestic: bool) -> str:
    """A waybill number of carrier ``code`` for order ``index``; ``salt`` is any large int."""
    serial = f"{index:07d}"
    if code == "zto":
        return f"7{salt % 10**4:04d}{serial}"
    if code == "ems" and domestic:
        return f"1{salt % 10**5:05d}{serial}"
    if code == "ems":
        body = f"{salt % 10}{serial}"
        return f"E{chr(ord('A') + salt % 26)}{body}{_s10_check_digit(body)}CN"
    if code == "dhl":
        return f"{salt % 1000:03d}{serial}"
    if code == "ups":
        letters = "".join(_UPS_SALT[(salt >> (5 * k)) % len(_UPS_SALT)] for k in range(6))
        return f"1Z{letters}03{serial}{salt % 10}"
    prefix = {"sf": "SF", "yto": "YT", "jd": "JD"}[code]
    return f"{prefix}{salt % 10**6:06d}{serial}"


def index_in_number(number: str) -> int | None:
    """The order index a simulated tracking number carries, or None for a foreign number."""
    for courier in COURIERS.values():
        match = courier.pattern.fullmatch(number)
        if match:
            digits = next(group for group in match.groups() if group)
            return int(digits)
    return None


def scan_text(scan: Scan, *, chinese: bool, where: str) -> str:
    template = (CN_TEXT if chinese else EN_TEXT)[scan]
    return template.format(where=where)
