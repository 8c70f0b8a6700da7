"""The simulator's HTTP face: a Starlette app serving one shop in two vendors' wire formats.

- ``POST /admin/api/{version}/graphql.json``: Shopify Admin GraphQL ``orders`` (header
  ``X-Shopify-Access-Token``)
- ``GET /admin/api/{version}/orders.json``, ``orders/count.json``, ``orders/{id}.json``: Shopify
  Admin REST, same token
- ``GET /wp-json/wc/v3/orders`` and ``/wp-json/wc/v3/orders/{id}``: WooCommerce REST v3
  (consumer key and secret)
- ``POST /track/v2.2/register``, ``gettrackinfo``, ``stoptrack``, ``retrack`` and ``getquota``:
  17TRACK (header ``17token``)
- ``POST``/``GET /tracking/{version}/trackings…``: AfterShip (header ``as-api-key``)
- ``POST /poll`` and ``POST /poll/query.do``: Kuaidi100 (key and customer in the form)
- writes an agent's tracking push makes: Shopify GraphQL ``fulfillmentCreate`` (and the
  ``order { fulfillmentOrders }`` query before it), Shopify REST
  ``orders/{id}/fulfillment_orders.json`` and ``POST fulfillments.json``, WooCommerce Shipment
  Tracking ``/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings`` and ``PUT
  /wp-json/wc/v3/orders/{id}`` (:mod:`.shopify_writes`, :mod:`.woocommerce_writes`)
- ``GET /_sim/health``: the simulator's own status; never faulted

Faults (see :mod:`daemon.simulator.faults`) apply to the vendor routes only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from daemon.simulator.aftership_api import AfterShip, too_many_body
from daemon.simulator.faults import GARBAGE, STALL, Faults
from daemon.simulator.kuaidi100_api import Kuaidi100
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket, ShopifyAdmin, throttled_body
from daemon.simulator.shopify_cost import CostModel
from daemon.simulator.shopify_nodes import iso as shopify_iso
from daemon.simulator.shopify_rest_api import CallBucket, ShopifyRest
from daemon.simulator.shopify_writes import ShopifyWrites
from daemon.simulator.track17_api import Track17
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET, WooCommerce
from daemon.simulator.woocommerce_writes import WooCommerceWrites
from sync.clock import Clock

Handler = Callable[[Request], Awaitable[Response]]
DEFAULT_TOKEN = "demo-token"


def _faulty(
    handler: Handler, faults: Faults, too_many: Callable[[], Response]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        fault = faults.draw()
        if fault == STALL:
            await asyncio.sleep(faults.stall_seconds)
        elif fault == 429:
            response = too_many()
            response.headers["Retry-After"] = str(faults.retry_after)
            return response
        elif isinstance(fault, int):
            return PlainTextResponse(f"simulated HTTP {fault}", status_code=fault)
        response = await handler(request)
        if fault == GARBAGE:
            body = bytes(response.body)
            return Response(body[: len(body) // 2], media_type="application/json")
        return response

    return endpoint


def create_app(
    shop: Shop,
    *,
    clock: Clock,
    faults: Faults | str | None = None,
    token: str = DEFAULT_TOKEN,
    track17_token: str | None = None,
    bucket: Bucket | None = None,
    calls: CallBucket | None = None,
    woo_key: str = DEFAULT_KEY,
    woo_secret: str = DEFAULT_SECRET,
    aftership_per_second: int = 10,
    shopify_cost: CostModel = CostModel.CLASSIC,
) -> Starlette:
    """An app serving ``shop`` as it stands at ``clock.now()``.

    ``token`` is the Shopify access token the shop accepts, and the 17TRACK key too unless
    ``track17_token`` is given. ``faults`` is a :class:`Faults` or a spec string (seed 0).
    ``bucket`` sets the GraphQL query-cost budget (default: 2000 points, 100 restored per
    second), ``calls`` the REST call bucket (default: 40 calls, 2 leaked per second).
    ``shopify_cost`` is how GraphQL queries are priced (default: Shopify's published rule).
    """
    chaos = faults if isinstance(faults, Faults) else Faults(faults or "")
    admin = ShopifyAdmin(shop, clock, token, bucket or Bucket())
    admin.cost_model = shopify_cost
    rest = ShopifyRest(shop, clock, token, calls or CallBucket())
    woo = WooCommerce(shop, clock, woo_key, woo_secret)
    tracking = Track17(shop, clock, track17_token or token)
    aftership = AfterShip(shop, clock, token, per_second=aftership_per_second)
    kuaidi100 = Kuaidi100(shop, clock)
    writes = ShopifyWrites(shop, clock, token)
    woo_writes = WooCommerceWrites(shop, clock, woo)

    async def graphql(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if isinstance(body, dict) and ShopifyWrites.wants(body):
            return await writes.graphql(request, body)
        return await admin.graphql(request)

    def shopify_too_many() -> Response:
        return JSONResponse(throttled_body(admin.bucket, 0), status_code=429)

    def plain_too_many() -> Response:
        return PlainTextResponse("Too Many Requests", status_code=429)

    def aftership_too_many() -> Response:
        return JSONResponse(too_many_body(), status_code=429)

    def rest_too_many() -> Response:
        return JSONResponse({"errors": "Exceeded 2 calls per second for api client."}, 429)

    async def health(request: Request) -> Response:
        now = clock.now()
        return JSONResponse(
            {
                "ok": True,
                "now": shopify_iso(now),
                "seed": shop.seed,
                "orders": shop.count_at(now),
                "registered": len(tracking.registered),
                "faults": str(chaos.spec),
                "injected": {str(kind): count for kind, count in chaos.injected.items()},
            }
        )

    routes = [
        Route(
            "/admin/api/{version}/graphql.json",
            _faulty(graphql, chaos, shopify_too_many),
            methods=["POST"],
        ),
        Route(
            "/track/v2.2/register",
            _faulty(tracking.register, chaos, plain_too_many),
            methods=["POST"],
        ),
        Route(
            "/track/v2.2/gettrackinfo",
            _faulty(tracking.gettrackinfo, chaos, plain_too_many),
            methods=["POST"],
        ),
        Route(
            "/admin/api/{version}/orders.json",
            _faulty(rest.orders, chaos, rest_too_many),
            methods=["GET"],
        ),
        Route(
            "/admin/api/{version}/orders/count.json",
            _faulty(rest.count, chaos, rest_too_many),
            methods=["GET"],
        ),
        Route(
            "/admin/api/{version}/orders/{order_id}.json",
            _faulty(rest.order, chaos, rest_too_many),
            methods=["GET"],
        ),
        Route("/wp-json/wc/v3/orders", _faulty(woo.orders, chaos, plain_too_many)),
        Route("/wp-json/wc/v3/orders/{order_id:int}", _faulty(woo.order, chaos, plain_too_many)),
        *_tracking_routes(tracking, aftership, kuaidi100, chaos, plain_too_many),
        Route(
            "/tracking/{version}/trackings",
            _faulty(aftership.create, chaos, aftership_too_many),
            methods=["POST"],
        ),
        Route(
            "/tracking/{version}/trackings",
            _faulty(aftership.listing, chaos, aftership_too_many),
            methods=["GET"],
        ),
        Route(
            "/tracking/{version}/trackings/{slug}/{number}",
            _faulty(aftership.one, chaos, aftership_too_many),
            methods=["GET"],
        ),
        Route(
            "/tracking/{version}/trackings/{tracking_id}",
            _faulty(aftership.one, chaos, aftership_too_many),
            methods=["GET"],
        ),
        *_write_routes(writes, woo_writes, chaos, rest_too_many, plain_too_many),
        Route("/_sim/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.shop = shop
    app.state.faults = chaos
    app.state.track17 = tracking
    app.state.aftership = aftership
    app.state.kuaidi100 = kuaidi100
    app.state.shopify = admin
    app.state.shopify_rest = rest
    app.state.woocommerce = woo
    app.state.shopify_writes = writes
    app.state.woo_writes = woo_writes
    return app


def _tracking_routes(
    track17: Track17,
    aftership: AfterShip,
    kuaidi100: Kuaidi100,
    chaos: Faults,
    too_many: Callable[[], Response],
) -> list[Route]:
    """17TRACK's mutations and quota, and Kuaidi100's two calls (AfterShip's are above)."""
    return [
        Route(
            "/track/v2.2/stoptrack", _faulty(track17.stoptrack, chaos, too_many), methods=["POST"]
        ),
        Route("/track/v2.2/getquota", _faulty(track17.getquota, chaos, too_many), methods=["POST"]),
        Route("/track/v2.2/retrack", _faulty(track17.retrack, chaos, too_many), methods=["POST"]),
        Route("/poll", _faulty(kuaidi100.subscribe, chaos, too_many), methods=["POST"]),
        Route("/poll/query.do", _faulty(kuaidi100.query, chaos, too_many), methods=["POST"]),
    ]


def _write_routes(
    shopify: ShopifyWrites,
    woo: WooCommerceWrites,
    chaos: Faults,
    rest_too_many: Callable[[], Response],
    too_many: Callable[[], Response],
) -> list[Route]:
    """The REST writes of a tracking push (GraphQL's go through the GraphQL route)."""
    trackings = "/wp-json/wc-shipment-tracking/v3/orders/{order_id:int}/shipment-trackings"
    return [
        Route(
            "/admin/api/{version}/orders/{order_id}/fulfillment_orders.json",
            _faulty(shopify.rest_fulfillment_orders, chaos, rest_too_many),
            methods=["GET"],
        ),
        Route(
            "/admin/api/{version}/fulfillments.json",
            _faulty(shopify.rest_fulfillment_create, chaos, rest_too_many),
            methods=["POST"],
        ),
        Route(trackings, _faulty(woo.trackings, chaos, too_many), methods=["GET", "POST"]),
        Route(
            "/wp-json/wc/v3/orders/{order_id:int}",
            _faulty(woo.update_order, chaos, too_many),
            methods=["PUT"],
        ),
    ]
