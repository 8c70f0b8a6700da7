"""Shopify Admin GraphQL API: a shop's orders, paged by last update (kind ``shopify``).

Settings: ``url`` (the shop's base URL, e.g. ``https://example.myshopify.com``), ``token`` (an
Admin API access token), ``page_size`` (default 100, at most 250), ``api_version`` (default
``2025-01``), ``overlap_seconds`` (default 60), ``timeout_seconds`` (default 30) and
``max_pause_seconds`` (default 10, the longest this connector sleeps to respect the cost bucket).

The cursor is JSON ``{"since": iso|null, "after": endCursor|null, "high": iso|null}``: ask for
orders with ``updated_at >= since`` sorted by ``UPDATED_AT``, after the GraphQL cursor ``after``;
``high`` is the latest ``updatedAt`` seen. ``""`` fetches everything. When a run reaches the end,
the next one starts again from ``high - overlap`` with no ``after``, so an update stamped in the
same second as the last one seen (or indexed late) is fetched again rather than missed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from sync.carriers import normalize_carrier
from sync.connectors.base import OrderPage, OrderSource
from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError, SourceRateLimited

JSON = dict[str, Any]
MAX_PAGE = 250
ORDER_FIELDS = """
id name email createdAt updatedAt processedAt cancelledAt closedAt
displayFinancialStatus displayFulfillmentStatus sourceName tags
totalPriceSet { shopMoney { amount currencyCode } }
customer { firstName lastName email phone }
shippingAddress { name phone address1 address2 city province country countryCodeV2 zip }
lineItems(first: 50) {
  nodes { id title quantity sku originalUnitPriceSet { shopMoney { amount } } }
}
fulfillments(first: 10) {
  id createdAt status displayStatus trackingInfo(first: 5) { company number url }
}
transactions(first: 10) { kind status processedAt }
"""
ORDERS_QUERY = (
    "query Orders($first: Int!, $after: String, $query: String) {\n"
    "  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {\n"
    "    edges { cursor node {" + ORDER_FIELDS + "} }\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "  }\n"
    "}\n"
)

# apis.md §8. An unknown financial status is kept raw and read as pending (nothing proves a
# payment); an unknown fulfillment status as unfulfilled (nothing proves a shipment).
PAYMENT = {raw: PaymentStatus(raw.lower()) for raw in (
    "AUTHORIZED", "EXPIRED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "PENDING",
    "REFUNDED", "VOIDED",
)}  # fmt: skip
FULFILLMENT = {
    "UNFULFILLED": FulfillmentStatus.UNFULFILLED,
    "OPEN": FulfillmentStatus.UNFULFILLED,
    "RESTOCKED": FulfillmentStatus.RESTOCKED,
    "IN_PROGRESS": FulfillmentStatus.IN_PROGRESS,
    "PENDING_FULFILLMENT": FulfillmentStatus.IN_PROGRESS,
    "ON_HOLD": FulfillmentStatus.ON_HOLD,
    "REQUEST_DECLINED": FulfillmentStatus.ON_HOLD,
    "SCHEDULED": FulfillmentStatus.SCHEDULED,
    "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIALLY_FULFILLED,
    "FULFILLED": FulfillmentStatus.FULFILLED,
    "FULFILLMENT_NOT_REQUIRED": FulfillmentStatus.NOT_REQUIRED,
}
CHANNELS = {"web": "online_store", "shopify_draft_order": "draft_order"}
DEAD_FULFILLMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})


def parse_instant(text: object) -> datetime | None:
    """A Shopify DateTime (``2025-01-01T12:00:00Z``) as an aware UTC datetime; None for null."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise PayloadError(f"expected a date-time, got {text!r}")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"unreadable date-time {text!r}") from None
    if instant.tzinfo is None:
        raise PayloadError(f"date-time {text!r} has no zone")
    return instant.astimezone(UTC)


def _required_instant(node: JSON, key: str) -> datetime:
    instant = parse_instant(node.get(key))
    if instant is None:
        raise PayloadError(f"order {node.get('id')!r} has no {key}")
    return instant


def _person(node: JSON) -> str:
    address = node.get("shippingAddress") or {}
    if address.get("name"):
        return str(address["name"])
    customer = node.get("customer") or {}
    first, last = customer.get("firstName") or "", customer.get("lastName") or ""
    if any(ord(char) > 0x2E80 for char in first + last):
        return f"{last}{first}"  # Chinese names: family name first, no space
    return f"{first} {last}".strip()


def _paid_at(node: JSON) -> datetime | None:
    moments = [
        parse_instant(t.get("processedAt"))
        for t in node.get("transactions") or ()
        if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
    ]
    return min((m for m in moments if m), default=None)


def _line_items(node: JSON) -> tuple[LineItem, ...]:
    items = []
    for item in (node.get("lineItems") or {}).get("nodes") or ():
        money = ((item.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount")
        items.append(
            LineItem(
                external_id=str(item["id"]),
                title=str(item.get("title") or ""),
                quantity=int(item.get("quantity") or 0),
                sku=str(item.get("sku") or ""),
                price=str(money or "0"),
            )
        )
    return tuple(items)


def _shipments(node: JSON) -> tuple[ShipmentRecord, ...]:
    shipments = []
    for fulfillment in node.get("fulfillments") or ():
        if fulfillment.get("status") in DEAD_FULFILLMENTS:
            continue
        for position, info in enumerate(fulfillment.get("trackingInfo") or ()):
            if not info.get("number"):
                continue
            company = str(info.get("company") or "")
            suffix = f"#{position + 1}" if position else ""
            shipments.append(
                ShipmentRecord(
                    external_id=f"{fulfillment['id']}{suffix}",
                    tracking_number=str(info["number"]),
                    carrier=normalize_carrier(company),
                    carrier_raw=company,
                    tracking_url=str(info.get("url") or ""),
                    shipped_at=parse_instant(fulfillment.get("createdAt")),
                )
            )
    return tuple(shipments)


def order_record(node: JSON, source: str) -> OrderRecord:
    """One ``Order`` node as an :class:`OrderRecord`; raises PayloadError on a malformed node."""
    try:
        return _order_record(node, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{source}: unreadable order {node.get('id')!r}: {exc}") from exc


def _order_record(node: JSON, source: str) -> OrderRecord:
    financial = str(node.get("displayFinancialStatus") or "")
    fulfillment = str(node.get("displayFulfillmentStatus") or "")
    cancelled_at = parse_instant(node.get("cancelledAt"))
    closed_at = parse_instant(node.get("closedAt"))
    lifecycle, lifecycle_raw = Lifecycle.OPEN, ""
    if cancelled_at:
        lifecycle, lifecycle_raw = Lifecycle.CANCELLED, "cancelledAt"
    elif closed_at:
        lifecycle, lifecycle_raw = Lifecycle.CLOSED, "closedAt"
    money = (node.get("totalPriceSet") or {}).get("shopMoney") or {}
    customer = node.get("customer") or {}
    address = node.get("shippingAddress") or {}
    street = ", ".join(str(p) for p in (address.get("address1"), address.get("address2")) if p)
    source_name = str(node.get("sourceName") or "")
    return OrderRecord(
        source=source,
        external_id=str(node["id"]),
        number=str(node.get("name") or node["id"]),
        updated_at=_required_instant(node, "updatedAt"),
        created_at=_required_instant(node, "createdAt"),
        payment_status=PAYMENT.get(financial, PaymentStatus.PENDING),
        fulfillment_status=FULFILLMENT.get(fulfillment, FulfillmentStatus.UNFULFILLED),
        lifecycle=lifecycle,
        payment_raw=financial,
        fulfillment_raw=fulfillment,
        lifecycle_raw=lifecycle_raw,
        channel=CHANNELS.get(source_name, source_name),
        currency=str(money.get("currencyCode") or ""),
        total=str(money.get("amount") or "0"),
        customer_name=_person(node),
        phone=str(customer.get("phone") or address.get("phone") or node.get("phone") or ""),
        email=str(node.get("email") or customer.get("email") or ""),
        address=street,
        city=str(address.get("city") or ""),
        province=str(address.get("province") or ""),
        country=str(address.get("countryCodeV2") or address.get("country") or ""),
        tags=tuple(str(tag) for tag in node.get("tags") or ()),
        paid_at=_paid_at(node),
        closed_at=closed_at,
        cancelled_at=cancelled_at,
        line_items=_line_items(node),
        shipments=_shipments(node),
        raw=node,
    )


@dataclass(frozen=True, slots=True)
class Cursor:
    since: datetime | None = None
    after: str | None = None
    high: datetime | None = None

    @classmethod
    def load(cls, text: str, source: str) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                since=parse_instant(data.get("since")),
                after=data.get("after") or None,
                high=parse_instant(data.get("high")),
            )
        except (ValueError, AttributeError, PayloadError) as exc:
            raise SourceError(f"{source}: saved cursor is unreadable ({exc})") from exc

    def dump(self) -> str:
        return json.dumps(
            {"since": _iso(self.since), "after": self.after, "high": _iso(self.high)},
            separators=(",", ":"),
        )

    def search(self) -> str | None:
        return f"updated_at:>='{_iso(self.since)}'" if self.since else None


def _iso(instant: datetime | None) -> str | None:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None


def _setting_number(settings: Mapping[str, str], key: str, default: float, source: str) -> float:
    text = settings.get(key, "")
    if text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"source {source}: {key} = {text!r} is not a number") from None
    if value < 0:
        raise ConfigError(f"source {source}: {key} must not be negative")
    return value


def parse_orders(body: JSON, source: str) -> tuple[list[OrderRecord], bool, str | None]:
    """The orders, ``hasNextPage`` and ``endCursor`` of an ``orders`` query response."""
    try:
        connection = body["data"]["orders"]
        orders = [order_record(edge["node"], source) for edge in connection["edges"]]
        page_info = connection["pageInfo"]
        return orders, bool(page_info["hasNextPage"]), page_info.get("endCursor")
    except (KeyError, TypeError, AttributeError) as exc:
        raise PayloadError(f"{source}: orders response is missing {exc}") from exc


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
        super().__init__(name, client, settings)
        for key in ("url", "token"):
            if not settings.get(key):
                raise ConfigError(f"source {name}: missing setting {key!r}")
        version = settings.get("api_version") or "2025-01"
        self.endpoint = f"{settings['url'].rstrip('/')}/admin/api/{version}/graphql.json"
        self.page_size = int(_setting_number(settings, "page_size", 100, name))
        if not 1 <= self.page_size <= MAX_PAGE:
            raise ConfigError(f"source {name}: page_size must be between 1 and {MAX_PAGE}")
        self.overlap = timedelta(seconds=_setting_number(settings, "overlap_seconds", 60, name))
        self.timeout = _setting_number(settings, "timeout_seconds", 30, name)
        self.max_pause = _setting_number(settings, "max_pause_seconds", 10, name)
        self._sleep = sleep
        self._monotonic = monotonic
        self._budget: tuple[float, float, float, float] | None = None
        """(currently available, restore rate, when read, cost of the last call)."""

    async def fetch_page(self, cursor: str) -> OrderPage:
        position = Cursor.load(cursor, self.name)
        await self._pace()
        variables: JSON = {"first": self.page_size, "after": position.after}
        search = position.search()
        if search:
            variables["query"] = search
        body = await self._post({"query": ORDERS_QUERY, "variables": variables})
        orders, more, end = parse_orders(body, self.name)
        high = max(
            (instant for instant in (position.high, *(o.updated_at for o in orders)) if instant),
            default=None,
        )
        if more:
            if not end:
                raise PayloadError(f"{self.name}: hasNextPage without an endCursor")
            following = Cursor(since=position.since, after=end, high=high)
        else:
            since = high - self.overlap if high else position.since
            if position.since and since and since < position.since:
                since = position.since
            following = Cursor(since=since, after=None, high=high)
        return OrderPage(orders=tuple(orders), cursor=following.dump(), more=more)

    async def _pace(self) -> None:
        """Sleep until the cost bucket can pay for another call like the last one (bounded)."""
        if self._budget is None:
            return
        available, restore, read_at, cost = self._budget
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
        self._budget = (available, restore, self._monotonic(), requested)
        if restore > 0 and requested > available:
            return (requested - available) / restore
        return None

    async def _post(self, payload: JSON) -> JSON:
        headers = {"X-Shopify-Access-Token": self.settings["token"]}
        try:
            response = await self.client.post(
                self.endpoint, json=payload, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise SourceError(f"{self.name}: no answer within {self.timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status in (401, 403):
            raise SourceAuthError(f"{self.name}: access token refused (HTTP {status})")
        body = self._json(response) if status in (200, 429) else None
        wait = self._note_cost(body) if body is not None else None
        if status == 429 or (body is not None and _throttled(body)):
            retry_after = _retry_after(response.headers.get("Retry-After"), wait)
            raise SourceRateLimited(
                f"{self.name}: throttled, retry in {retry_after:g}s", retry_after=retry_after
            )
        if body is None:
            raise SourceError(f"{self.name}: HTTP {status} from {self.endpoint}")
        errors = body.get("errors")
        if errors and not body.get("data"):
            raise SourceError(f"{self.name}: query refused: {_first_message(errors)}")
        return body

    def _json(self, response: httpx.Response) -> JSON:
        try:
            body = response.json()
        except ValueError:
            size = len(response.content)
            raise PayloadError(f"{self.name}: response is not JSON ({size} bytes)") from None
        if not isinstance(body, dict):
            raise PayloadError(f"{self.name}: response is not a JSON object")
        return body


def _throttled(body: JSON) -> bool:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "THROTTLED"
        for error in errors
    )


def _first_message(errors: object) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", errors[0]))
    return str(errors)


def _retry_after(header: str | None, computed: float | None) -> float:
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    if computed is not None:
        return round(max(computed, 0.1), 3)
    return 1.0
