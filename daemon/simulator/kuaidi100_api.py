"""The simulated shop's parcels as Kuaidi100 (快递100) serves them.

- ``POST /poll``: subscribe, form ``schema=json`` and ``param`` (``company``, ``number``, ``key``,
  ``parameters`` with ``callbackurl`` and ``salt``); answers ``{"result": true, "returnCode":
  "200", "message": "提交成功"}``, ``501`` for a number subscribed twice, ``600`` for a bad key;
- ``POST /poll/query.do``: the real-time query, form ``customer``, ``param`` and ``sign`` =
  uppercase MD5 of param + key + customer; ``503`` when the sign is wrong, ``500`` when nothing is
  known of the number, ``408`` for an SF parcel queried without the buyer's phone.

Results use advanced states (``resultv2=4``), scans newest first unless ``order=asc``, times
``yyyy-MM-dd HH:mm:ss`` on China time with no zone. Pushes to the subscribers' ``callbackurl``
are sent by :mod:`daemon.simulator.track_pushes`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.parcels import Scan
from daemon.simulator.shop import Shop, TrackState
from daemon.simulator.track_words import KUAIDI100_STATES, china_time, scan_view
from sync.carriers import carrier
from sync.clock import Clock
from sync.connectors.kuaidi100_parse import read_form

JSON = dict[str, Any]
DEFAULT_KEY = "demo-kuaidi100-key"
DEFAULT_CUSTOMER = "DEMOCUSTOMER0001"
PHONE_NEEDED = frozenset({"shunfeng"})
"""Companies whose real-time query needs the last four digits of the buyer's phone."""


@dataclass(slots=True)
class Subscription:
    number: str
    company: str
    callback: str
    salt: str
    at: datetime


def answer(ok: bool, code: str, message: str) -> Response:
    return JSONResponse({"result": ok, "returnCode": code, "message": message})


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


class Kuaidi100:
    """Handlers of the simulated Kuaidi100 account."""

    def __init__(
        self,
        shop: Shop,
        clock: Clock,
        key: str = DEFAULT_KEY,
        customer: str = DEFAULT_CUSTOMER,
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.key = key
        self.customer = customer
        self.subscriptions: dict[str, Subscription] = {}
        self.queries = 0

    async def subscribe(self, request: Request) -> Response:
        form = read_form(await request.body())
        try:
            param = json.loads(form.get("param", ""))
            number = str(param["number"])
            parameters = param.get("parameters") or {}
        except (ValueError, KeyError, TypeError):
            return answer(False, "400", "参数错误")
        if param.get("key") != self.key:
            return answer(False, "600", "您不是合法的订阅者（即授权Key出错）")
        if number in self.subscriptions:
            return answer(False, "501", "重复订阅")
        self.subscriptions[number] = Subscription(
            number=number,
            company=str(param.get("company") or self._company(number)),
            callback=str(parameters.get("callbackurl") or ""),
            salt=str(parameters.get("salt") or ""),
            at=self.clock.now(),
        )
        return answer(True, "200", "提交成功")

    def _company(self, number: str) -> str:
        index = self.shop.order_for_tracking(number)
        row = carrier(self.shop.details(index).carrier) if index is not None else None
        return row.kuaidi100 if row and row.kuaidi100 else "auto"

    async def query(self, request: Request) -> Response:
        self.queries += 1
        form = read_form(await request.body())
        customer, text, sign = (form.get(k, "") for k in ("customer", "param", "sign"))
        if customer != self.customer or sign != _md5(text + self.key + customer):
            return answer(False, "503", "验证签名失败")
        try:
            param = json.loads(text)
            number = str(param["num"])
        except (ValueError, KeyError, TypeError):
            return answer(False, "400", "找不到对应公司")
        track = self.track(number)
        if track is None or not track.scans:
            return answer(False, "500", "查询无结果，请隔段时间再查")
        company = str(param.get("com") or self._company(number))
        if company in PHONE_NEEDED and not self._phone_matches(track, str(param.get("phone"))):
            return answer(False, "408", "快递公司参数异常：电话号码校验不通过")
        return JSONResponse(result(track, company, newest_first=param.get("order") != "asc"))

    def _phone_matches(self, track: TrackState, given: str) -> bool:
        details = self.shop.details(track.index)
        phones = (details.customer.phone, details.address.phone)
        digits = ["".join(ch for ch in phone if ch.isdigit()) for phone in phones]
        return len(given) >= 4 and any(d.endswith(given[-4:]) for d in digits if d)

    def track(self, number: str) -> TrackState | None:
        index = self.shop.order_for_tracking(number)
        at = self.clock.now()
        if index is None or self.shop.count_at(at) <= index:
            return None
        return self.shop.track_state(index, at)


def result(track: TrackState, company: str, *, newest_first: bool = True) -> JSON:
    """A query answer, and a push's ``lastResult``, for ``track`` as it stands."""
    scans = track.scans
    state = KUAIDI100_STATES[scans[-1][1]][0] if scans else "0"
    items = []
    for moment, scan in scans:
        view = scan_view(track, moment, scan)
        code, word = KUAIDI100_STATES[scan]
        stamp = china_time(moment)
        items.append(
            {
                "time": stamp,
                "ftime": stamp,
                "context": view.description,
                "location": view.city,
                "areaName": view.location,
                "status": word,
                "statusCode": code,
            }
        )
    if newest_first:
        items.reverse()
    delivered = any(scan == Scan.DELIVERED for _, scan in scans)
    body: JSON = {
        "message": "ok",
        "nu": track.number,
        "ischeck": "1" if delivered else "0",
        "condition": "F00",
        "com": company,
        "status": "200",
        "state": state,
        "data": items,
    }
    if scans and not delivered:
        body["arrivalTime"] = china_time(scans[0][0] + timedelta(days=3))[:13]
    return body
