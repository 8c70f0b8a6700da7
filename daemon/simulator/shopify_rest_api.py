"""The simulated shop as Shopify's Admin REST API serves it: ``orders.json``, ``orders/count.json``
and ``orders/{id}.json``.

Listings are sorted by ``updated_at`` (then id), filtered by ``status`` (``open`` by default, as
Shopify does, or ``any``) and ``updated_at_min`` (inclusive), and paged with ``page_info`` tokens
in the ``Link`` header; a request carrying ``page_info`` may carry only ``limit`` besides. Every
call is paid from a leaky bucket of calls reported in ``X-Shopify-Shop-Api-Call-Limit``; a full
bucket answers 429 with ``Retry-After``. Times carry the shop's UTC offset, like Shopify's.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.shop import ORDER_ID_BASE, OrderState, Shop, position_key
from sync.clock import Clock

JSON = dict[str, Any]
MAX_LIMIT = 250
SHOP_ZONE = timezone(timedelta(hours=8))
DISPLAY_TO_SHIPMENT = {
    "IN_TRANSIT": "in_transit",
    "OUT_FOR_DELIVERY": "out_for_delivery",
    "DELIVERED": "delivered",
    "ATTEMPTED_DELIVERY": "attempted_delivery",
    "READY_FOR_PICKUP": "ready_for_pickup",
    "FAILURE": "failure",
    "CONFIRMED": "confirmed",
    "LABEL_PRINTED": "label_printed",
}


@dataclass
class CallBucket:
    """Shopify REST's leaky bucket of calls: ``size`` calls, leaking ``leak`` per second."""

    size: int = 40
    leak: float = 2.0
    monotonic: Callable[[], float] = time.monotonic
    used: float = field(init=False, default=0.0)
    _checked: float = field(init=False)

    def __post_init__(self) -> None:
        self._checked = self.monotonic()

    def take(self) -> bool:
        moment = self.monotonic()
        self.used = max(0.0, self.used - (moment - self._checked) * self.leak)
        self._checked = moment
        if self.used + 1 > self.size:
            return False
        self.used += 1
        return True

    def header(self) -> str:
        return f"{round(self.used)}/{self.size}"


def local(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(SHOP_ZONE).isoformat()


def _address(state: OrderState) -> JSON:
    customer, address = state.details.customer, state.details.address
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "name": customer.full_name,
        "address1": address.address1,
        "address2": "",
        "city": address.city,
        "province": address.province,
        "country": address.country,
        "country_code": address.country,
        "zip": address.zip,
        "phone": address.phone,
    }


def rest_order(state: OrderState) -> JSON:
    """Order ``state`` as a REST ``order`` object (also the body of ``orders/*`` webhooks)."""
    details, customer = state.details, state.details.customer
    fulfilled = bool(state.fulfillments)
    return {
        "id": state.id,
        "admin_graphql_api_id": f"gid://shopify/Order/{state.id}",
        "name": state.name,
        "order_number": int(state.name.lstrip("#")),
        "email": customer.email,
        "phone": None,
        "created_at": local(state.created_at),
        "updated_at": local(state.updated_at),
        "processed_at": local(state.created_at),
        "cancelled_at": local(state.cancelled_at),
        "closed_at": local(state.closed_at),
        "financial_status": state.financial_status.lower(),
        "fulfillment_status": "fulfilled" if fulfilled else None,
        "currency": state.currency,
        "total_price": state.total,
        "source_name": details.source_name,
        "tags": ", ".join(details.tags),
        "customer": {
            "id": 7_000_000_000 + state.index,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "phone": customer.phone,
        },
        "shipping_address": _address(state),
        "line_items": [
            {
                "id": item.line_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{item.line_id}",
                "title": item.title,
                "name": item.title,
                "quantity": item.quantity,
                "sku": item.sku,
                "price": item.price,
            }
            for item in details.items
        ],
        "fulfillments": [
            {
                "id": f.id,
                "admin_graphql_api_id": f"gid://shopify/Fulfillment/{f.id}",
                "order_id": state.id,
                "created_at": local(f.created_at),
                "updated_at": local(f.created_at),
                "status": "success",
                "shipment_status": DISPLAY_TO_SHIPMENT.get(f.display_status),
                "tracking_company": f.company,
                "tracking_number": f.number,
                "tracking_numbers": [f.number],
                "tracking_url": f.url,
                "tracking_urls": [f.url],
            }
            for f in state.fulfillments
        ],
    }


def _token(data: JSON) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _untoken(token: str) -> JSON:
    data = json.loads(base64.urlsafe_b64decode(token.encode()))
    if not isinstance(data, dict):
        raise ValueError("not a page token")
    return data


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHOP_ZONE)
    return int(moment.timestamp())


def _error(status: int, errors: object) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


class ShopifyRest:
    """Handlers of the REST order endpoints."""

    def __init__(self, shop: Shop, clock: Clock, token: str, bucket: CallBucket) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token
        self.bucket = bucket

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("x-shopify-access-token") != self.token:
            return _error(401, "[API] Invalid API key or access token (unrecognized login)")
        if not self.bucket.take():
            return JSONResponse(
                {"errors": "Exceeded 2 calls per second for api client. Reduce request rates."},
                status_code=429,
                headers={
                    "Retry-After": "2.0",
                    "X-Shopify-Shop-Api-Call-Limit": self.bucket.header(),
                },
            )
        return None

    def _reply(self, body: JSON, headers: dict[str, str] | None = None) -> JSONResponse:
        every = {"X-Shopify-Shop-Api-Call-Limit": self.bucket.header(), **(headers or {})}
        return JSONResponse(body, headers=every)

    def _listing(
        self, since: int, after: int, limit: int, status: str
    ) -> tuple[list[OrderState], int, bool]:
        """Up to ``limit`` orders after position ``after``; the last position; whether more."""
        at = self.clock.now()
        found: list[OrderState] = []
        while True:
            batch, more = self.shop.changed(at, since=since, after=after, limit=limit)
            for position, (index, updated) in enumerate(batch):
                after = position_key(updated, index)
                state = self.shop.listed_state(index, at)
                if state is None or (status == "open" and _finished(state)):
                    continue
                found.append(state)
                if len(found) == limit:
                    return found, after, more or position < len(batch) - 1
            if not more:
                return found, after, False

    async def orders(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        query = request.query_params
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit", "50"))))
            if "page_info" in query:
                if set(query) - {"page_info", "limit"}:
                    return _error(400, {"page_info": "cannot be passed with other filters"})
                paging = _untoken(query["page_info"])
                since, after, status = int(paging["s"]), int(paging["a"]), str(paging["st"])
            else:
                status = query.get("status", "open")
                since = _epoch(query["updated_at_min"]) if "updated_at_min" in query else 0
                after = -1
        except (ValueError, KeyError, TypeError):
            return _error(400, {"page_info": "Invalid value."})
        found, last, more = self._listing(since, after, limit, status)
        headers = {}
        if more:
            token = _token({"s": since, "a": last, "st": status})
            link = f"{request.url.replace(query=urlencode({'limit': limit, 'page_info': token}))}"
            headers["Link"] = f'<{link}>; rel="next"'
        return self._reply({"orders": [rest_order(state) for state in found]}, headers)

    async def count(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        query = request.query_params
        try:
            since = _epoch(query["updated_at_min"]) if "updated_at_min" in query else 0
        except ValueError:
            return _error(400, {"updated_at_min": "Invalid value."})
        status = query.get("status", "open")
        total, after = 0, -1
        while True:
            found, after, more = self._listing(since, after, MAX_LIMIT, status)
            total += len(found)
            if not more:
                return self._reply({"count": total})

    async def order(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            index = int(request.path_params["order_id"]) - ORDER_ID_BASE
        except ValueError:
            return _error(404, "Not Found")
        state = self.shop.listed_state(index, self.clock.now()) if index >= 0 else None
        if state is None:
            return _error(404, "Not Found")
        return self._reply({"order": rest_order(state)})


def _finished(state: OrderState) -> bool:
    return state.cancelled_at is not None or state.closed_at is not None
