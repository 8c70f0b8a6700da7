"""The simulated shop's webhooks: order changes POSTed to a receiver, signed like the vendor signs.

``shopify`` deliveries carry the REST order as body and ``X-Shopify-Topic``,
``X-Shopify-Hmac-Sha256``, ``X-Shopify-Webhook-Id`` and ``X-Shopify-Shop-Domain``;
``woocommerce`` ones carry the WooCommerce order and ``X-WC-Webhook-Topic``,
``X-WC-Webhook-Signature``, ``X-WC-Webhook-Delivery-ID`` and friends. Both sign the exact bytes
sent with HMAC-SHA256, base64.

:meth:`WebhookSender.deliver` sends one delivery per order changed since the last call (its
state now: a webhook tells the truth even when order listings lag). The ``dup`` and
``reorder`` quirks of :class:`~.faults.Faults` repeat deliveries and send previous versions
late.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from daemon.simulator.faults import DUPLICATE, REORDER, Faults
from daemon.simulator.shop import OrderState, Shop
from daemon.simulator.shopify_rest_api import rest_order
from daemon.simulator.woocommerce_api import woo_order
from sync.clock import Clock

log = logging.getLogger("orderwatch.simulator")

VENDORS = ("shopify", "woocommerce")
DEFAULT_SECRET = "demo-webhook-secret"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST, ready to send."""

    body: bytes
    headers: dict[str, str]
    order_index: int
    updated_at: datetime


def delivery(vendor: str, state: OrderState, secret: str, serial: int) -> Delivery:
    """Order ``state`` as ``vendor`` would deliver it (``serial`` makes the delivery id)."""
    created = state.updated_at == state.created_at
    payload: dict[str, Any]
    if vendor == "shopify":
        payload = rest_order(state)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "X-Shopify-Topic": "orders/create" if created else "orders/updated",
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Webhook-Id": f"sim-{serial:012d}",
            "X-Shopify-Shop-Domain": "simulated-shop.myshopify.com",
            "X-Shopify-API-Version": "2025-01",
        }
    else:
        payload = woo_order(state)
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "X-WC-Webhook-Source": "http://simulated-shop.example/",
            "X-WC-Webhook-Topic": "order.created" if created else "order.updated",
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created" if created else "updated",
            "X-WC-Webhook-Signature": sign(body, secret),
            "X-WC-Webhook-ID": "7",
            "X-WC-Webhook-Delivery-ID": hashlib.md5(f"sim-{serial}".encode()).hexdigest(),
        }
    headers["Content-Type"] = "application/json"
    return Delivery(body, headers, state.index, state.updated_at)


class WebhookSender:
    """Sends the shop's order changes to ``url`` as ``vendor`` webhooks."""

    def __init__(
        self,
        shop: Shop,
        clock: Clock,
        client: httpx.AsyncClient,
        *,
        url: str,
        vendor: str = "shopify",
        secret: str = DEFAULT_SECRET,
        faults: Faults | None = None,
        since: datetime | None = None,
    ) -> None:
        if vendor not in VENDORS:
            raise ValueError(f"webhooks speak {' or '.join(VENDORS)}, not {vendor!r}")
        self.shop = shop
        self.clock = clock
        self.client = client
        self.url = url
        self.vendor = vendor
        self.secret = secret
        self.faults = faults or Faults()
        self.since = int((since or clock.now()).timestamp())
        self.serial = 0
        self._sent: dict[int, int] = {}
        """Order index → the ``updated_at`` (epoch) last delivered."""
        self.sent: list[Delivery] = []
        self.answers: list[int] = []

    def _next(self, state: OrderState) -> Delivery:
        self.serial += 1
        return delivery(self.vendor, state, self.secret, self.serial)

    def batch(self) -> list[Delivery]:
        """The deliveries for every order changed since the last batch, quirks applied."""
        at = self.clock.now()
        now = int(at.timestamp())
        batch: list[Delivery] = []
        after = -1
        # Changes are found through the order index, which shows late orders late; reach back
        # far enough to see them, and skip what was already delivered.
        lag = self.shop.late_by if self.shop.late_share else 0
        while True:
            found, more = self.shop.changed(at, since=self.since + 1 - lag, after=after, limit=500)
            for index, updated in found:
                after = (updated << 24) | index
                batch.extend(self._for_order(index, at))
            if not more:
                break
        self.since = max(self.since, now)
        self.faults.shuffle(batch)
        return batch

    def _for_order(self, index: int, at: datetime) -> list[Delivery]:
        state = self.shop.order_state(index, at)
        if state is None:
            return []
        epoch = int(state.updated_at.timestamp())
        if self._sent.get(index, -1) >= epoch:
            return []
        self._sent[index] = epoch
        current = self._next(state)
        sends = [current, current] if self.faults.roll(DUPLICATE) else [current]
        earlier = state.updated_at.timestamp() - 1
        if self.faults.roll(REORDER) and earlier >= state.created_at.timestamp():
            previous = self.shop.order_state(index, datetime.fromtimestamp(earlier, UTC))
            if previous is not None and previous.updated_at < state.updated_at:
                sends.append(self._next(previous))  # the older version, after the newer
        return sends

    async def post(self, item: Delivery) -> int:
        response = await self.client.post(self.url, content=item.body, headers=item.headers)
        self.sent.append(item)
        self.answers.append(response.status_code)
        return response.status_code

    async def deliver(self) -> int:
        """Send every change since the last call; returns how many deliveries went out."""
        batch = self.batch()
        for item in batch:
            try:
                await self.post(item)
            except httpx.HTTPError as exc:
                log.warning("webhook to %s failed: %s", self.url, exc)
        return len(batch)

    async def run(self, every: float, stop: asyncio.Event) -> None:
        """Deliver every ``every`` seconds until ``stop``."""
        while not stop.is_set():
            await self.deliver()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
