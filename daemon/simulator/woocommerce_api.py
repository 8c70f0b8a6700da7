"""The simulated shop as WooCommerce's REST API v3 serves it: ``/wp-json/wc/v3/orders``.

Consumer key and secret by HTTP Basic or by query string; ``page``/``per_page`` pagination with
``X-WP-Total`` and ``X-WP-TotalPages``; ``modified_after`` (exclusive; GMT when
``dates_are_gmt=true``, site time otherwise); ``orderby=id`` or ``date``. Times come twice, site
time (UTC+8, no zone) and ``*_gmt`` (UTC, no zone), as WooCommerce writes them. Parcels are in
the Shipment Tracking extension's ``_wc_shipment_tracking_items`` meta. A packed order waiting
for the courier has the plugin status ``awaiting-pickup``, which the mirror maps through its
``status_map`` setting.
"""

from __future__ import annotations

import base64
import hashlib
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.shop import OrderState, Shop
from sync.clock import Clock

JSON = dict[str, Any]
MAX_PER_PAGE = 100
SITE_ZONE = timezone(timedelta(hours=8))
WOO_ID_BASE = 1001
DEFAULT_KEY = "ck_demo"
DEFAULT_SECRET = "cs_demo"


def woo_id(index: int) -> int:
    return WOO_ID_BASE + index


def _site(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(SITE_ZONE).replace(tzinfo=None).isoformat(timespec="seconds")


def _gmt(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def woo_status(state: OrderState) -> str:
    if state.status_set:  # set through the REST API by a client
        return state.status_set
    if state.financial_status == "REFUNDED":
        return "refunded"
    if state.cancelled_at is not None:
        return "cancelled"
    if state.financial_status == "PENDING":
        return "pending"
    if state.fulfillments:
        return "completed"
    if state.fulfillment_status == "ON_HOLD":
        return "on-hold"
    if state.fulfillment_status == "IN_PROGRESS":
        return "awaiting-pickup"
    return "processing"


def _person(state: OrderState, *, billing: bool) -> JSON:
    customer, address = state.details.customer, state.details.address
    person: JSON = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": "",
        "address_1": address.address1,
        "address_2": "",
        "city": address.city,
        "state": address.province,
        "postcode": address.zip,
        "country": address.country,
    }
    if billing:
        person.update({"email": customer.email, "phone": address.phone})
    return person


def _tracking(state: OrderState) -> list[JSON]:
    if not state.fulfillments:
        return []
    items = []
    for f in state.fulfillments:
        shipped_day = f.created_at.astimezone(SITE_ZONE).replace(hour=0, minute=0, second=0)
        items.append(
            {
                "tracking_provider": "",
                "custom_tracking_provider": f.company,
                "custom_tracking_link": f.url,
                "tracking_number": f.number,
                "date_shipped": str(int(shipped_day.timestamp())),
                "tracking_id": hashlib.md5(str(f.id).encode()).hexdigest(),
            }
        )
    return [{"id": 900_000 + state.index, "key": "_wc_shipment_tracking_items", "value": items}]


def woo_order(state: OrderState) -> JSON:
    """Order ``state`` as a WooCommerce order object (also the body of ``order.*`` webhooks)."""
    details = state.details
    ident = woo_id(state.index)
    completed = state.fulfillments[0].created_at if state.fulfillments else None
    refunds = []
    if state.financial_status == "PARTIALLY_REFUNDED":
        refunds.append({"id": 800_000 + state.index, "reason": "", "total": "-20.00"})
    return {
        "id": ident,
        "parent_id": 0,
        "number": str(ident),
        "order_key": f"wc_order_{hashlib.md5(str(ident).encode()).hexdigest()[:13]}",
        "created_via": "checkout",
        "status": woo_status(state),
        "currency": state.currency,
        "date_created": _site(state.created_at),
        "date_created_gmt": _gmt(state.created_at),
        "date_modified": _site(state.updated_at),
        "date_modified_gmt": _gmt(state.updated_at),
        "shipping_total": details.shipping,
        "total": state.total,
        "customer_id": 0,
        "billing": _person(state, billing=True),
        "shipping": _person(state, billing=False),
        "payment_method": "alipay" if details.customer.chinese else "stripe",
        "date_paid": _site(state.paid_at),
        "date_paid_gmt": _gmt(state.paid_at),
        "date_completed": _site(completed),
        "date_completed_gmt": _gmt(completed),
        "meta_data": _tracking(state),
        "line_items": [
            {
                "id": item.line_id,
                "name": item.title,
                "quantity": item.quantity,
                "sku": item.sku,
                "price": float(item.price),
                "total": f"{float(item.price) * item.quantity:.2f}",
            }
            for item in details.items
        ],
        "refunds": refunds,
    }


def _when(text: str, gmt: bool) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if gmt else SITE_ZONE)
    return int(moment.timestamp())


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "data": {"status": status}}, status_code=status
    )


class WooCommerce:
    def __init__(self, shop: Shop, clock: Clock, key: str, secret: str) -> None:
        self.shop = shop
        self.clock = clock
        self.key = key
        self.secret = secret

    def _allowed(self, request: Request) -> bool:
        query = request.query_params
        if query.get("consumer_key") == self.key and query.get("consumer_secret") == self.secret:
            return True
        expected = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _matching(self, modified_after: int | None) -> list[int]:
        """Indices of the orders listed, by id."""
        at = self.clock.now()
        if modified_after is None:
            return list(range(self.shop.count_at(at)))
        found: set[int] = set()
        after = -1
        while True:
            batch, more = self.shop.changed(at, since=modified_after + 1, after=after, limit=1000)
            found.update(index for index, _ in batch)
            if not more or not batch:
                return sorted(found)
            index, updated = batch[-1]
            after = (updated << 24) | index

    async def orders(self, request: Request) -> Response:
        if not self._allowed(request):
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        query = request.query_params
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", "10"))
            gmt = query.get("dates_are_gmt", "false") in ("true", "1")
            since = _when(query["modified_after"], gmt) if "modified_after" in query else None
        except ValueError as exc:
            return _error(400, "rest_invalid_param", f"Invalid parameter(s): {exc}")
        if not 1 <= per_page <= MAX_PER_PAGE or page < 1:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page, page")
        indices = self._matching(since)
        if query.get("order", "desc") == "desc":
            indices.reverse()
        total = len(indices)
        pages = math.ceil(total / per_page)
        if total and page > pages:
            return _error(400, "rest_post_invalid_page_number", "The page number is too large.")
        at = self.clock.now()
        chosen = indices[(page - 1) * per_page : page * per_page]
        states = [s for i in chosen if (s := self.shop.listed_state(i, at)) is not None]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        return JSONResponse([woo_order(state) for state in states], headers=headers)

    async def order(self, request: Request) -> Response:
        if not self._allowed(request):
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this.")
        index = int(request.path_params["order_id"]) - WOO_ID_BASE
        state = self.shop.listed_state(index, self.clock.now()) if index >= 0 else None
        if state is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return JSONResponse(woo_order(state))
