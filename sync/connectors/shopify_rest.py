"""Shopify Admin REST API: a shop's orders for shops on the older API (kind ``shopify-rest``).

Settings: ``url`` (the shop's base URL), ``token`` (an Admin API access token), ``api_version``
(default ``2025-01``), ``page_size`` (default 250, Shopify's maximum), ``lookback_seconds``
(default 300), ``calls_per_second`` (the plan's leak rate, default 2) and
``max_pause_seconds`` (default 10), plus the HTTP settings of :mod:`sync.connectors.base`.

A run asks ``GET orders.json?status=any&order=updated_at asc&updated_at_min=…`` (``status=any``
because Shopify lists only open orders by default) and then follows the ``page_info`` of the
``Link: <…>; rel="next"`` header; Shopify refuses filters next to ``page_info``, so only ``limit``
travels with it. The cursor is a :class:`~sync.connectors.window.Window`. A first sync or a
reconciliation also asks ``orders/count.json`` once, so progress can show a total.

Requests are paced from ``X-Shopify-Shop-Api-Call-Limit: used/size``: when the bucket is nearly
full the connector waits for it to leak rather than collect a 429 (which is still honoured, with
its ``Retry-After``, by :func:`sync.http.send`).

Ids are Shopify's GraphQL ids (``admin_graphql_api_id``), the same as the GraphQL connector's, so
a shop can move between the two APIs, and take webhooks, without duplicating its orders.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx

from sync.carriers import normalize_carrier
from sync.connectors.base import OrderPage, OrderSource, required, setting_number
from sync.connectors.fields import (
    JSON,
    array,
    aware_instant,
    deleted_id,
    full_name,
    load_json,
    money,
    table,
    text,
)
from sync.connectors.window import Window
from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError
from sync.http import CredentialsRefused

MAX_PAGE = 250
CHANNELS = {"web": "online_store", "shopify_draft_order": "draft_order"}
CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')

# apis.md §8: REST financial_status is GraphQL's displayFinancialStatus in lower case.
PAYMENT = {status.value: status for status in PaymentStatus}
FULFILLMENT = {
    "": FulfillmentStatus.UNFULFILLED,  # null: nothing fulfilled yet
    "unfulfilled": FulfillmentStatus.UNFULFILLED,
    "partial": FulfillmentStatus.PARTIALLY_FULFILLED,
    "fulfilled": FulfillmentStatus.FULFILLED,
    "restocked": FulfillmentStatus.RESTOCKED,
}
PAID = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})
DEAD_FULFILLMENTS = frozenset({"cancelled", "error", "failure"})
DELETE_TOPIC = "orders/delete"
ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/edited",
    }
)


def graphql_id(node: JSON, resource: str) -> str:
    """A REST object's GraphQL id (what the GraphQL connector keys on)."""
    given = node.get("admin_graphql_api_id")
    if given:
        return str(given)
    return f"gid://shopify/{resource}/{node['id']}"


def _required_instant(node: JSON, key: str) -> datetime:
    instant = aware_instant(node.get(key))
    if instant is None:
        raise PayloadError(f"order {node.get('id')!r} has no {key}")
    return instant


def _person(node: JSON) -> str:
    address = table(node.get("shipping_address"), "shipping_address")
    if address.get("name"):
        return str(address["name"])
    customer = table(node.get("customer"), "customer")
    return full_name(customer.get("first_name"), customer.get("last_name"))


def _line_items(node: JSON) -> tuple[LineItem, ...]:
    return tuple(
        LineItem(
            external_id=graphql_id(item, "LineItem"),
            title=text(item.get("title") or item.get("name")),
            quantity=int(item.get("quantity") or 0),
            sku=text(item.get("sku")),
            price=money(item.get("price"), "line item price"),
        )
        for item in array(node.get("line_items"), "line_items")
    )


def _shipments(node: JSON) -> tuple[ShipmentRecord, ...]:
    shipments: list[ShipmentRecord] = []
    for fulfillment in array(node.get("fulfillments"), "fulfillments"):
        if fulfillment.get("status") in DEAD_FULFILLMENTS:
            continue
        numbers = array(fulfillment.get("tracking_numbers"), "tracking_numbers") or [
            fulfillment.get("tracking_number")
        ]
        urls = array(fulfillment.get("tracking_urls"), "tracking_urls") or [
            fulfillment.get("tracking_url")
        ]
        company = text(fulfillment.get("tracking_company"))
        base_id = graphql_id(fulfillment, "Fulfillment")
        for position, number in enumerate(numbers):
            if not number:
                continue
            shipments.append(
                ShipmentRecord(
                    external_id=f"{base_id}#{position + 1}" if position else base_id,
                    tracking_number=str(number),
                    carrier=normalize_carrier(company),
                    carrier_raw=company,
                    tracking_url=text(urls[position] if position < len(urls) else ""),
                    shipped_at=aware_instant(fulfillment.get("created_at")),
                )
            )
    return tuple(shipments)


def rest_order_record(node: JSON, source: str) -> OrderRecord:
    """One REST ``order`` object (a list item, a single order, a webhook body) as a record."""
    if not isinstance(node, dict):
        raise PayloadError(f"{source}: an order is not an object")
    try:
        return _order_record(node, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{source}: unreadable order {node.get('id')!r}: {exc}") from exc


def _order_record(node: JSON, source: str) -> OrderRecord:
    financial = text(node.get("financial_status")).lower()
    fulfillment = text(node.get("fulfillment_status")).lower()
    cancelled_at = aware_instant(node.get("cancelled_at"))
    closed_at = aware_instant(node.get("closed_at"))
    lifecycle, lifecycle_raw = Lifecycle.OPEN, ""
    if cancelled_at:
        lifecycle, lifecycle_raw = Lifecycle.CANCELLED, "cancelled_at"
    elif closed_at:
        lifecycle, lifecycle_raw = Lifecycle.CLOSED, "closed_at"
    customer = table(node.get("customer"), "customer")
    address = table(node.get("shipping_address"), "shipping_address")
    street = ", ".join(str(p) for p in (address.get("address1"), address.get("address2")) if p)
    source_name = text(node.get("source_name"))
    tags = text(node.get("tags"))
    return OrderRecord(
        source=source,
        external_id=graphql_id(node, "Order"),
        number=text(node.get("name") or node.get("order_number") or node["id"]),
        updated_at=_required_instant(node, "updated_at"),
        created_at=_required_instant(node, "created_at"),
        payment_status=PAYMENT.get(financial, PaymentStatus.PENDING),
        fulfillment_status=FULFILLMENT.get(fulfillment, FulfillmentStatus.UNFULFILLED),
        lifecycle=lifecycle,
        payment_raw=financial,
        fulfillment_raw=fulfillment,
        lifecycle_raw=lifecycle_raw,
        channel=CHANNELS.get(source_name, source_name),
        currency=text(node.get("currency")),
        total=money(node.get("total_price"), "total_price"),
        customer_name=_person(node),
        phone=text(customer.get("phone") or address.get("phone") or node.get("phone")),
        email=text(node.get("email") or node.get("contact_email") or customer.get("email")),
        address=street,
        city=text(address.get("city")),
        province=text(address.get("province")),
        country=text(address.get("country_code") or address.get("country")),
        postcode=text(address.get("zip")),
        tags=tuple(tag.strip() for tag in tags.split(",") if tag.strip()),
        # REST orders carry no payment time; the checkout's processed_at stands in once paid.
        paid_at=aware_instant(node.get("processed_at")) if financial in PAID else None,
        closed_at=closed_at,
        cancelled_at=cancelled_at,
        line_items=_line_items(node),
        shipments=_shipments(node),
        raw=node,
    )


def parse_rest_payload(body: JSON, source: str) -> list[OrderRecord]:
    """Orders of a list page (``{"orders": […]}``), a single order (``{"order": {…}}``) or a
    webhook body (the order object itself)."""
    if "orders" in body:
        orders = body["orders"]
        if not isinstance(orders, list):
            raise PayloadError(f"{source}: 'orders' is not a list")
        return [rest_order_record(node, source) for node in orders]
    if "order" in body:
        return [rest_order_record(body["order"], source)]
    if "id" in body and "updated_at" in body:
        return [rest_order_record(body, source)]
    if "errors" in body:
        raise PayloadError(f"{source}: Shopify answered errors: {body['errors']}")
    raise PayloadError(f"{source}: neither an orders page, an order nor an order webhook")


def parse_order_webhook(topic: str, body: bytes, source: str) -> list[OrderRecord]:
    """The order in a Shopify ``orders/*`` webhook; other topics carry none."""
    if topic not in ORDER_TOPICS:
        return []
    payload = load_json(body)
    if not isinstance(payload, dict):
        raise PayloadError(f"{source}: webhook body is not a JSON object")
    return [rest_order_record(payload, source)]


def parse_order_deletion(topic: str, body: bytes, source: str) -> list[str]:
    """The order an ``orders/delete`` webhook names (its body is only ``{"id": …}``), as the
    GraphQL id both Shopify connectors key orders on."""
    if topic != DELETE_TOPIC:
        return []
    return [f"gid://shopify/Order/{deleted_id(body, source)}"]


def next_page_info(link: str | None) -> str | None:
    """The ``page_info`` of a ``Link`` header's ``rel="next"`` URL."""
    for url, rel in _LINK.findall(link or ""):
        if rel == "next":
            values: list[str] = parse_qs(urlsplit(url).query).get("page_info", [])
            if values:
                return values[0]
    return None


class ShopifyRestSource(OrderSource):
    kind: ClassVar[str] = "shopify-rest"

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
        self.base = f"{settings['url'].rstrip('/')}/admin/api/{version}"
        self.page_size = int(setting_number(settings, "page_size", MAX_PAGE, self.where))
        if not 1 <= self.page_size <= MAX_PAGE:
            raise ConfigError(f"{self.where}: page_size must be between 1 and {MAX_PAGE}")
        self.lookback = timedelta(
            seconds=setting_number(settings, "lookback_seconds", 300, self.where)
        )
        self.leak = setting_number(settings, "calls_per_second", 2, self.where, minimum=0.01)
        self.max_pause = setting_number(settings, "max_pause_seconds", 10, self.where)
        self._monotonic = monotonic
        self._bucket: tuple[int, int, float] | None = None
        """(calls used, bucket size, when read) from the last call-limit header."""

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.settings["token"], "Accept": "application/json"}

    async def fetch_page(self, cursor: str) -> OrderPage:
        window = Window.load(cursor, self.name)
        params: dict[str, Any] = {"limit": self.page_size}
        if window.after:
            params["page_info"] = window.after
        else:
            params.update({"status": "any", "order": "updated_at asc"})
            if window.since is not None:
                params["updated_at_min"] = window.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = await self._get("orders.json", params)
        if response.status_code in (400, 404, 422) and window.after:
            # Shopify no longer knows its own page position: start over from our last order.
            return OrderPage(orders=(), cursor=window.restart().dump(), more=True)
        body = self._body(response)
        orders = window.keep(parse_rest_payload(body, self.name))
        after = next_page_info(response.headers.get("Link"))
        total = await self._count(window) if window.since is None and not window.after else None
        following = window.advance(orders, after, lookback=self.lookback)
        return OrderPage(
            orders=tuple(orders), cursor=following.dump(), more=after is not None, total=total
        )

    def full_pass(self, cursor: str) -> str | None:
        start = Window.load(cursor, self.name).full_pass()
        return None if start is None else start.dump()

    def parse_push(self, topic: str, body: bytes) -> list[OrderRecord]:
        return parse_order_webhook(topic, body, self.name)

    def parse_deletions(self, topic: str, body: bytes) -> list[str]:
        return parse_order_deletion(topic, body, self.name)

    async def _count(self, window: Window) -> int | None:
        """How many orders a run from ``window`` lists (None when Shopify will not say)."""
        try:
            response = await self._get("orders/count.json", {"status": "any"})
        except SourceAuthError:
            raise
        except SourceError:
            return None
        if response.status_code != 200:
            return None
        try:
            count = self.json_body(response).get("count")
        except (PayloadError, AttributeError):
            return None
        return count if isinstance(count, int) else None

    async def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        await self._pace()
        try:
            response = await self.request(
                "GET", f"{self.base}/{path}", params=params, headers=self.headers
            )
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: access token refused by the shop (HTTP {exc.status})"
            ) from None
        self._note_bucket(response)
        return response

    def _body(self, response: httpx.Response) -> JSON:
        if response.status_code != 200:
            raise SourceError(f"{self.name}: HTTP {response.status_code} from {response.url}")
        body = self.json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not a JSON object")
        return body

    def _note_bucket(self, response: httpx.Response) -> None:
        used, _, size = response.headers.get(CALL_LIMIT, "").partition("/")
        if used.isdigit() and size.isdigit() and int(size) > 0:
            self._bucket = (int(used), int(size), self._monotonic())

    async def _pace(self) -> None:
        """Wait until the call bucket has room for this call and a small reserve (bounded)."""
        if self._bucket is None:
            return
        used, size, read_at = self._bucket
        reserve = max(1, size // 10)
        drained = (self._monotonic() - read_at) * self.leak
        over = used - drained + 1 + reserve - size
        if over > 0:
            await self._sleep(min(over / self.leak, self.max_pause))
