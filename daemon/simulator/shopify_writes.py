"""The simulated shop taking fulfillments as Shopify does: GraphQL and REST.

Each order has one fulfillment order (the shop ships from one location):
``gid://shopify/FulfillmentOrder/{FULFILLMENT_ORDER_BASE + index}``, ``OPEN`` while unshipped
(``ON_HOLD`` when held, without ``CREATE_FULFILLMENT``), ``CLOSED`` once fulfilled, ``CANCELLED``
with the order.

- GraphQL: an ``order(id:)`` query asking for ``fulfillmentOrders`` gets the order's fulfillments
  and fulfillment orders; ``fulfillmentCreate`` fulfils the fulfillment orders given, with the
  tracking info given. A fulfillment order that cannot be fulfilled is a ``userErrors`` entry.
- REST: ``GET orders/{id}/fulfillment_orders.json`` and ``POST fulfillments.json`` (201 with the
  fulfillment; 422 with ``errors`` when it cannot be done).

:class:`WriteFaults` scripts failures of the next writes (an HTTP status, or ``refuse`` for a
refusal in the vendor's own form), so retries and giving up can be tested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from daemon.simulator.shop import ORDER_ID_BASE, OrderState, Shop
from daemon.simulator.shopify_nodes import iso
from daemon.simulator.shopify_rest_api import local
from sync.clock import Clock

JSON = dict[str, Any]
FULFILLMENT_ORDER_BASE = 6_100_000_000_000
REFUSE = "refuse"


@dataclass
class WriteFaults:
    """Failures scripted for the next writes, first in first out."""

    queue: list[int | str] = field(default_factory=list)
    taken: int = 0

    def fail(self, fault: int | str, times: int = 1) -> None:
        """The next ``times`` writes answer HTTP ``fault``, or are refused for ``refuse``; any
        other word lets a write through (to fail the one after it)."""
        self.queue.extend([fault] * times)

    def next(self) -> int | str | None:
        if not self.queue:
            return None
        self.taken += 1
        return self.queue.pop(0)


def fulfillment_order_status(state: OrderState) -> str:
    if state.cancelled_at is not None:
        return "CANCELLED"
    if state.fulfillments:
        return "CLOSED"
    if state.fulfillment_status == "ON_HOLD":
        return "ON_HOLD"
    return "OPEN"


def _actions(status: str) -> list[str]:
    if status == "OPEN":
        return ["CREATE_FULFILLMENT", "REQUEST_FULFILLMENT", "HOLD"]
    if status == "ON_HOLD":
        return ["RELEASE_HOLD"]
    return []


def _index(text: object, base: int) -> int | None:
    tail = str(text).rsplit("/", 1)[-1]
    return int(tail) - base if tail.isdigit() and int(tail) >= base else None


class ShopifyWrites:
    def __init__(self, shop: Shop, clock: Clock, token: str) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token
        self.faults = WriteFaults()

    def _state(self, index: int | None) -> OrderState | None:
        if index is None:
            return None
        return self.shop.order_state(index, self.clock.now())

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": "[API] Invalid API key or access token"}, 401)
        return None

    # ----- GraphQL -----

    @staticmethod
    def wants(body: JSON) -> bool:
        """Whether a GraphQL body is one of the calls handled here."""
        query = str(body.get("query", ""))
        return "fulfillmentCreate" in query or "fulfillmentOrders" in query

    async def graphql(self, request: Request, body: JSON) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        variables = body.get("variables") or {}
        if "fulfillmentCreate" not in str(body.get("query")):
            state = self._state(_index(variables.get("id"), ORDER_ID_BASE))
            return JSONResponse({"data": {"order": None if state is None else _order(state)}})
        fault = self.faults.next()
        if isinstance(fault, int):
            return PlainTextResponse(f"simulated HTTP {fault}", status_code=fault)
        given = (variables.get("fulfillment") or {}).get("lineItemsByFulfillmentOrder") or []
        info = (variables.get("fulfillment") or {}).get("trackingInfo") or {}
        problem = "simulated refusal" if fault == REFUSE else None
        indices = [_index(item.get("fulfillmentOrderId"), FULFILLMENT_ORDER_BASE) for item in given]
        problem = problem or self._problem(indices)
        if problem is not None:
            errors = [{"field": ["fulfillment", "lineItemsByFulfillmentOrder"], "message": problem}]
            return JSONResponse(
                {"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": errors}}}
            )
        made = self._fulfil(indices, info)
        node = {
            "id": f"gid://shopify/Fulfillment/{made['id']}",
            "status": "SUCCESS",
            "trackingInfo": [
                {"company": made["company"], "number": made["number"], "url": made["url"]}
            ],
        }
        return JSONResponse(
            {"data": {"fulfillmentCreate": {"fulfillment": node, "userErrors": []}}}
        )

    def _problem(self, indices: list[int | None]) -> str | None:
        if not indices:
            return "lineItemsByFulfillmentOrder must name at least one fulfillment order"
        for index in indices:
            state = self._state(index)
            if state is None or index is None:
                return "Fulfillment order does not exist."
            status = fulfillment_order_status(state)
            if "CREATE_FULFILLMENT" not in _actions(status):
                fo = FULFILLMENT_ORDER_BASE + index
                return f"Fulfillment order {fo} cannot be fulfilled while {status.lower()}."
        return None

    def _fulfil(self, indices: list[int | None], info: JSON) -> JSON:
        now = self.clock.now()
        made: JSON = {}
        for index in indices:
            assert index is not None
            written = self.shop.record_fulfillment(
                index,
                now,
                str(info.get("company") or ""),
                str(info.get("number") or ""),
                str(info.get("url") or ""),
            )
            made = {
                "id": written.id,
                "company": written.company,
                "number": written.number,
                "url": written.url,
                "created_at": written.created_at,
                "index": index,
            }
        return made

    # ----- REST -----

    async def rest_fulfillment_orders(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        state = self._state(_index(request.path_params["order_id"], ORDER_ID_BASE))
        if state is None:
            return JSONResponse({"errors": "Not Found"}, 404)
        status = fulfillment_order_status(state)
        fo = FULFILLMENT_ORDER_BASE + state.index
        listing = {
            "id": fo,
            "order_id": state.id,
            "status": status.lower(),
            "supported_actions": [a.lower() for a in _actions(status)],
            "line_items": [
                {
                    "id": fo * 10 + n,
                    "fulfillment_order_id": fo,
                    "line_item_id": item.line_id,
                    "quantity": item.quantity,
                    "fulfillable_quantity": 0 if status == "CLOSED" else item.quantity,
                }
                for n, item in enumerate(state.details.items)
            ],
        }
        return JSONResponse({"fulfillment_orders": [listing]})

    async def rest_fulfillment_create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        fault = self.faults.next()
        if isinstance(fault, int):
            return PlainTextResponse(f"simulated HTTP {fault}", status_code=fault)
        try:
            body = json.loads(await request.body())["fulfillment"]
            given = body["line_items_by_fulfillment_order"]
            info = body.get("tracking_info") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": {"fulfillment": "Required parameter missing"}}, 400)
        indices = [
            _index(item.get("fulfillment_order_id"), FULFILLMENT_ORDER_BASE) for item in given
        ]
        problem = "simulated refusal" if fault == REFUSE else self._problem(indices)
        if problem is not None:
            return JSONResponse({"errors": [problem]}, 422)
        made = self._fulfil(indices, info)
        state = self._state(made["index"])
        assert state is not None
        return JSONResponse(
            {
                "fulfillment": {
                    "id": made["id"],
                    "order_id": state.id,
                    "status": "success",
                    "created_at": local(made["created_at"]),
                    "tracking_company": made["company"],
                    "tracking_number": made["number"],
                    "tracking_numbers": [made["number"]],
                    "tracking_url": made["url"],
                    "tracking_urls": [made["url"]],
                    "admin_graphql_api_id": f"gid://shopify/Fulfillment/{made['id']}",
                }
            },
            status_code=201,
        )


def _order(state: OrderState) -> JSON:
    status = fulfillment_order_status(state)
    return {
        "id": f"gid://shopify/Order/{state.id}",
        "name": state.name,
        "displayFulfillmentStatus": state.fulfillment_status,
        "fulfillments": [
            {
                "id": f"gid://shopify/Fulfillment/{f.id}",
                "status": "SUCCESS",
                "createdAt": iso(f.created_at),
                "trackingInfo": [{"number": f.number}],
            }
            for f in state.fulfillments
        ],
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": f"gid://shopify/FulfillmentOrder/{FULFILLMENT_ORDER_BASE + state.index}",
                    "status": status,
                    "supportedActions": [{"action": a} for a in _actions(status)],
                }
            ]
        },
    }
