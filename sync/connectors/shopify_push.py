"""Pushing a tracking number to Shopify: a fulfillment of the order's open fulfillment orders.

Since API version 2023-07 a fulfillment is created from fulfillment orders, never from the order:

- GraphQL (kind ``shopify``): ``order(id:)`` gives the order's fulfillments (with their tracking
  numbers) and its ``fulfillmentOrders``; ``fulfillmentCreate(fulfillment: {
  lineItemsByFulfillmentOrder: [{fulfillmentOrderId}], trackingInfo: {company, number, url},
  notifyCustomer})`` fulfils every open one. ``userErrors`` are a refusal.
- REST (kind ``shopify-rest``): ``GET orders/{id}.json`` for the fulfillments,
  ``GET orders/{id}/fulfillment_orders.json``, then ``POST fulfillments.json`` with
  ``line_items_by_fulfillment_order`` and ``tracking_info``. A 4xx answer is a refusal.

Both first look for the tracking number among the order's live fulfillments: when it is there
already, nothing is written (a repeated push, or a push after a crash, creates no second
fulfillment). Only fulfillment orders that are open or in progress and support
``CREATE_FULFILLMENT`` are fulfilled; none left is a refusal that says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from sync.connectors.base import required
from sync.connectors.shop_writer import ShopWriter, first_message, short
from sync.errors import (
    PayloadError,
    SourceAuthError,
    SourceError,
    SourceRateLimited,
    WriteRefused,
)
from sync.http import CredentialsRefused
from sync.pushes import Pushed, TrackingPush

JSON = dict[str, Any]
FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})
DEAD = frozenset({"CANCELLED", "ERROR", "FAILURE"})
CREATE = "CREATE_FULFILLMENT"

ORDER_QUERY = """query PushTarget($id: ID!) {
  order(id: $id) {
    id name displayFulfillmentStatus
    fulfillments(first: 50) { id status trackingInfo(first: 10) { number } }
    fulfillmentOrders(first: 50) {
      nodes { id status supportedActions { action } }
    }
  }
}
"""
CREATE_MUTATION = """mutation PushTracking($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""


def _tracking_info(push: TrackingPush) -> JSON:
    info: JSON = {"number": push.tracking_number}
    if push.company:
        info["company"] = push.company
    if push.url:
        info["url"] = push.url
    return info


def numeric_id(external_id: str) -> str:
    """``gid://shopify/Order/450789469`` → ``450789469`` (a bare number stays as it is)."""
    tail = external_id.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise WriteRefused(f"{external_id!r} is not a Shopify order id")
    return tail


class _ShopifyWriter(ShopWriter):
    def __init__(self, name: str, client: httpx.AsyncClient, settings: Any) -> None:
        super().__init__(name, client, settings)
        required(settings, ("url", "token"), self.where)

    def _headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.settings["token"], "Accept": "application/json"}

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.request(method, url, headers=self._headers(), **kwargs)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: access token refused by the shop (HTTP {exc.status}); "
                "writing fulfillments needs the write_fulfillments scope"
            ) from None


class ShopifyGraphQLWriter(_ShopifyWriter):
    kind: ClassVar[str] = "shopify"

    def __init__(self, name: str, client: httpx.AsyncClient, settings: Any) -> None:
        super().__init__(name, client, settings)
        version = settings.get("api_version") or "2025-01"
        self.endpoint = f"{settings['url'].rstrip('/')}/admin/api/{version}/graphql.json"

    async def push_tracking(self, push: TrackingPush) -> Pushed:
        body = await self._post({"query": ORDER_QUERY, "variables": {"id": push.external_id}})
        order = (body.get("data") or {}).get("order")
        if not isinstance(order, dict):
            raise WriteRefused(f"{self.name}: Shopify has no order {push.external_id}")
        for fulfillment in order.get("fulfillments") or ():
            numbers = {str(i.get("number")) for i in fulfillment.get("trackingInfo") or ()}
            if fulfillment.get("status") not in DEAD and push.tracking_number in numbers:
                return Pushed(False, f"already on Shopify ({fulfillment.get('id')})")
        open_ones = [
            node["id"]
            for node in (order.get("fulfillmentOrders") or {}).get("nodes") or ()
            if node.get("status") in FULFILLABLE
            and CREATE in {a.get("action") for a in node.get("supportedActions") or ()}
        ]
        if not open_ones:
            status = order.get("displayFulfillmentStatus") or "unknown"
            raise WriteRefused(
                f"{self.name}: order {push.number} has no fulfillment order left to fulfil "
                f"(Shopify shows it {status})"
            )
        fulfillment = {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo} for fo in open_ones],
            "trackingInfo": _tracking_info(push),
            "notifyCustomer": self.notify_customer,
        }
        answer = await self._post(
            {"query": CREATE_MUTATION, "variables": {"fulfillment": fulfillment}}
        )
        created = (answer.get("data") or {}).get("fulfillmentCreate") or {}
        errors = created.get("userErrors") or []
        if errors:
            raise WriteRefused(f"{self.name}: Shopify refused it: {first_message(errors)}")
        made = created.get("fulfillment") or {}
        if not made.get("id"):
            raise PayloadError(f"{self.name}: fulfillmentCreate answered no fulfillment")
        return Pushed(True, f"fulfillment {made['id']} created on Shopify")

    async def _post(self, payload: JSON) -> JSON:
        response = await self._send("POST", self.endpoint, json=payload)
        if response.status_code != 200:
            raise WriteRefused(
                f"{self.name}: HTTP {response.status_code} from Shopify: {short(response.text)}"
            )
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not a JSON object")
        errors = body.get("errors")
        if errors:
            codes = [(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)]
            if "THROTTLED" in codes:
                raise SourceRateLimited(f"{self.name}: throttled by Shopify", retry_after=1.0)
            raise SourceError(f"{self.name}: Shopify answered errors: {first_message(errors)}")
        return body


class ShopifyRestWriter(_ShopifyWriter):
    kind: ClassVar[str] = "shopify-rest"

    def __init__(self, name: str, client: httpx.AsyncClient, settings: Any) -> None:
        super().__init__(name, client, settings)
        version = settings.get("api_version") or "2025-01"
        self.base = f"{settings['url'].rstrip('/')}/admin/api/{version}"

    async def push_tracking(self, push: TrackingPush) -> Pushed:
        order_id = numeric_id(push.external_id)
        order = (await self._json("GET", f"orders/{order_id}.json")).get("order") or {}
        for fulfillment in order.get("fulfillments") or ():
            numbers = set(fulfillment.get("tracking_numbers") or ())
            numbers.add(fulfillment.get("tracking_number"))
            dead = str(fulfillment.get("status") or "").upper() in DEAD
            if not dead and push.tracking_number in numbers:
                return Pushed(False, f"already on Shopify (fulfillment {fulfillment.get('id')})")
        listing = await self._json("GET", f"orders/{order_id}/fulfillment_orders.json")
        open_ones = [
            fo["id"]
            for fo in listing.get("fulfillment_orders") or ()
            if str(fo.get("status") or "").upper() in FULFILLABLE
            and CREATE.lower() in (fo.get("supported_actions") or ())
        ]
        if not open_ones:
            raise WriteRefused(
                f"{self.name}: order {push.number} has no fulfillment order left to fulfil"
            )
        info = _tracking_info(push)
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": fo} for fo in open_ones
                ],
                "tracking_info": info,
                "notify_customer": self.notify_customer,
            }
        }
        made = (await self._json("POST", "fulfillments.json", json=body)).get("fulfillment") or {}
        if not made.get("id"):
            raise PayloadError(f"{self.name}: fulfillments.json answered no fulfillment")
        return Pushed(True, f"fulfillment {made['id']} created on Shopify")

    async def _json(self, method: str, path: str, **kwargs: Any) -> JSON:
        response = await self._send(method, f"{self.base}/{path}", **kwargs)
        if response.status_code >= 400:
            try:
                words = first_message(response.json().get("errors"))
            except (ValueError, AttributeError):
                words = short(response.text)
            raise WriteRefused(
                f"{self.name}: Shopify refused {path} (HTTP {response.status_code}): {words}"
            )
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not a JSON object")
        return body
