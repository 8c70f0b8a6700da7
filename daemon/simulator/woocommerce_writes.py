"""The simulated shop taking tracking numbers as a WooCommerce site with Shipment Tracking does.

- ``GET /wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings``: the order's tracking
  items (``tracking_id``, ``tracking_provider``, ``tracking_link``, ``tracking_number``,
  ``date_shipped`` as ``YYYY-MM-DD``);
- ``POST`` to the same route adds one (``tracking_number`` required; ``tracking_provider``, or
  ``custom_tracking_provider`` and ``custom_tracking_link``; ``date_shipped``): 201 with the item;
- ``PUT /wp-json/wc/v3/orders/{id}`` sets the order's ``status`` and answers the order.

Writes can be scripted to fail (:class:`~daemon.simulator.shopify_writes.WriteFaults`): an HTTP
status, or ``refuse`` for a 400 in WordPress's ``{code, message, data}`` form.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.shop import FulfillmentState, OrderState, Shop
from daemon.simulator.shopify_writes import REFUSE, WriteFaults
from daemon.simulator.woocommerce_api import SITE_ZONE, WOO_ID_BASE, WooCommerce, woo_order
from sync.clock import Clock

JSON = dict[str, Any]
STATUSES = frozenset(
    {"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"}
)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "data": {"status": status}}, status_code=status
    )


def tracking_item(fulfillment: FulfillmentState) -> JSON:
    day = fulfillment.created_at.astimezone(SITE_ZONE).strftime("%Y-%m-%d")
    return {
        "tracking_id": hashlib.md5(str(fulfillment.id).encode()).hexdigest(),
        "tracking_provider": fulfillment.company,
        "tracking_link": fulfillment.url,
        "tracking_number": fulfillment.number,
        "date_shipped": day,
    }


class WooCommerceWrites:
    def __init__(self, shop: Shop, clock: Clock, woo: WooCommerce) -> None:
        self.shop = shop
        self.clock = clock
        self.woo = woo
        self.faults = WriteFaults()

    def _order(self, request: Request) -> OrderState | None:
        index = int(request.path_params["order_id"]) - WOO_ID_BASE
        return self.shop.order_state(index, self.clock.now()) if index >= 0 else None

    def _failed(self) -> Response | None:
        fault = self.faults.next()
        if fault == REFUSE:
            return _error(400, "rest_invalid_param", "Simulated refusal of this write.")
        if isinstance(fault, int):
            return _error(fault, "simulated_fault", f"Simulated HTTP {fault}.")
        return None

    async def trackings(self, request: Request) -> Response:
        if not self.woo._allowed(request):
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        state = self._order(request)
        if state is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        if request.method == "GET":
            return JSONResponse([tracking_item(f) for f in state.fulfillments])
        failed = self._failed()
        if failed is not None:
            return failed
        try:
            body = json.loads(await request.body())
            number = str(body.get("tracking_number") or "").strip()
        except (ValueError, AttributeError):
            return _error(400, "rest_invalid_json", "The JSON body could not be read.")
        if not number:
            return _error(
                400, "rest_missing_callback_param", "Missing parameter(s): tracking_number"
            )
        company = str(body.get("custom_tracking_provider") or body.get("tracking_provider") or "")
        link = str(body.get("custom_tracking_link") or "").replace("%1$s", number)
        made = self.shop.record_fulfillment(state.index, self.clock.now(), company, number, link)
        return JSONResponse(tracking_item(made), status_code=201)

    async def update_order(self, request: Request) -> Response:
        if not self.woo._allowed(request):
            return _error(401, "woocommerce_rest_cannot_edit", "Sorry, you cannot edit this.")
        state = self._order(request)
        if state is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        failed = self._failed()
        if failed is not None:
            return failed
        try:
            status = str(json.loads(await request.body()).get("status") or "")
        except (ValueError, AttributeError):
            return _error(400, "rest_invalid_json", "The JSON body could not be read.")
        if status.removeprefix("wc-") not in STATUSES:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): status")
        self.shop.set_status(state.index, status.removeprefix("wc-"), self.clock.now())
        updated = self.shop.order_state(state.index, self.clock.now())
        assert updated is not None
        return JSONResponse(woo_order(updated))
