"""Writing a tracking number back to the shop platform: what is pushed, and what came of it.

An agent sees that the courier has the parcel while the shop still shows the order unshipped,
and asks for the tracking number to be pushed to the platform (the console's key or
``orderwatchd push-tracking``). The request waits in the outbox as a :class:`TrackingPush`
(saved as JSON), and the daemon hands it to the source's shop writer
(:mod:`sync.connectors.shop_writer`), which answers with a :class:`Pushed`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

CHANNEL_PREFIX = "shop:"
"""Outbox rows whose channel starts with this go to a shop platform, not to a person."""


def push_channel(source: str) -> str:
    return f"{CHANNEL_PREFIX}{source}"


def push_key(order_id: int, tracking_number: str) -> str:
    """The outbox key of a push: one per order and tracking number, however often asked."""
    return f"push-tracking:{order_id}:{tracking_number}"


@dataclass(frozen=True, slots=True)
class TrackingPush:
    order_id: int
    source: str
    external_id: str
    """The order's id at the platform (Shopify's ``gid://shopify/Order/…``, WooCommerce's id)."""
    number: str
    tracking_number: str
    company: str = ""
    """The carrier as the platform should show it."""
    url: str = ""
    shipped_on: str = ""
    """The day the parcel left (``YYYY-MM-DD``), when known."""
    agent: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrackingPush:
        data = json.loads(text)
        return cls(
            order_id=int(data["order_id"]),
            source=str(data["source"]),
            external_id=str(data["external_id"]),
            number=str(data.get("number", "")),
            tracking_number=str(data["tracking_number"]),
            company=str(data.get("company", "")),
            url=str(data.get("url", "")),
            shipped_on=str(data.get("shipped_on", "")),
            agent=str(data.get("agent", "")),
        )


@dataclass(frozen=True, slots=True)
class Pushed:
    """What a successful push did at the platform."""

    created: bool
    """False when the platform had the tracking number already (nothing was written twice)."""
    detail: str
    """One line for the timeline: ``fulfillment gid://shopify/Fulfillment/1 created``."""
