"""The GraphQL queries the Shopify source sends, and what Shopify charges for each.

Shopify prices a query before running it (its *requested* cost) and refuses any single query
over :data:`MAX_QUERY_COST` points with ``MAX_COST_EXCEEDED``, whatever is left in the bucket.
The rule (shopify.dev, "GraphQL Admin API rate limits"): a scalar or an enum costs 0, an object
1, and a connection 2 plus ``first`` times the cost of one of its nodes, so nested sizes multiply
by the outer ``first``. A list field that takes ``first`` (``fulfillments``, ``trackingInfo``,
``transactions``) is priced here like a connection: two points over at worst, never under.

Each query is a small tree of :class:`Field` values that both renders the text sent and prices
it, so the two cannot drift apart. The figures that follow from the sizes chosen below:

- one order on a page costs :data:`ORDER_COST` = 76 points (1 for the order, 2 for its total,
  1 each for customer and address, ``lineItems(first: 10)`` 2 + 10 × 3, ``fulfillments(first:
  5)`` 2 + 5 × (1 + ``trackingInfo(first: 3)`` 2 + 3 × 1), ``transactions(first: 5)`` 2 + 5);
- a page of ``n`` orders costs 2 + 76 × n, so :data:`LARGEST_PAGE` is 13 orders (990 points),
  the most the rule proves safe;
- an order with more line items than a page carries gets the rest from :data:`ORDER_LINES_QUERY`
  (100 a call, 303 points); one whose fulfillments, tracking numbers or transactions fill their
  short lists gets them again from :data:`ORDER_LISTS_QUERY` (50 fulfillments of 10 tracking
  numbers and 100 transactions, 755 points).

Live shops price nested connections far below the rule (a Shopify community thread shows a
query the rule puts at 503 points answered at 25), so 13 orders a page can be 19 times more
round trips than a shop needs. :class:`PageSizer` starts each run at :data:`LARGEST_PAGE` and
then sizes pages by what the shop itself reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_QUERY_COST = 1000
"""Shopify's most requested points for a single query."""
SAFE_SHARE = 0.9
"""A page sized from the shop's own prices is predicted to ask at most this share of the
single-query maximum: the margin for a price that does not grow in step with the page."""
MOST_ORDERS = 250
"""The most ``first`` Shopify takes for a connection."""
GROWTH = 2
"""A page is at most this many times the last one, so one odd price cannot jump to 250."""
OBJECT_COST = 1
CONNECTION_COST = 2
LINES_PER_ORDER = 10
FULFILLMENTS_PER_ORDER = 5
TRACKS_PER_FULFILLMENT = 3
TRANSACTIONS_PER_ORDER = 5
LINES_PER_CALL = 100
FULFILLMENTS_PER_CALL = 50
TRACKS_PER_CALL = 10
TRANSACTIONS_PER_CALL = 100
PAGE_INFO = "pageInfo { hasNextPage endCursor }"


@dataclass(frozen=True, slots=True)
class Field:
    """A field with a selection: an object, or with ``first`` a list of at most ``first`` of
    them (``paged``: a connection, its nodes under ``nodes`` next to a ``pageInfo``)."""

    name: str
    fields: tuple[str | Field, ...]
    first: int | None = None
    paged: bool = False
    arguments: str = ""
    """More arguments, as written (``after: $after``)."""

    @property
    def node_cost(self) -> int:
        return OBJECT_COST + sum(f.cost for f in self.fields if isinstance(f, Field))

    @property
    def cost(self) -> int:
        """The points Shopify asks for this field before running it."""
        if self.first is None:
            return self.node_cost
        return CONNECTION_COST + self.first * self.node_cost

    def render(self) -> str:
        arguments = [f"first: {self.first}"] if self.first is not None else []
        arguments += [self.arguments] if self.arguments else []
        head = f"{self.name}({', '.join(arguments)})" if arguments else self.name
        inner = render(self.fields)
        if self.paged:
            inner = f"nodes {{ {inner} }} {PAGE_INFO}"
        return f"{head} {{ {inner} }}"


def render(fields: tuple[str | Field, ...]) -> str:
    return " ".join(f if isinstance(f, str) else f.render() for f in fields)


def line_items(first: int, arguments: str = "") -> Field:
    price = Field("originalUnitPriceSet", (Field("shopMoney", ("amount",)),))
    return Field("lineItems", ("id", "title", "quantity", "sku", price), first, True, arguments)


def order_lists(fulfillments: int, tracks: int, transactions: int) -> tuple[Field, Field]:
    tracking = Field("trackingInfo", ("company", "number", "url"), tracks)
    return (
        Field(
            "fulfillments", ("id", "createdAt", "status", "displayStatus", tracking), fulfillments
        ),
        Field("transactions", ("kind", "status", "processedAt"), transactions),
    )


ORDER = Field(
    "node",
    (
        "id name email createdAt updatedAt processedAt cancelledAt closedAt",
        "displayFinancialStatus displayFulfillmentStatus sourceName tags",
        Field("totalPriceSet", (Field("shopMoney", ("amount", "currencyCode")),)),
        Field("customer", ("firstName lastName email phone",)),
        Field(
            "shippingAddress",
            ("name phone address1 address2 city province country countryCodeV2 zip",),
        ),
        line_items(LINES_PER_ORDER),
        *order_lists(FULFILLMENTS_PER_ORDER, TRACKS_PER_FULFILLMENT, TRANSACTIONS_PER_ORDER),
    ),
)
ORDER_FIELDS = render(ORDER.fields)
ORDER_COST = ORDER.node_cost


def page_cost(first: int) -> int:
    """The requested cost of an ``orders`` page of ``first`` orders."""
    return CONNECTION_COST + first * ORDER_COST


LARGEST_PAGE = (MAX_QUERY_COST - CONNECTION_COST) // ORDER_COST
ORDERS_QUERY = (
    "query Orders($first: Int!, $after: String, $query: String) {\n"
    "  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {\n"
    f"    edges {{ cursor node {{ {ORDER_FIELDS} }} }}\n"
    f"    {PAGE_INFO}\n"
    "  }\n"
    "}\n"
)

_LINES = Field("order", ("id", line_items(LINES_PER_CALL, "after: $after")), arguments="id: $id")
ORDER_LINES_QUERY = f"query OrderLines($id: ID!, $after: String) {{\n  {_LINES.render()}\n}}\n"
ORDER_LINES_COST = _LINES.cost

_LISTS = Field(
    "order",
    ("id", *order_lists(FULFILLMENTS_PER_CALL, TRACKS_PER_CALL, TRANSACTIONS_PER_CALL)),
    arguments="id: $id",
)
ORDER_LISTS_QUERY = f"query OrderLists($id: ID!) {{\n  {_LISTS.render()}\n}}\n"
ORDER_LISTS_COST = _LISTS.cost


def page_nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The order nodes of an ``orders`` page, a malformed page is left to the parser."""
    try:
        edges = body["data"]["orders"]["edges"]
        return [edge["node"] for edge in edges if isinstance(edge["node"], dict)]
    except (KeyError, TypeError):
        return []


def lists_full(
    node: dict[str, Any],
    fulfillments: int = FULFILLMENTS_PER_ORDER,
    tracks: int = TRACKS_PER_FULFILLMENT,
    transactions: int = TRANSACTIONS_PER_ORDER,
) -> bool:
    """Whether an order's short lists came back full, so that more may be left out."""
    shipped = node.get("fulfillments") or ()
    return (
        len(shipped) >= fulfillments
        or len(node.get("transactions") or ()) >= transactions
        or any(len(f.get("trackingInfo") or ()) >= tracks for f in shipped)
    )


def _points(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < float("inf") else None


def orders_fitting(per_order: float, most_points: float = MAX_QUERY_COST) -> int:
    """How many orders priced ``per_order`` each a page may ask within :data:`SAFE_SHARE` of
    ``most_points``."""
    budget = SAFE_SHARE * most_points - CONNECTION_COST
    return MOST_ORDERS if per_order <= 0 else max(0, int(budget // per_order))


@dataclass(slots=True)
class PageSizer:
    """How many orders the next ``orders`` page asks for.

    A run starts at what the published rule proves safe (:data:`LARGEST_PAGE`, or ``most`` if
    lower). After each page the shop's own price of an order is ``(requestedQueryCost - 2) /
    first``, and the next page is as many orders as stay within :data:`SAFE_SHARE` of the
    single-query maximum at that price, but never fewer than the proven size, never more than
    ``most`` and never more than :data:`GROWTH` times the page just priced. A refused page
    (``MAX_COST_EXCEEDED``) is shrunk by the price the refusal states, and the proven size falls
    with it for the rest of the run.
    """

    most: int
    """The configured ``page_size``, at most :data:`MOST_ORDERS`."""
    proven: int = field(init=False)
    size: int = field(init=False)
    per_order: float = field(init=False)
    """The last price of one order: the shop's, or the published rule's before any."""

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        """A new run: back to the size the published rule proves safe."""
        self.proven = self.size = min(self.most, LARGEST_PAGE)
        self.per_order = ORDER_COST

    @property
    def predicted_cost(self) -> int:
        """What the next page should ask, for pacing the cost bucket."""
        return math.ceil(CONNECTION_COST + self.size * self.per_order)

    def priced(self, first: int, requested: object) -> None:
        """The shop answered a page of ``first`` orders, priced at ``requested`` points."""
        points = _points(requested)
        if points is None or first < 1:
            return  # no price stated: keep the size
        self.per_order = max(points - CONNECTION_COST, 0) / first
        fitting = max(orders_fitting(self.per_order), self.proven)
        self.size = max(1, min(fitting, first * GROWTH, self.most))

    def refused(self, first: int, cost: object, most_points: object) -> bool:
        """The shop refused a page of ``first`` orders as ``cost`` points, over its
        ``most_points``: shrink the page and say True, or False when it is one order already."""
        if first <= 1:
            return False
        points, most = _points(cost), _points(most_points) or MAX_QUERY_COST
        if points is None:
            fitting = first // 2
        else:
            self.per_order = max(points - CONNECTION_COST, 0) / first
            fitting = orders_fitting(self.per_order, most)
        self.size = max(1, min(fitting, first - 1))
        self.proven = min(self.proven, self.size)
        return True
