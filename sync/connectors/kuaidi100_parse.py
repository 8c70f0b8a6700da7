"""Kuaidi100 (快递100) payloads → tracks: real-time query answers, pushes, and their signatures.

A query answer and a push's ``lastResult`` share one shape: ``nu`` (the number), ``com`` (the
company code), ``state`` (Kuaidi100's aggregate status, basic or advanced with ``resultv2=4``),
``condition``, ``ischeck`` ("1" once signed) and ``data``, the scans newest first. Times are
``yyyy-MM-dd HH:mm:ss`` with no zone: Kuaidi100 documents them as China time, so they are read
as Asia/Shanghai and still flagged zone-less.

A push arrives as form fields ``param`` (the JSON) and ``sign`` = uppercase MD5 of ``param`` and
the ``salt`` given when subscribing; a query is signed with uppercase MD5 of param, key and
customer. ``status=abort`` in a push means Kuaidi100 gave up: "3天查询无记录" (nothing found in
three days) or "60天无变化" (no change for sixty days).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import parse_qs

from sync.carriers import carrier_by_kuaidi100, normalize_carrier
from sync.connectors.tracks import (
    CHINA,
    checkpoint,
    chronological,
    last_signer,
    read_day,
    read_time,
)
from sync.domain import ShipmentStatus, TrackRecord
from sync.errors import PayloadError

JSON = dict[str, Any]

STATE = {
    "0": ShipmentStatus.IN_TRANSIT,  # 在途
    "1": ShipmentStatus.IN_TRANSIT,  # 揽收: picked up
    "2": ShipmentStatus.EXCEPTION,  # 疑难
    "3": ShipmentStatus.DELIVERED,  # 签收
    "4": ShipmentStatus.RETURNED,  # 退签: the return was signed for
    "5": ShipmentStatus.OUT_FOR_DELIVERY,  # 派件
    "6": ShipmentStatus.RETURNING,  # 退回
    "7": ShipmentStatus.IN_TRANSIT,  # 转投: handed to another courier
    "8": ShipmentStatus.IN_TRANSIT,  # 清关 (older value)
    "10": ShipmentStatus.IN_TRANSIT,  # 待清关
    "11": ShipmentStatus.IN_TRANSIT,  # 清关中
    "12": ShipmentStatus.IN_TRANSIT,  # 已清关
    "13": ShipmentStatus.EXCEPTION,  # 清关异常
    "14": ShipmentStatus.REFUSED,  # 拒签
}
ADVANCED = {
    "101": ShipmentStatus.INFO_RECEIVED,  # 已下单
    "102": ShipmentStatus.INFO_RECEIVED,  # 待揽收
    "103": ShipmentStatus.IN_TRANSIT,  # 已揽收
    "501": ShipmentStatus.AVAILABLE_FOR_PICKUP,  # 投柜或驿站
    "401": ShipmentStatus.CANCELLED,  # 已销单
}
"""Advanced states (``resultv2=4``) that say more than their basic state; the others read as
the basic state they refine (``301`` → ``3``, ``1002`` → ``0``)."""
LABELS = {
    "在途": "0",
    "揽收": "1",
    "疑难": "2",
    "签收": "3",
    "退签": "4",
    "派件": "5",
    "退回": "6",
    "转投": "7",
    "清关": "8",
    "待清关": "10",
    "清关中": "11",
    "已清关": "12",
    "清关异常": "13",
    "拒签": "14",
    "已下单": "101",
    "待揽收": "102",
    "已揽收": "103",
    "投柜或驿站": "501",
    "已销单": "401",
}
"""The per-scan ``status`` words (``resultv2``) and the state each stands for."""


def shipment_status(state: str) -> ShipmentStatus:
    """Kuaidi100's ``state`` (basic or advanced) in orderwatch's words; UNKNOWN if not mapped."""
    state = state.strip()
    if state in ADVANCED:
        return ADVANCED[state]
    if state in STATE:
        return STATE[state]
    if state.isdigit() and len(state) == 4 and state.startswith("10"):
        return STATE["0"]  # 1001…: 在途 refined (到达派件城市, 干线, 转递)
    if state.isdigit() and len(state) == 3:
        return STATE.get(state[0], ShipmentStatus.UNKNOWN)
    return ShipmentStatus.UNKNOWN


def read_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (Kuaidi100's calls and pushes), each field
    decoded once, as the sender signed it; undecodable bytes are an error."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise PayloadError("form body is not UTF-8") from None
    return {key: values[-1] for key, values in fields.items()}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    """The ``sign`` of a real-time query: uppercase MD5 of param + key + customer."""
    return _md5(param + key + customer)


def push_sign(param: str, salt: str) -> str:
    """The ``sign`` Kuaidi100 sends with a push: uppercase MD5 of param + salt."""
    return _md5(param + salt)


def verify_push(param: str, signature: str | None, salt: str) -> bool:
    """Whether ``signature`` is Kuaidi100's for this exact ``param`` text (constant time)."""
    if not signature or not salt:
        return False
    return hmac.compare_digest(push_sign(param, salt), signature.strip().upper())


def _scan_status(item: JSON) -> tuple[ShipmentStatus, str]:
    code = str(item.get("statusCode") or "")
    label = str(item.get("status") or "")
    state = code or LABELS.get(label, "")
    return (shipment_status(state) if state else ShipmentStatus.UNKNOWN), code or label


_HOUR_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}$")


def _eta(result: JSON) -> Any:
    text = str(result.get("arrivalTime") or "").strip()
    if _HOUR_ONLY.match(text):
        text += ":00:00"  # "2023-03-02 18": the hour Kuaidi100 expects the parcel
    return read_day(text, CHINA)


def _carrier(com: str) -> str:
    row = carrier_by_kuaidi100(com)
    return row.code if row else normalize_carrier(com)


def track_record(
    result: JSON, provider: str, *, abort: str = "", com_override: str = ""
) -> TrackRecord:
    """A query answer or a push's ``lastResult`` as a :class:`TrackRecord`.

    ``abort`` is a push's message when Kuaidi100 stopped following the parcel.
    """
    try:
        state = str(result.get("state") if result.get("state") is not None else "")
        status = shipment_status(state)
        if result.get("ischeck") == "1" and status == ShipmentStatus.UNKNOWN:
            status = ShipmentStatus.DELIVERED
        if abort:
            status = ShipmentStatus.EXPIRED if "60" in abort else ShipmentStatus.NOT_FOUND
        scans = []
        for item in result.get("data") or ():
            when = read_time(item.get("ftime") or item.get("time"), CHINA)
            scan_status, scan_raw = _scan_status(item)
            where = item.get("location") or item.get("areaName") or ""
            scans.append(
                (when, checkpoint(when, item.get("context"), where, scan_status, scan_raw))
            )
        ordered = chronological(scans, newest_first=True)
        return TrackRecord(
            provider=provider,
            tracking_number=str(result["nu"]),
            carrier=_carrier(com_override or str(result.get("com") or "")),
            status=status,
            status_raw=state,
            substatus_raw=f"abort: {abort}" if abort else str(result.get("condition") or ""),
            checkpoints=ordered,
            raw=result,
            eta=_eta(result),
            signed_by=last_signer(ordered),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{provider}: unreadable Kuaidi100 result: {exc}") from exc


def parse_query(body: JSON, provider: str) -> TrackRecord | None:
    """A real-time query answer; None when Kuaidi100 found nothing for the number."""
    if body.get("result") is False or "nu" not in body:
        return None
    return track_record(body, provider)


def parse_push(param: JSON, provider: str) -> TrackRecord | None:
    """The track in a push's ``param`` JSON; None when it carries no result."""
    result = param.get("lastResult")
    if not isinstance(result, dict) or not result.get("nu"):
        return None
    status = str(param.get("status") or "")
    abort = str(param.get("message") or "stopped") if status == "abort" else ""
    return track_record(result, provider, abort=abort, com_override=str(param.get("comNew") or ""))


def lost_reason(param: JSON) -> str:
    """Why Kuaidi100 stopped following the parcel of a push, "" while it still does.

    ``abort`` is giving up (with its message, such as 3天查询无记录); ``shutdown`` is the end
    of following, which only matters for a parcel that has not arrived.
    """
    status = str(param.get("status") or "")
    if status == "abort":
        return f"abort: {param.get('message') or 'stopped'}"
    if status == "shutdown":
        return f"shutdown: {param.get('message') or 'finished'}"
    return ""


def parse_body(body: JSON, provider: str) -> list[TrackRecord]:
    """A saved query answer or push ``param`` (for ``orderwatchd parse``)."""
    track = parse_push(body, provider) if "lastResult" in body else parse_query(body, provider)
    return [] if track is None else [track]
