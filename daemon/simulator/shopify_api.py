"""The simulated shop as Shopify's Admin GraphQL API serves it: the ``orders`` connection and
``order(id:)``.

The query text is read by :mod:`.shopify_cost` (its fields and ``first``/``after`` arguments, no
full GraphQL) and the variables ``first``, ``after`` and ``query`` (a search string such as
``updated_at:>='2025-01-01T00:00:00Z'``) drive the answer, always sorted by ``UPDATED_AT``. An
order node carries every field, but its nested lists (``lineItems``, which pages by cursor,
``fulfillments``, ``trackingInfo``, ``transactions``) only as many entries as the query's
``first`` asks. Queries are priced by the shop's :class:`~.shopify_cost.CostModel`
(:attr:`ShopifyAdmin.cost_model`, ``classic`` unless set). Like Shopify, a query whose requested
cost is over 1000 points is refused with ``MAX_COST_EXCEEDED``; otherwise the requested cost is
taken from a leaky bucket of query-cost points and what the answer did not use (its actual cost
counts the nodes returned) is given back, all reported in ``extensions.cost``; a call the
bucket cannot pay is answered with a ``THROTTLED`` error.
"""

from __future__ import annotations

import bisect
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from daemon.simulator.shop import ORDER_ID_BASE, Shop, position_key
from daemon.simulator.shopify_cost import (
    MAX_QUERY_COST,
    CostModel,
    QuerySyntaxError,
    Selected,
    actual_cost,
    connection_cost,
    marked_up,
    max_cost_body,
    node_cost,
    parse,
    requested_cost,
)
from daemon.simulator.shopify_nodes import (
    Nested,
    decode_cursor,
    encode_cursor,
    order_node,
)
from sync.clock import Clock

JSON = dict[str, Any]
MAX_PAGE = 250
_FILTER = re.compile(r"updated_at:\s*(>=|>)\s*'?([0-9T:\-+.Z ]+?)'?(?:\s|$)")
_COUNT = re.compile(r"\bordersCount\b")
_UNCAPPED = re.compile(r"\bordersCount\s*\([^)]*\blimit:\s*(null|\$\w+)")
COUNT_LIMIT = 10_000
"""What ``ordersCount`` counts up to unless asked for ``limit: null`` (API 2025-07 on)."""
ListingKey = tuple[str, int, CostModel]
"""(query text, the instant's epoch second, the cost model) of a first sync's listing."""


@dataclass
class Bucket:
    """Shopify's calculated-cost leaky bucket: ``maximum`` points, refilled ``restore_rate``/s."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    monotonic: Callable[[], float] = time.monotonic
    available: float = field(init=False)
    _checked: float = field(init=False)

    def __post_init__(self) -> None:
        self.available = self.maximum
        self._checked = self.monotonic()

    def _refill(self) -> None:
        moment = self.monotonic()
        self.available = min(
            self.maximum, self.available + (moment - self._checked) * self.restore_rate
        )
        self._checked = moment

    def take(self, cost: float) -> bool:
        self._refill()
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def give_back(self, points: float) -> None:
        self.available = min(self.maximum, self.available + points)

    def status(self) -> JSON:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }


def throttled_body(bucket: Bucket, requested: int) -> JSON:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": bucket.status(),
            }
        },
    }


def _graphql_error(message: str, code: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]})


def _since(search: str) -> int:
    """The epoch second a search string's ``updated_at`` filter starts at (0 without one)."""
    match = _FILTER.search(search)
    if not match:
        return 0
    operator, text = match.groups()
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    epoch = int(moment.timestamp())
    return epoch + 1 if operator == ">" else epoch


def _page_size(orders: Selected, variables: JSON) -> int:
    first = orders.size(variables)
    return max(1, min(MAX_PAGE, 50 if first is None else first))


def _cost(requested: int, actual: int | None, bucket: Bucket) -> JSON:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": bucket.status(),
    }


@dataclass(frozen=True, slots=True)
class Listing:
    """Every order of a first sync drawn ahead, oldest change first, each edge as JSON with what
    its node costs, so that a page of any size is a slice of them."""

    positions: list[int]
    """Each order's position key (:func:`~.shop.position_key`), ascending."""
    edges: list[bytes]
    costs: list[int]

    def page(self, first: int, after: int, model: CostModel) -> tuple[bytes, int]:
        """The ``data`` JSON of the page of ``first`` orders after position ``after``, and its
        actual cost."""
        start = bisect.bisect_right(self.positions, after)
        stop = min(start + first, len(self.edges))
        edges = self.edges[start:stop]
        info = {
            "hasNextPage": stop < len(self.edges),
            "hasPreviousPage": after >= 0,
            "startCursor": _cursor_of(edges[0]) if edges else None,
            "endCursor": _cursor_of(edges[-1]) if edges else None,
        }
        data = (
            b'{"orders":{"edges":['
            + b",".join(edges)
            + b'],"pageInfo":'
            + json.dumps(info, separators=(",", ":")).encode()
            + b"}}"
        )
        actual = marked_up(connection_cost(sum(self.costs[start:stop]), model), model)
        return data, actual


def _cursor_of(edge: bytes) -> str:
    cursor: str = json.loads(edge)["cursor"]
    return cursor


class ShopifyAdmin:
    """Handler of ``POST /admin/api/{version}/graphql.json``."""

    def __init__(self, shop: Shop, clock: Clock, token: str, bucket: Bucket) -> None:
        self.shop = shop
        self.clock = clock
        self.token = token
        self.bucket = bucket
        self.cost_model = CostModel.CLASSIC
        """How queries are priced; set it before :meth:`prerender`."""
        self.listings: dict[ListingKey, Listing] = {}
        """First syncs drawn ahead of time (:meth:`prerender`). A shop whose clock stands still
        answers their pages from here without drawing."""

    def prerender(self, first: int, query: str) -> int:
        """Draw every order of a first sync at the clock's instant as ``query`` asks for them
        and keep their JSON: a benchmark's shop then answers pages of any size at the speed of
        its HTTP server, so the benchmark measures the daemon. Returns how many pages of
        ``first`` orders the sync takes."""
        tree = parse(query)
        orders = tree.child("orders")
        if orders is None or len(tree.fields) != 1:
            raise ValueError("prerender needs a query of orders alone")
        nested = Nested.of(orders, {"first": 1})
        each = orders.node_fields()
        at = self.clock.now()
        positions, edges, costs = [], [], []
        for index, updated in self.shop.changed(at, limit=1 << 40)[0]:
            state = self.shop.listed_state(index, at)
            if state is None:  # pragma: no cover - changed() only lists placed orders
                continue
            node = order_node(state, nested)
            edge = {"cursor": encode_cursor(state.id, updated), "node": node}
            positions.append(position_key(updated, index))
            edges.append(json.dumps(edge, separators=(",", ":")).encode())
            costs.append(node_cost(each, node, self.cost_model))
        key = (query, int(at.timestamp()), self.cost_model)
        self.listings[key] = Listing(positions, edges, costs)
        return max(1, -(-len(edges) // max(1, min(MAX_PAGE, first))))

    async def graphql(self, request: Request) -> Response:
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse(
                {
                    "errors": "[API] Invalid API key or access token (unrecognized login or "
                    "wrong password)"
                },
                status_code=401,
            )
        try:
            body = json.loads(await request.body())
            variables = body.get("variables") or {}
            text = str(body.get("query") or "")
            since = _since(str(variables.get("query") or ""))
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"errors": {"query": f"Required parameter invalid: {exc}"}}, 400)
        if _COUNT.search(text):
            return JSONResponse(self._count(since, uncapped=bool(_UNCAPPED.search(text))))
        try:
            tree = parse(text)
            requested = requested_cost(tree, variables, self.cost_model)
        except (QuerySyntaxError, ValueError, TypeError) as exc:
            return _graphql_error(f"Parse error: {exc}", "PARSE_ERROR")
        if requested > MAX_QUERY_COST:
            return JSONResponse(max_cost_body(requested))
        order, orders = tree.child("order"), tree.child("orders")
        if order is None and orders is None:
            names = ", ".join(field.name for field in tree.fields)
            return _graphql_error(
                f"Field '{names}' doesn't exist on type 'QueryRoot'", "undefinedField"
            )
        if not self.bucket.take(requested):
            return JSONResponse(throttled_body(self.bucket, requested))
        try:
            nested = Nested.of(order or orders or tree, variables)
            after = -1
            if orders is not None and variables.get("after"):
                order_id, updated = decode_cursor(str(variables["after"]))
                after = position_key(updated, order_id - ORDER_ID_BASE)
        except ValueError as exc:
            self.bucket.give_back(requested)
            return _graphql_error(str(exc), "BAD_REQUEST")
        if order is not None:
            data = {order.key: self._order(order.argument("id", variables), nested)}
            return self._answer(data, tree, requested)
        assert orders is not None
        first = _page_size(orders, variables)
        listing = self.listings.get((text, int(self.clock.now().timestamp()), self.cost_model))
        if listing is not None and since == 0:
            return self._rendered(listing.page(first, after, self.cost_model), requested)
        data = self._data(first, since, after, after >= 0, nested)[0]
        return self._answer(data, tree, requested)

    def _order(self, gid: object, nested: Nested) -> JSON | None:
        """``order(id:)``: the order as listings show it now; None for an id the shop lacks."""
        prefix = "gid://shopify/Order/"
        text = str(gid or "")
        if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
            return None
        index = int(text[len(prefix) :]) - ORDER_ID_BASE
        state = self.shop.listed_state(index, self.clock.now()) if index >= 0 else None
        return None if state is None else order_node(state, nested)

    def _answer(self, data: JSON, tree: Selected, requested: int) -> Response:
        actual = actual_cost(tree.fields, data, self.cost_model)
        self.bucket.give_back(requested - actual)
        return JSONResponse(
            {"data": data, "extensions": {"cost": _cost(requested, actual, self.bucket)}}
        )

    def _rendered(self, page: tuple[bytes, int], requested: int) -> Response:
        data, actual = page
        self.bucket.give_back(requested - actual)
        cost = _cost(requested, actual, self.bucket)
        extensions = json.dumps({"cost": cost}, separators=(",", ":")).encode()
        body = b'{"data":' + data + b',"extensions":' + extensions + b"}"
        return Response(body, media_type="application/json")

    def _count(self, since: int, *, uncapped: bool) -> JSON:
        """``ordersCount``: the orders a listing from ``since`` brings (cost 1, never throttled:
        Shopify charges a count next to nothing)."""
        at = self.clock.now()
        if since == 0:
            count = self.shop.count_at(at)
        else:
            count = len(self.shop.changed(at, since=since, limit=1 << 30)[0])
        capped = not uncapped and count > COUNT_LIMIT
        precision = "AT_LEAST" if capped else "EXACT"
        return {
            "data": {
                "ordersCount": {"count": COUNT_LIMIT if capped else count, "precision": precision}
            },
            "extensions": {
                "cost": {
                    "requestedQueryCost": 1,
                    "actualQueryCost": 1,
                    "throttleStatus": self.bucket.status(),
                }
            },
        }

    def _data(
        self, first: int, since: int, after: int, paged: bool, nested: Nested
    ) -> tuple[JSON, bool]:
        """The ``data`` of an ``orders`` page and whether more follow."""
        at = self.clock.now()
        found, more = self.shop.changed(at, since=since, after=after, limit=first)
        edges = []
        for index, updated in found:
            state = self.shop.listed_state(index, at)
            if state is None:  # pragma: no cover - changed() only lists placed orders
                continue
            edges.append(
                {"cursor": encode_cursor(state.id, updated), "node": order_node(state, nested)}
            )
        data = {
            "orders": {
                "edges": edges,
                "pageInfo": {
                    "hasNextPage": more,
                    "hasPreviousPage": paged,
                    "startCursor": edges[0]["cursor"] if edges else None,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }
        }
        return data, more
