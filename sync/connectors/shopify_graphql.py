"""Shopify Admin GraphQL API: a shop's orders, paged by last update (kind ``shopify``, also
registered as ``shopify-graphql``).

Settings: ``url`` (the shop's base URL, e.g. ``https://example.myshopify.com``), ``token`` (an
Admin API access token), ``page_size`` (the most orders a page, default and most 250),
``api_version`` (default ``2025-01``), ``lookback_seconds`` (default 60; ``overlap_seconds`` is
its older name) and ``max_pause_seconds`` (default 10, the longest this connector sleeps to
respect the cost bucket), plus the HTTP settings of :mod:`sync.connectors.base`.

Shopify refuses any query whose requested cost is over 1000 points. By its published rule an
order with its line items, fulfillments and transactions costs 76 (:mod:`.shopify_query` has the
arithmetic), so a run starts at 13 orders a page (or ``page_size`` if lower); live shops price
nested lists far lower, so each page is then sized by the shop's own ``requestedQueryCost``
(:class:`~.shopify_query.PageSizer`: within 90% of the limit, at most twice the last page, at
most ``page_size``). Should Shopify answer ``MAX_COST_EXCEEDED``, the same page is asked again
at once with fewer orders, by the ratio the refusal states; only a page of one order refused is
:class:`QueryTooCostly`, one line saying so: a query problem, not a rate limit, so it is not
retried as one. An order with more line items than a page carries (10) has the rest fetched by
``order(id:)`` queries paging its ``lineItems``; one whose fulfillments, tracking numbers or
transactions fill their short lists (5, 3, 5) has them fetched again in longer ones, so nothing
is cut silently.

The cursor is a :class:`~sync.connectors.window.Window`: a run asks for orders with
``updated_at >= since`` sorted by ``UPDATED_AT`` and follows GraphQL's ``endCursor``; when the
run reaches the end, the next one starts at ``high - lookback``, so an update stamped in the same
second as the last one seen (or indexed late) is fetched again rather than missed. A cursor
Shopify no longer accepts restarts the run from the last saved order.

Throttling comes two ways: HTTP 429 (retried by :func:`sync.http.send`, honouring
``Retry-After``) and a 200 whose ``errors`` say ``THROTTLED``, answered with
:class:`~sync.errors.SourceRateLimited` carrying the wait the cost bucket needs. Webhooks arrive
in the REST shape whatever API the app uses, so they are read by :mod:`.shopify_rest`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from sync.connectors.base import OrderPage, OrderSource, required, setting_number
from sync.connectors.node_texts import decode_keeping
from sync.connectors.shopify_graphql_parse import first_message, parse_orders
from sync.connectors.shopify_query import (
    FULFILLMENTS_PER_CALL,
    MAX_QUERY_COST,
    MOST_ORDERS,
    ORDER_LINES_COST,
    ORDER_LINES_QUERY,
    ORDER_LISTS_COST,
    ORDER_LISTS_QUERY,
    ORDERS_QUERY,
    TRACKS_PER_CALL,
    TRANSACTIONS_PER_CALL,
    PageSizer,
    lists_full,
    page_nodes,
)
from sync.connectors.shopify_rest import (
    parse_order_deletion,
    parse_order_webhook,
)
from sync.connectors.window import Window
from sync.domain import (
    OrderRecord,
)
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.http import CredentialsRefused

JSON = dict[str, Any]
log = logging.getLogger(__name__)

# ordersCount exists from API 2024-07; from 2025-07 it counts past 10,000 when asked for
# ``limit: null`` (https://shopify.dev/changelog/uncapped-graphql-counts).
UNCAPPED_COUNTS = "2025-07"
COUNT_QUERY = "query OrdersCount {\n  ordersCount { count precision }\n}\n"
UNCAPPED_COUNT_QUERY = "query OrdersCount {\n  ordersCount(limit: null) { count precision }\n}\n"


class CursorRefused(SourceError):
    """Shopify refused the ``after`` cursor it handed out earlier."""


class QueryTooCostly(SourceError):
    """Shopify refused a query as over its single-query cost limit (``MAX_COST_EXCEEDED``)."""

    def __init__(self, message: str, *, cost: object = None, most: object = None) -> None:
        super().__init__(message)
        self.cost = cost
        """The points Shopify said the query costs, as it said them."""
        self.most = most
        """Shopify's single-query maximum, as it said it."""


class ShopifyGraphQLSource(OrderSource):
    kind: ClassVar[str] = "shopify"

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        required(settings, ("url", "token"), self.where)
        version = settings.get("api_version") or "2025-01"
        self.count_query = COUNT_QUERY if version < UNCAPPED_COUNTS else UNCAPPED_COUNT_QUERY
        self.endpoint = f"{settings['url'].rstrip('/')}/admin/api/{version}/graphql.json"
        asked = setting_number(settings, "page_size", MOST_ORDERS, self.where, minimum=1)
        if asked != int(asked):
            raise ConfigError(f"{self.where}: page_size must be a whole number of orders")
        self.page_size = min(int(asked), MOST_ORDERS)
        if asked > MOST_ORDERS:
            log.warning(
                "%s: page_size %d is over the %d orders Shopify lists at once; asking at most %d",
                self.where, asked, MOST_ORDERS, MOST_ORDERS,
            )  # fmt: skip
        self.pages = PageSizer(self.page_size)
        overlap = setting_number(settings, "overlap_seconds", 60, self.where)
        self.lookback = timedelta(
            seconds=setting_number(settings, "lookback_seconds", overlap, self.where)
        )
        self.max_pause = setting_number(settings, "max_pause_seconds", 10, self.where)
        self._monotonic = monotonic
        self._budget: tuple[float, float, float] | None = None
        """(currently available, restore rate, when read) as the last answer left the bucket."""

    async def fetch_page(self, cursor: str) -> OrderPage:
        window = Window.load(cursor, self.name)
        if not window.after:
            self.pages.start()
        variables: JSON = {"after": window.after}
        if window.since is not None:
            variables["query"] = f"updated_at:>='{window.since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        texts: dict[str, str] = {}
        try:
            body = await self._orders(variables, texts)
        except CursorRefused:
            if not window.after:
                raise
            return OrderPage(orders=(), cursor=window.restart().dump(), more=True)
        for node in page_nodes(body):
            if await self._complete(node):  # no longer what the shop sent
                texts.pop(node.get("id"), None)  # type: ignore[arg-type]
        orders, more, end = parse_orders(body, self.name, texts)
        if more and not end:
            raise PayloadError(f"{self.name}: hasNextPage without an endCursor")
        kept = window.keep(orders)
        following = window.advance(kept, end if more else None, lookback=self.lookback)
        total, at_least = None, None
        if window.since is None and not window.after:
            total, at_least = await self._count()
        return OrderPage(
            orders=tuple(kept), cursor=following.dump(), more=more, total=total, at_least=at_least
        )

    async def _orders(self, variables: JSON, texts: dict[str, str]) -> JSON:
        """One ``orders`` page as big as the shop's prices allow; a page Shopify refuses as too
        costly is asked again at once with fewer orders, from the same place. ``texts`` gets
        each order's JSON as the shop sent it, by id."""
        while True:
            first = self.pages.size
            texts.clear()  # of a page refused
            try:
                body = await self._post(
                    {"query": ORDERS_QUERY, "variables": {"first": first, **variables}},
                    cost=self.pages.predicted_cost,
                    what=f"orders query of {first} order{'s' if first > 1 else ''}",
                    texts=texts,
                )
            except QueryTooCostly as refusal:
                if not self.pages.refused(first, refusal.cost, refusal.most):
                    raise
                log.info(
                    "%s: Shopify priced %d orders at %s points; asking %d",
                    self.name, first, refusal.cost, self.pages.size,
                )  # fmt: skip
                continue
            self.pages.priced(first, _requested_cost(body))
            return body

    def _keeping(self, response: httpx.Response, texts: dict[str, str]) -> Any:
        """:meth:`json_body`, keeping the text of each order node (:func:`decode_keeping`)."""
        try:
            body, found = decode_keeping(response.content)
        except (ValueError, UnicodeDecodeError):
            return self.json_body(response)  # which says what is wrong
        texts.update(found)
        return body

    def full_pass(self, cursor: str) -> str | None:
        start = Window.load(cursor, self.name).full_pass()
        return None if start is None else start.dump()

    def parse_push(self, topic: str, body: bytes) -> list[OrderRecord]:
        return parse_order_webhook(topic, body, self.name)

    def parse_deletions(self, topic: str, body: bytes) -> list[str]:
        return parse_order_deletion(topic, body, self.name)

    async def _complete(self, node: JSON) -> bool:
        """Fetch what the page's short nested lists left out of one order node, in place;
        whether there was anything to fetch."""
        try:
            more_lines = bool((node.get("lineItems") or {}).get("pageInfo", {}).get("hasNextPage"))
            if more_lines:
                await self._more_lines(node)
            longer = lists_full(node)
            if longer:
                await self._longer_lists(node)
        except (KeyError, TypeError, AttributeError) as exc:
            raise PayloadError(f"{self.name}: order {node.get('id')!r}: missing {exc}") from exc
        return more_lines or longer

    async def _more_lines(self, node: JSON) -> None:
        lines = node["lineItems"]
        while lines["pageInfo"]["hasNextPage"]:
            after = lines["pageInfo"]["endCursor"]
            if not after:
                raise PayloadError(f"{self.name}: line items hasNextPage without an endCursor")
            variables = {"id": node["id"], "after": after}
            body = await self._post(
                {"query": ORDER_LINES_QUERY, "variables": variables},
                cost=ORDER_LINES_COST,
                what="line items query",
            )
            order = body["data"]["order"]
            if order is None:  # deleted since it was listed: keep what the page had
                return
            lines["nodes"] += order["lineItems"]["nodes"]
            lines["pageInfo"] = order["lineItems"]["pageInfo"]

    async def _longer_lists(self, node: JSON) -> None:
        body = await self._post(
            {"query": ORDER_LISTS_QUERY, "variables": {"id": node["id"]}},
            cost=ORDER_LISTS_COST,
            what="fulfillments query",
        )
        order = body["data"]["order"]
        if order is None:
            return
        node["fulfillments"] = order["fulfillments"]
        node["transactions"] = order["transactions"]
        if lists_full(order, FULFILLMENTS_PER_CALL, TRACKS_PER_CALL, TRANSACTIONS_PER_CALL):
            log.warning(
                "%s: order %s has more than %d fulfillments, %d tracking numbers to one "
                "fulfillment or %d transactions; the mirror keeps the first ones",
                self.name, node.get("name") or node["id"], FULFILLMENTS_PER_CALL,
                TRACKS_PER_CALL, TRANSACTIONS_PER_CALL,
            )  # fmt: skip

    async def _count(self) -> tuple[int | None, int | None]:
        """How many orders a full run lists (``ordersCount``), asked once as it starts, for its
        progress: (the count, None) when Shopify counts exactly; (None, the count) when it
        counts only up to a cap (10,000 before API 2025-07); (None, None) when the count fails:
        a run never fails for want of a total."""
        try:
            body = await self._post({"query": self.count_query}, cost=0, what="count query")
        except SourceAuthError:
            raise
        except SourceError:
            return None, None
        try:
            found = body["data"]["ordersCount"]
            count, precision = found["count"], found["precision"]
        except (KeyError, TypeError):
            return None, None
        if not isinstance(count, int):
            return None, None
        return (count, None) if precision == "EXACT" else (None, count)

    async def _pace(self, cost: int) -> None:
        """Sleep until the cost bucket can pay ``cost`` points (bounded by max_pause)."""
        if self._budget is None or cost <= 0:
            return
        available, restore, read_at = self._budget
        if restore <= 0:
            return
        elapsed = self._monotonic() - read_at
        missing = cost - (available + elapsed * restore)
        if missing > 0:
            await self._sleep(min(missing / restore, self.max_pause))

    def _note_cost(self, body: JSON) -> float | None:
        """Remember the bucket's state; return the seconds it needs to pay a refused call."""
        try:
            cost = body["extensions"]["cost"]
            throttle = cost["throttleStatus"]
            available = float(throttle["currentlyAvailable"])
            restore = float(throttle["restoreRate"])
            requested = float(cost["requestedQueryCost"] or 0)
        except (KeyError, TypeError, ValueError):
            return None
        self._budget = (available, restore, self._monotonic())
        if restore > 0 and requested > available:
            return (requested - available) / restore
        return None

    async def _post(
        self, payload: JSON, *, cost: int, what: str, texts: dict[str, str] | None = None
    ) -> JSON:
        """Send one query of requested cost ``cost`` (paced for it); ``what`` names it in a
        refusal. ``texts``, for an ``orders`` query, gets each order's JSON as sent, by id."""
        await self._pace(cost)
        headers = {"X-Shopify-Access-Token": self.settings["token"]}
        try:
            response = await self.request("POST", self.endpoint, json=payload, headers=headers)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: access token refused by the shop (HTTP {exc.status})"
            ) from None
        if response.status_code != 200:
            raise SourceError(f"{self.name}: HTTP {response.status_code} from {self.endpoint}")
        body = self.json_body(response) if texts is None else self._keeping(response, texts)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not a JSON object")
        wait = self._note_cost(body)
        if _coded(body, "THROTTLED") is not None:
            pause = round(max(wait, 0.1), 3) if wait is not None else 1.0
            raise SourceRateLimited(
                f"{self.name}: throttled, retry in {pause:g}s", retry_after=pause
            )
        refusal = _coded(body, "MAX_COST_EXCEEDED")
        if refusal is not None:
            said = refusal.get("extensions") or {}
            raise QueryTooCostly(
                f"{self.name}: Shopify refused the {what} as too costly: "
                f"{said.get('cost', '?')} points, most {said.get('maxCost', MAX_QUERY_COST)} "
                "a query (a query problem, not a rate limit)",
                cost=said.get("cost"),
                most=said.get("maxCost"),
            )
        errors = body.get("errors")
        if errors and not body.get("data"):
            message = first_message(errors)
            if "cursor" in message.lower():
                raise CursorRefused(f"{self.name}: Shopify refused the page cursor: {message}")
            raise SourceError(f"{self.name}: query refused: {message}")
        return body


def _requested_cost(body: JSON) -> object:
    """``extensions.cost.requestedQueryCost`` of an answer, as Shopify wrote it (None: absent)."""
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    return cost.get("requestedQueryCost") if isinstance(cost, dict) else None


def _coded(body: JSON, code: str) -> JSON | None:
    """The first error of ``body`` whose ``extensions.code`` is ``code``, or None."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return None
    for error in errors:
        if isinstance(error, dict) and (error.get("extensions") or {}).get("code") == code:
            return error
    return None
