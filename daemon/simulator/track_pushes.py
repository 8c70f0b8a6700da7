"""The simulated tracking services' pushes: each parcel's news POSTed where the vendor would.

- 17TRACK: ``{"event": "TRACKING_UPDATED", "data": <gettrackinfo item>}`` to the account's webhook
  URL, header ``sign`` = hex SHA-256 of the body, ``/`` and the API key;
- AfterShip: ``{"ts", "event": "tracking_update", "event_id", "is_tracking_first_tag", "msg":
  <tracking>}`` to the webhook URL, header ``aftership-hmac-sha256`` = base64 HMAC-SHA256 of the
  body with the webhook secret;
- Kuaidi100: form ``param`` (``status``, ``message``, ``lastResult``) and ``sign`` = uppercase
  MD5 of param and the subscription's salt, to the ``callbackurl`` given when subscribing. A
  number unknown to the shop is given up with ``status=abort``, "3天查询无记录".

A parcel is pushed when it has scans its vendor has not pushed yet. The ``dup`` and ``reorder``
quirks of :class:`~.faults.Faults` repeat a push and shuffle a batch, as real senders do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from daemon.simulator.aftership_api import AfterShip
from daemon.simulator.faults import DUPLICATE, Faults
from daemon.simulator.kuaidi100_api import Kuaidi100, result
from daemon.simulator.track17_api import Track17
from sync.clock import Clock

log = logging.getLogger("orderwatch.simulator")

DEFAULT_AFTERSHIP_SECRET = "demo-aftership-webhook-secret"


@dataclass(frozen=True, slots=True)
class Push:
    vendor: str
    number: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class TrackPusher:
    """Sends pushes for parcels registered at the simulated services.

    A service without a URL (17TRACK, AfterShip) or a subscription without a ``callbackurl``
    (Kuaidi100) is not pushed for.
    """

    clock: Clock
    client: httpx.AsyncClient
    track17: Track17 | None = None
    aftership: AfterShip | None = None
    kuaidi100: Kuaidi100 | None = None
    track17_url: str = ""
    aftership_url: str = ""
    aftership_secret: str = DEFAULT_AFTERSHIP_SECRET
    faults: Faults = field(default_factory=Faults)
    pushed: dict[tuple[str, str], int] = field(default_factory=dict)
    """(vendor, number) → scans pushed so far (-1: given up)."""
    sent: list[Push] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def batch(self) -> list[Push]:
        """The pushes due now, quirks applied."""
        pushes = [*self._track17(), *self._aftership(), *self._kuaidi100()]
        repeated: list[Push] = []
        for push in pushes:
            repeated.append(push)
            if self.faults.roll(DUPLICATE):
                repeated.append(push)
        self.faults.shuffle(repeated)
        return repeated

    def _fresh(self, vendor: str, number: str, scans: int) -> bool:
        if scans <= self.pushed.get((vendor, number), 0):
            return False
        self.pushed[(vendor, number)] = scans
        return True

    def _track17(self) -> list[Push]:
        service = self.track17
        if service is None or not self.track17_url:
            return []
        pushes = []
        for number in list(service.registered):
            if number in service.stopped:
                continue
            item = service.accepted_item(number)
            events = _count_events(item)
            if item is None or not self._fresh("17track", number, events):
                continue
            body = _json({"event": "TRACKING_UPDATED", "data": item})
            digest = hashlib.sha256(body + b"/" + service.token.encode()).hexdigest()
            headers = {"Content-Type": "application/json", "sign": digest}
            pushes.append(Push("17track", number, self.track17_url, body, headers))
        return pushes

    def _aftership(self) -> list[Push]:
        service = self.aftership
        if service is None or not self.aftership_url:
            return []
        pushes = []
        for entry in list(service.entries.values()):
            tracking = service.tracking(entry)
            if not self._fresh("aftership", entry.number, len(tracking["checkpoints"])):
                continue
            body = _json(
                {
                    "ts": int(self.clock.now().timestamp()),
                    "event": "tracking_update",
                    "event_id": str(uuid.uuid4()),
                    "is_tracking_first_tag": True,
                    "msg": tracking,
                }
            )
            digest = hmac.new(self.aftership_secret.encode(), body, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "aftership-hmac-sha256": base64.b64encode(digest).decode(),
            }
            pushes.append(Push("aftership", entry.number, self.aftership_url, body, headers))
        return pushes

    def _kuaidi100(self) -> list[Push]:
        service = self.kuaidi100
        if service is None:
            return []
        pushes = []
        for sub in list(service.subscriptions.values()):
            if not sub.callback or self.pushed.get(("kuaidi100", sub.number), 0) < 0:
                continue
            track = service.track(sub.number)
            if track is None and service.shop.order_for_tracking(sub.number) is None:
                self.pushed[("kuaidi100", sub.number)] = -1
                param = {"status": "abort", "message": "3天查询无记录", "lastResult": {
                    "message": "快递公司参数异常：单号不存在或者已经过期", "nu": sub.number,
                    "ischeck": "0", "condition": "", "com": sub.company, "status": "201",
                    "state": "0", "data": []}}  # fmt: skip
            elif track is None or not self._fresh("kuaidi100", sub.number, len(track.scans)):
                continue
            else:
                last = result(track, sub.company)
                status = "shutdown" if last["ischeck"] == "1" else "polling"
                param = {"status": status, "billstatus": "got", "message": "", "lastResult": last}
            text = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
            sign = hashlib.md5((text + sub.salt).encode()).hexdigest().upper()
            form = {"param": text, "sign": sign} if sub.salt else {"param": text}
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            pushes.append(
                Push("kuaidi100", sub.number, sub.callback, urlencode(form).encode(), headers)
            )
        return pushes

    async def post(self, push: Push) -> int:
        response = await self.client.post(push.url, content=push.body, headers=push.headers)
        self.sent.append(push)
        self.answers.append(response.status_code)
        return response.status_code

    async def deliver(self) -> int:
        """Send every push due; returns how many went out."""
        batch = self.batch()
        for push in batch:
            try:
                await self.post(push)
            except httpx.HTTPError as exc:
                log.warning("%s push to %s failed: %s", push.vendor, push.url, exc)
        return len(batch)

    async def run(self, every: float, stop: asyncio.Event) -> None:
        """Push every ``every`` seconds until ``stop``."""
        while not stop.is_set():
            await self.deliver()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _count_events(item: dict[str, object] | None) -> int:
    if item is None:
        return 0
    info = item.get("track_info")
    providers = (info.get("tracking") or {}).get("providers") if isinstance(info, dict) else None
    return sum(len(p.get("events") or ()) for p in providers or ())
