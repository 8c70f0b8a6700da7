"""AfterShip Tracking API: follow parcels at AfterShip (kind ``aftership``).

Settings: ``token`` (the ``as-api-key``), ``url`` (default ``https://api.aftership.com``),
``api_version`` (default ``2024-04``), ``page_size`` (list pages, default 200, AfterShip's
maximum), besides the retry and breaker settings every connector takes. The webhook secret is
the receiver's business (:mod:`daemon.http.aftership_webhook`).

- ``register``: ``POST /trackings`` per parcel; "tracking already exists" (4003) is success, so a
  retried create after a lost answer makes no duplicate.
- ``fetch_tracks``: one parcel is fetched on its own (``GET /trackings/{slug}/{number}``), more
  through the list filtered by ``tracking_numbers`` (50 a call).
- ``updated_since``: the list filtered by ``updated_at_min``, page by page; the cursor is
  ``<updated_at_min>|<page>|<latest updated_at seen>`` and a finished run restarts from the
  latest update it saw (inclusive: a tracking seen twice changes nothing).

Rate limits: every answer's ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` are read, and when
the window is spent no call starts before it reopens; a 429 waits for ``X-RateLimit-Reset``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from sync.carriers import carrier
from sync.connectors.aftership_parse import (
    ALREADY_EXISTS,
    meta_code,
    more_pages,
    parse_body,
    trackings,
    verify_webhook,
)
from sync.connectors.base import Parcel, TrackingProvider, required, setting_number
from sync.domain import TrackRecord
from sync.errors import PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.http import CredentialsRefused
from sync.pacing import Pacer, Sleep

__all__ = ["AfterShipProvider", "parse_body", "verify_webhook"]

JSON = dict[str, Any]
NUMBERS_PER_CALL = 50
LOOKBACK = timedelta(days=60)
"""How far back trackings may have been created for a listing by update time to include them
(AfterShip otherwise lists only trackings created in the last 30 days)."""


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class AfterShipProvider(TrackingProvider):
    kind: ClassVar[str] = "aftership"
    fetch_batch: ClassVar[int] = NUMBERS_PER_CALL
    lists_updates: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        required(settings, ["token"], self.where)
        version = settings.get("api_version") or "2024-04"
        base = (settings.get("url") or "https://api.aftership.com").rstrip("/")
        self.base = f"{base}/tracking/{version}"
        self.page_size = int(setting_number(settings, "page_size", 200, self.where, minimum=1))
        self.pacer = Pacer(
            setting_number(settings, "requests_per_second", 10, self.where, minimum=0.01),
            sleep=sleep,
        )
        self.rate_limit: tuple[int, int] | None = None
        """(remaining, limit) from the last answer's headers."""

    async def register(self, parcels: Sequence[Parcel]) -> None:
        for parcel in parcels:
            item: JSON = {"tracking_number": parcel.tracking_number}
            row = carrier(parcel.carrier)
            if row and row.aftership:
                item["slug"] = row.aftership
            body = await self._call("POST", "/trackings", json={"tracking": item})
            code = meta_code(body)
            if code not in (200, 201, ALREADY_EXISTS):
                message = (body.get("meta") or {}).get("message") or ""
                raise SourceError(f"{self.name}: AfterShip refused a tracking: {code} {message}")

    async def fetch_tracks(self, parcels: Sequence[Parcel]) -> list[TrackRecord]:
        if len(parcels) == 1:
            one = await self.fetch_one(parcels[0])
            return [] if one is None else [one]
        found: list[TrackRecord] = []
        for batch in _chunks(parcels, NUMBERS_PER_CALL):
            numbers = ",".join(p.tracking_number for p in batch)
            body = await self._call(
                "GET", "/trackings", params={"tracking_numbers": numbers, "limit": NUMBERS_PER_CALL}
            )
            found += parse_body(body, self.name)
        return found

    async def fetch_one(self, parcel: Parcel) -> TrackRecord | None:
        """One parcel's track (``GET /trackings/{slug}/{number}``); None if AfterShip has none."""
        row = carrier(parcel.carrier)
        if row is None or not row.aftership:
            body = await self._call(
                "GET", "/trackings", params={"tracking_numbers": parcel.tracking_number}
            )
            tracks = parse_body(body, self.name)
            return tracks[0] if tracks else None
        body = await self._call("GET", f"/trackings/{row.aftership}/{parcel.tracking_number}")
        if meta_code(body) == 4004:  # tracking does not exist
            return None
        tracks = parse_body(body, self.name)
        return tracks[0] if tracks else None

    async def updated_since(self, cursor: str) -> tuple[list[TrackRecord], str, bool]:
        since, page, seen = _read_cursor(cursor)
        params: dict[str, Any] = {"page": page, "limit": self.page_size}
        if since is not None:
            params["updated_at_min"] = _iso(since)
            params["created_at_min"] = _iso(since - LOOKBACK)
        body = await self._call("GET", "/trackings", params=params)
        tracks = parse_body(body, self.name)
        for item in trackings(body, self.name):
            stamp = str(item.get("updated_at") or "")
            if stamp > seen:
                seen = stamp
        more, _next_cursor = more_pages(body)
        if more:
            return tracks, f"{_iso(since) if since else ''}|{page + 1}|{seen}", True
        return tracks, f"{seen}|1|{seen}" if seen else "", False

    async def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        await self.pacer.wait()
        headers = {"as-api-key": self.settings["token"], "Content-Type": "application/json"}
        try:
            response = await self.request(method, self.base + path, headers=headers, **kwargs)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: AfterShip refused the API key (HTTP {exc.status})"
            ) from None
        except SourceRateLimited as exc:
            self.pacer.hold(exc.retry_after)
            raise
        self._read_limits(response)
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not AfterShip's envelope")
        if response.status_code >= 400 and meta_code(body) not in (ALREADY_EXISTS, 4004):
            meta = body.get("meta")
            meta = meta if isinstance(meta, dict) else {}
            raise SourceError(
                f"{self.name}: HTTP {response.status_code} from AfterShip: "
                f"{meta.get('code', '')} {meta.get('message', '')}".rstrip()
            )
        return body

    def _read_limits(self, response: httpx.Response) -> None:
        """Hold further calls when the answer says the rate-limit window is spent."""
        try:
            remaining = int(response.headers["X-RateLimit-Remaining"])
            limit = int(response.headers.get("X-RateLimit-Limit", "0"))
        except (KeyError, ValueError):
            return
        self.rate_limit = (remaining, limit)
        if remaining > 0:
            return
        try:
            reset = float(response.headers.get("X-RateLimit-Reset", ""))
        except ValueError:
            reset = time.time() + 1.0
        self.pacer.hold(max(reset - time.time(), 1.0) if reset > 1e9 else max(reset, 1.0))


def _chunks(parcels: Sequence[Parcel], size: int) -> Iterator[Sequence[Parcel]]:
    for start in range(0, len(parcels), size):
        yield parcels[start : start + size]


def _read_cursor(cursor: str) -> tuple[datetime | None, int, str]:
    """(updated_at_min, page, latest updated_at seen) from a cursor; a first run has no since."""
    since_text, _, rest = cursor.partition("|")
    page_text, _, seen = rest.partition("|")
    since = None
    if since_text:
        try:
            since = datetime.fromisoformat(since_text.replace("Z", "+00:00"))
        except ValueError:
            since = None
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
    return since, page, seen
