"""The simulated shop's parcels as AfterShip's Tracking API serves them (version ``2024-04``).

- ``POST /tracking/{version}/trackings``: create (``{"tracking": {...}}``); a number created
  twice answers 400 with meta code 4003, as AfterShip does;
- ``GET /tracking/{version}/trackings``: the list, filtered by ``tracking_numbers``,
  ``updated_at_min`` and ``created_at_min``, paged by ``page``/``limit`` (at most 200);
- ``GET /tracking/{version}/trackings/{slug}/{number}`` and ``…/trackings/{id}``: one tracking.

Header ``as-api-key``. Every answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (the Unix second the window reopens); past the limit the answer is 429
with AfterShip's ``TooManyRequests`` meta and no ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.parcels import Scan
from daemon.simulator.shop import Shop, TrackState
from daemon.simulator.track_words import AFTERSHIP_TAGS, scan_view
from sync.carriers import carrier
from sync.clock import Clock

JSON = dict[str, Any]
MAX_LIMIT = 200


@dataclass(slots=True)
class Entry:
    id: str
    number: str
    slug: str
    created_at: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def meta(code: int, message: str = "", kind: str = "") -> JSON:
    body: JSON = {"code": code}
    if message:
        body["message"] = message
    if kind:
        body["type"] = kind
    return body


def too_many_body() -> JSON:
    message = "You have exceeded the API call rate limit."
    return {"meta": meta(429, message, "TooManyRequests"), "data": {}}


class AfterShip:
    """Handlers of the simulated AfterShip account, with a per-second rate-limit window."""

    def __init__(self, shop: Shop, clock: Clock, token: str, *, per_second: int = 10) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token
        self.per_second = per_second
        self.entries: dict[str, Entry] = {}
        self.by_id: dict[str, Entry] = {}
        self._window = 0
        self._used = 0
        self.calls = 0

    def _limits(self) -> tuple[bool, dict[str, str]]:
        """Count one call against the current second; (allowed, rate-limit headers)."""
        self.calls += 1
        second = int(time.time())
        if second != self._window:
            self._window, self._used = second, 0
        self._used += 1
        remaining = max(0, self.per_second - self._used)
        headers = {
            "X-RateLimit-Limit": str(self.per_second),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(second + 1),
        }
        return self._used <= self.per_second, headers

    def _answer(self, body: JSON, status: int, headers: dict[str, str]) -> Response:
        return JSONResponse(body, status_code=status, headers=headers)

    async def _guard(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        allowed, headers = self._limits()
        if request.headers.get("as-api-key") != self.token:
            body = {"meta": meta(401, "Invalid API Key.", "Unauthorized"), "data": {}}
            return self._answer(body, 401, headers), headers
        if not allowed:
            return self._answer(too_many_body(), 429, headers), headers
        return None, headers

    async def create(self, request: Request) -> Response:
        refused, headers = await self._guard(request)
        if refused is not None:
            return refused
        try:
            item = json.loads(await request.body())["tracking"]
            number = str(item["tracking_number"])
        except (ValueError, KeyError, TypeError):
            body = {"meta": meta(4001, "Invalid JSON data.", "BadRequest"), "data": {}}
            return self._answer(body, 400, headers)
        if number in self.entries:
            entry = self.entries[number]
            body = {
                "meta": meta(4003, "Tracking already exists.", "BadRequest"),
                "data": {
                    "tracking": {"id": entry.id, "slug": entry.slug, "tracking_number": number}
                },
            }
            return self._answer(body, 400, headers)
        slug = str(item.get("slug") or self._detect(number))
        entry = Entry(
            id=hashlib.md5(number.encode()).hexdigest()[:24],
            number=number,
            slug=slug,
            created_at=self.clock.now(),
        )
        self.entries[number] = entry
        self.by_id[entry.id] = entry
        body = {"meta": meta(201), "data": {"tracking": self.tracking(entry)}}
        return self._answer(body, 201, headers)

    def _detect(self, number: str) -> str:
        index = self.shop.order_for_tracking(number)
        row = carrier(self.shop.details(index).carrier) if index is not None else None
        return row.aftership if row and row.aftership else "china-post"

    async def listing(self, request: Request) -> Response:
        refused, headers = await self._guard(request)
        if refused is not None:
            return refused
        query = request.query_params
        page = max(1, int(query.get("page") or 1))
        limit = min(MAX_LIMIT, max(1, int(query.get("limit") or 100)))
        found = self._matching(query.get("tracking_numbers"), query.get("updated_at_min"))
        chosen = found[(page - 1) * limit : page * limit]
        data = {
            "page": page,
            "limit": limit,
            "count": len(found),
            "trackings": [self.tracking(entry) for entry in chosen],
        }
        return self._answer({"meta": meta(200), "data": data}, 200, headers)

    def _matching(self, numbers: str | None, updated_min: str | None) -> list[Entry]:
        entries = list(self.entries.values())
        if numbers:
            wanted = set(numbers.split(","))
            entries = [e for e in entries if e.number in wanted]
        if updated_min:
            since = datetime.fromisoformat(updated_min.replace("Z", "+00:00"))
            entries = [e for e in entries if self.updated_at(e) >= since]
        return sorted(entries, key=lambda e: (e.created_at, e.id))

    async def one(self, request: Request) -> Response:
        refused, headers = await self._guard(request)
        if refused is not None:
            return refused
        params = request.path_params
        entry = (
            self.entries.get(params["number"])
            if "number" in params
            else self.by_id.get(params["tracking_id"])
        )
        if entry is None:
            body = {"meta": meta(4004, "Tracking does not exist.", "NotFound"), "data": {}}
            return self._answer(body, 404, headers)
        return self._answer(
            {"meta": meta(200), "data": {"tracking": self.tracking(entry)}}, 200, headers
        )

    def track(self, entry: Entry) -> TrackState | None:
        index = self.shop.order_for_tracking(entry.number)
        at = self.clock.now()
        if index is None or self.shop.count_at(at) <= index:
            return None
        return self.shop.track_state(index, at)

    def updated_at(self, entry: Entry) -> datetime:
        track = self.track(entry)
        last = track.scans[-1][0] if track and track.scans else entry.created_at
        return max(last, entry.created_at)

    def tracking(self, entry: Entry) -> JSON:
        """The tracking object of ``entry`` as it stands now."""
        track = self.track(entry)
        scans = track.scans if track else ()
        tag, subtag, message = (
            AFTERSHIP_TAGS[scans[-1][1]] if scans else ("Pending", "Pending_001", "Pending")
        )
        delivered = any(scan == Scan.DELIVERED for _, scan in scans)
        shipped = scans[0][0] if scans else None
        name = self.shop.details(track.index).customer.full_name if track else ""
        return {
            "id": entry.id,
            "created_at": _iso(entry.created_at),
            "updated_at": _iso(self.updated_at(entry)),
            "tracking_number": entry.number,
            "slug": entry.slug,
            "active": not delivered,
            "tag": tag,
            "subtag": subtag,
            "subtag_message": message,
            "signed_by": name if delivered else None,
            "return_to_sender": any(scan == Scan.RETURNING for _, scan in scans),
            "expected_delivery": None,
            "latest_estimated_delivery": {
                "type": "specific",
                "source": "AfterShip EDD",
                "datetime": _iso(shipped + timedelta(days=3)),
                "datetime_min": None,
                "datetime_max": None,
            }
            if shipped and not delivered
            else None,
            "checkpoints": [_checkpoint(entry, track, moment, scan) for moment, scan in scans]
            if track
            else [],
        }


def _checkpoint(entry: Entry, track: TrackState, moment: datetime, scan: Scan) -> JSON:
    view = scan_view(track, moment, scan)
    tag, subtag, message = AFTERSHIP_TAGS[scan]
    stamp = view.local.strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "slug": entry.slug,
        "city": view.city,
        "created_at": _iso(moment),
        "location": view.location,
        "country_name": None,
        "message": view.description,
        "country_iso3": None,
        "tag": tag,
        "subtag": subtag,
        "subtag_message": message,
        "checkpoint_time": stamp if view.zoneless else view.local.isoformat(),
        "coordinates": [],
        "state": None,
        "zip": None,
        "raw_tag": scan.value.upper(),
    }
