"""The simulated shop's parcels as 17TRACK's Tracking API v2.2 serves them.

``register``, ``gettrackinfo``, ``stoptrack`` and ``retrack`` take a JSON list of
``{number, carrier}`` (at most 40) and answer
``{"code": 0, "data": {"accepted": [...], "rejected": [...]}}`` with 17TRACK's error codes
for numbers registered twice, not registered, already stopped, or of an undetectable carrier;
``getquota`` reports the registration quota. Events come newest first, as 17TRACK sends them;
China EMS domestic scans carry no zone (``time_utc`` null), a quirk real feeds have and the
connector must survive.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.parcels import TRACK17_STATUS, Scan, scan_text
from daemon.simulator.shop import Shop, TrackState
from sync.carriers import carrier
from sync.clock import Clock

JSON = dict[str, Any]
MAX_NUMBERS = 40
INVALID_KEY = -18010002
TOO_MANY = -18010014
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
CARRIER_UNDETECTED = -18019903
STOP_ONLY_TRACKING = -18019906
RETRACK_REFUSED = -18019910
"""This simulator's code for a number that is not stopped or was retracked before (17TRACK
restarts a stopped number once)."""
QUOTA = 1100
ORIGIN_EVENTS = (Scan.INFO, Scan.PICKED_UP, Scan.DEPARTED)
MILESTONES = (
    ("InfoReceived", Scan.INFO),
    ("PickedUp", Scan.PICKED_UP),
    ("Departure", Scan.DEPARTED),
    ("Arrival", Scan.ARRIVED),
    ("AvailableForPickup", None),
    ("OutForDelivery", Scan.OUT_FOR_DELIVERY),
    ("Delivered", Scan.DELIVERED),
    ("Returning", Scan.RETURNING),
    ("Returned", None),
)
PROVIDER_NAMES = {
    "sf": ("SF Express", "顺丰速运", "https://www.sf-express.com/"),
    "zto": ("ZTO Express", "中通快递", "https://www.zto.com/"),
    "yto": ("YTO Express", "圆通速递", "https://www.yto.net.cn/"),
    "jd": ("JD Logistics", "京东物流", "https://www.jdl.com/"),
    "ems": ("China EMS", "中国邮政EMS", "https://www.ems.com.cn/"),
    "dhl": ("DHL", "DHL", "https://www.dhl.com/"),
    "ups": ("UPS", "UPS", "https://www.ups.com/"),
}


def error_body(code: int, message: str) -> JSON:
    return {"code": code, "data": {"errors": [{"code": code, "message": message}]}}


def _rejected(number: str, carrier_key: int, code: int, message: str) -> JSON:
    return {"number": number, "carrier": carrier_key, "error": {"code": code, "message": message}}


def _carrier_key(code: str) -> int:
    row = carrier(code)
    return row.track17 if row else 0


class Track17:
    """Handlers of ``POST /track/v2.2/register`` and ``POST /track/v2.2/gettrackinfo``."""

    def __init__(self, shop: Shop, clock: Clock, token: str) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token
        self.registered: dict[str, int] = {}
        self.stopped: set[str] = set()
        self.retracked: set[str] = set()
        self.calls: dict[str, int] = {}

    async def _items(self, request: Request) -> list[JSON] | Response:
        operation = request.url.path.rsplit("/", 1)[-1]
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if request.headers.get("17token") != self.token:
            return JSONResponse(error_body(INVALID_KEY, "The access key is invalid."), 401)
        try:
            items = json.loads(await request.body())
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("number"), str) for item in items
        ):
            return JSONResponse(error_body(-18010012, "The data format is incorrect."))
        if len(items) > MAX_NUMBERS:
            message = f"The submitted numbers exceed the limit of {MAX_NUMBERS}."
            return JSONResponse(error_body(TOO_MANY, message))
        return items

    def _detect(self, number: str, hint: Any) -> int | None:
        """17TRACK's carrier key for ``number``, or None when it cannot be detected."""
        index = self.shop.order_for_tracking(number)
        if index is not None:
            key = _carrier_key(self.shop.details(index).carrier)
            return key or (int(hint) if isinstance(hint, int) else 0)
        return int(hint) if isinstance(hint, int) and hint > 0 else None

    async def register(self, request: Request) -> Response:
        items = await self._items(request)
        if isinstance(items, Response):
            return items
        accepted: list[JSON] = []
        rejected: list[JSON] = []
        for item in items:
            number = item["number"]
            if number in self.registered:
                message = f"The tracking number '{number}' has been registered, don't need to "
                message += "repeat registration."
                rejected.append(
                    _rejected(number, self.registered[number], ALREADY_REGISTERED, message)
                )
                continue
            key = self._detect(number, item.get("carrier"))
            if key is None:
                message = "The carrier cannot be detected, please specify a carrier."
                rejected.append(_rejected(number, 0, CARRIER_UNDETECTED, message))
                continue
            self.registered[number] = key
            accepted.append({"origin": 1, "number": number, "carrier": key})
        return JSONResponse({"code": 0, "data": {"accepted": accepted, "rejected": rejected}})

    async def stoptrack(self, request: Request) -> Response:
        items = await self._items(request)
        if isinstance(items, Response):
            return items
        accepted: list[JSON] = []
        rejected: list[JSON] = []
        for item in items:
            number = item["number"]
            if number not in self.registered:
                message = f"The tracking number '{number}' does not register."
                rejected.append(_rejected(number, 0, NOT_REGISTERED, message))
            elif number in self.stopped:
                message = f"The tracking number '{number}' has been stopped."
                rejected.append(
                    _rejected(number, self.registered[number], STOP_ONLY_TRACKING, message)
                )
            else:
                self.stopped.add(number)
                accepted.append({"number": number, "carrier": self.registered[number]})
        return JSONResponse({"code": 0, "data": {"accepted": accepted, "rejected": rejected}})

    async def retrack(self, request: Request) -> Response:
        items = await self._items(request)
        if isinstance(items, Response):
            return items
        accepted: list[JSON] = []
        rejected: list[JSON] = []
        for item in items:
            number = item["number"]
            if number not in self.registered:
                message = f"The tracking number '{number}' does not register."
                rejected.append(_rejected(number, 0, NOT_REGISTERED, message))
            elif number in self.retracked or number not in self.stopped:
                message = f"The tracking number '{number}' cannot be retracked again."
                key = self.registered[number]
                rejected.append(_rejected(number, key, RETRACK_REFUSED, message))
            else:
                self.stopped.discard(number)
                self.retracked.add(number)
                accepted.append({"number": number, "carrier": self.registered[number]})
        return JSONResponse({"code": 0, "data": {"accepted": accepted, "rejected": rejected}})

    async def getquota(self, request: Request) -> Response:
        if request.headers.get("17token") != self.token:
            return JSONResponse(error_body(INVALID_KEY, "The access key is invalid."), 401)
        used = len(self.registered)
        data = {
            "quota_total": QUOTA,
            "quota_used": used,
            "quota_remain": max(0, QUOTA - used),
            "today_used": used,
            "max_track_daily": 10_000_000,
            "free_email_quota": 300,
            "free_email_quotaused": 0,
        }
        return JSONResponse({"code": 0, "data": data})

    def accepted_item(self, number: str) -> JSON | None:
        """The ``gettrackinfo`` item of a registered ``number`` as it stands (for pushes)."""
        if number not in self.registered:
            return None
        at = self.clock.now()
        index = self.shop.order_for_tracking(number)
        track = None
        if index is not None and self.shop.count_at(at) > index:
            track = self.shop.track_state(index, at)
        return self._accepted(number, self.registered[number], track, at)

    async def gettrackinfo(self, request: Request) -> Response:
        items = await self._items(request)
        if isinstance(items, Response):
            return items
        at = self.clock.now()
        accepted: list[JSON] = []
        rejected: list[JSON] = []
        for item in items:
            number = item["number"]
            if number not in self.registered:
                message = f"The tracking number '{number}' does not register, please register "
                message += "first."
                rejected.append(_rejected(number, 0, NOT_REGISTERED, message))
                continue
            index = self.shop.order_for_tracking(number)
            track = None
            if index is not None and self.shop.count_at(at) > index:
                track = self.shop.track_state(index, at)
            accepted.append(self._accepted(number, self.registered[number], track, at))
        return JSONResponse({"code": 0, "data": {"accepted": accepted, "rejected": rejected}})

    def _accepted(self, number: str, key: int, track: TrackState | None, at: datetime) -> JSON:
        return {
            "number": number,
            "carrier": key,
            "param": None,
            "tag": None,
            "track_info": track_info(track, key, at),
        }


def _event(track: TrackState, moment: datetime, scan: Scan) -> JSON:
    origin = scan in ORIGIN_EVENTS
    chinese = track.chinese or origin
    dest = track.destination
    hours = 8 if origin else dest.utc_offset
    local = moment.astimezone(timezone(timedelta(hours=hours)))
    if chinese:
        where = "深圳" if origin else dest.city.removesuffix("市")
        location = "深圳市" if origin else f"{dest.province}{dest.city}"
    else:
        where = dest.city
        location = f"{dest.city.upper()}, {dest.country}"
    _, sub_status, stage = TRACK17_STATUS[scan]
    zoneless = track.carrier == "ems" and track.chinese
    return {
        "time_iso": local.strftime("%Y-%m-%dT%H:%M:%S") if zoneless else local.isoformat(),
        "time_utc": None if zoneless else moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_raw": {
            "date": local.strftime("%Y-%m-%d"),
            "time": local.strftime("%H:%M:%S"),
            "timezone": None if zoneless else local.isoformat()[-6:],
        },
        "description": scan_text(scan, chinese=track.chinese, where=where),
        "location": location,
        "stage": stage,
        "sub_status": sub_status,
        "address": {"country": "CN" if origin else dest.country, "state": None, "city": None},
    }


def track_info(track: TrackState | None, key: int, at: datetime) -> JSON:
    """17TRACK's ``track_info`` for a parcel whose scans up to ``at`` are ``track``'s."""
    scans = track.scans if track else ()
    events = [_event(track, moment, scan) for moment, scan in reversed(scans)] if track else []
    if scans:
        status, sub_status, _ = TRACK17_STATUS[scans[-1][1]]
    else:
        status, sub_status = "NotFound", "NotFound_Other"
    seen = {scan: moment for moment, scan in scans}
    first = scans[0][0] if scans else None
    last = scans[-1][0] if scans else None
    delivered = seen.get(Scan.DELIVERED)
    english, chinese_name, homepage = PROVIDER_NAMES.get(
        track.carrier if track else "", ("Unknown", "Unknown", "")
    )
    return {
        "shipping_info": {
            "shipper_address": {"country": "CN", "state": None, "city": None},
            "recipient_address": {
                "country": track.destination.country if track else None,
                "state": track.destination.province if track else None,
                "city": track.destination.city if track else None,
            },
        },
        "latest_status": {"status": status, "sub_status": sub_status, "sub_status_descr": None},
        "latest_event": events[0] if events else None,
        "time_metrics": {
            "days_after_order": (at - first).days if first else 0,
            "days_of_transit": ((delivered or at) - first).days if first else 0,
            "days_of_transit_done": (delivered - first).days if delivered and first else 0,
            "days_after_last_update": (at - last).days if last else 0,
            "estimated_delivery_date": {"source": None, "from": None, "to": None},
        },
        "milestone": [
            {
                "key_stage": stage,
                "time_iso": _iso_or_none(seen.get(scan) if scan else None),
                "time_utc": _iso_or_none(seen.get(scan) if scan else None),
            }
            for stage, scan in MILESTONES
        ],
        "misc_info": {"risk_factor": 0, "service_type": None, "local_number": "", "local_key": 0},
        "tracking": {
            "providers_hash": hash((key, len(events))) & 0x7FFFFFFF,
            "providers": [
                {
                    "provider": {
                        "key": key,
                        "name": chinese_name if track and track.chinese else english,
                        "alias": english,
                        "tel": None,
                        "homepage": homepage,
                        "country": "CN",
                    },
                    "service_type": None,
                    "latest_sync_status": "Success",
                    "latest_sync_time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "events_hash": len(events),
                    "events": events,
                }
            ]
            if track
            else [],
        },
    }


def _iso_or_none(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
