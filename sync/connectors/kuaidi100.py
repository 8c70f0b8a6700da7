"""Kuaidi100 (快递100): follow parcels by subscription and push (kind ``kuaidi100``).

Settings: ``key`` (the authorization key), ``customer`` (the company number, for real-time
queries), ``callback_url`` (where Kuaidi100 pushes, this daemon's
``/push/kuaidi100/<tracker name>``), ``salt`` (signs the pushes), ``url`` (default
``https://poll.kuaidi100.com``), ``requests_per_second`` (default 1), besides the retry and
breaker settings every connector takes.

Kuaidi100 is push-first: ``register`` subscribes each parcel (``POST /poll``, form ``schema`` and
``param`` with ``callbackurl`` and ``salt``), after which Kuaidi100 pushes every change (see
:mod:`daemon.http.kuaidi100_push`). ``fetch_tracks`` is the real-time query (``POST
/poll/query.do``, ``sign`` = uppercase MD5 of param + key + customer): Kuaidi100 forbids it for
bulk or frequent polling, so the follower uses it only where pushes went quiet and within the
tracker's request budget. A parcel whose order names no courier is sent with the courier its
number looks like and ``autoCom`` on, so Kuaidi100 corrects the guess; every parcel goes with
the last four digits of the buyer's phone, which Kuaidi100 needs for SF and ZTO.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from sync.carriers import carrier, suggest_carrier
from sync.connectors.base import Parcel, TrackingProvider, required, setting_number
from sync.connectors.kuaidi100_parse import parse_body, parse_push, parse_query, query_sign
from sync.domain import TrackRecord
from sync.errors import PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.http import CredentialsRefused
from sync.pacing import Pacer, Sleep

__all__ = ["Kuaidi100Provider", "parse_body", "parse_push", "parse_query"]

JSON = dict[str, Any]
SUBSCRIBED = {"200", "501"}
"""Accepted, and already subscribed (重复订阅)."""
AUTH_CODES = {"503", "600", "601"}
"""Signature refused, not a valid subscriber, expired subscriber/key."""
NOTHING_FOUND = "500"

log = logging.getLogger(__name__)


def phone_tail(phone: str) -> str:
    """The last four digits of the buyer's phone: what SF and ZTO parcels need at Kuaidi100,
    and no more of the buyer's number than that."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def company_code(parcel: Parcel) -> tuple[str, bool]:
    """Kuaidi100's ``com`` for a parcel, and whether it is only a guess from the number."""
    row = carrier(parcel.carrier)
    if row and row.kuaidi100:
        return row.kuaidi100, False
    guessed = carrier(suggest_carrier(parcel.tracking_number))
    return (guessed.kuaidi100 if guessed else ""), True


class Kuaidi100Provider(TrackingProvider):
    kind: ClassVar[str] = "kuaidi100"
    pushes_by_default: ClassVar[bool] = True
    wants_phones: ClassVar[bool] = True
    queries_unregistered: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        required(settings, ["key", "customer"], self.where)
        self.base = (settings.get("url") or "https://poll.kuaidi100.com").rstrip("/")
        rate = setting_number(settings, "requests_per_second", 1, self.where, minimum=0.01)
        self.pacer = Pacer(rate, sleep=sleep)
        self._told_no_callback = False

    async def register(self, parcels: Sequence[Parcel]) -> None:
        callback = self.settings.get("callback_url", "")
        if not callback:
            if not self._told_no_callback:
                log.warning("%s: no callback_url, so Kuaidi100 cannot push; polling", self.name)
                self._told_no_callback = True
            return
        for parcel in parcels:
            com, guessed = company_code(parcel)
            parameters: JSON = {"callbackurl": callback, "resultv2": "4"}
            if self.settings.get("salt"):
                parameters["salt"] = self.settings["salt"]
            if guessed:
                parameters["autoCom"] = "1"
            if phone_tail(parcel.phone):
                parameters["phone"] = phone_tail(parcel.phone)
            param = {
                "company": com,
                "number": parcel.tracking_number,
                "key": self.settings["key"],
                "parameters": parameters,
            }
            form = {"schema": "json", "param": json.dumps(param, ensure_ascii=False)}
            body = await self._post("/poll", form)
            code = str(body.get("returnCode") or "")
            if code in AUTH_CODES:
                raise SourceAuthError(f"{self.name}: Kuaidi100 refused the key ({code})")
            if code not in SUBSCRIBED:
                log.warning(
                    "%s: %s not subscribed: %s %s",
                    self.name,
                    parcel.tracking_number,
                    code,
                    body.get("message", ""),
                )

    async def fetch_tracks(self, parcels: Sequence[Parcel]) -> list[TrackRecord]:
        """The real-time query, one parcel a call."""
        found: list[TrackRecord] = []
        for parcel in parcels:
            com, _guessed = company_code(parcel)
            query = {"com": com, "num": parcel.tracking_number, "resultv2": "4", "order": "desc"}
            if phone_tail(parcel.phone):
                query["phone"] = phone_tail(parcel.phone)
            param = json.dumps(query, ensure_ascii=False)
            customer = self.settings["customer"]
            sign = query_sign(param, self.settings["key"], customer)
            body = await self._post(
                "/poll/query.do", {"customer": customer, "param": param, "sign": sign}
            )
            code = str(body.get("returnCode") or "")
            if code in AUTH_CODES:
                raise SourceAuthError(f"{self.name}: Kuaidi100 refused the query ({code})")
            track = parse_query(body, self.name)
            if track is not None:
                found.append(track)
            elif code and code != NOTHING_FOUND:
                log.info("%s: %s: %s", self.name, parcel.tracking_number, body.get("message"))
        return found

    async def _post(self, path: str, form: Mapping[str, str]) -> JSON:
        await self.pacer.wait()
        try:
            response = await self.request("POST", self.base + path, data=dict(form))
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: Kuaidi100 refused the key (HTTP {exc.status})"
            ) from None
        except SourceRateLimited as exc:
            self.pacer.hold(exc.retry_after)
            raise
        if response.status_code != 200:
            raise SourceError(f"{self.name}: HTTP {response.status_code} from {path}")
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: Kuaidi100 answered something other than JSON")
        return body
