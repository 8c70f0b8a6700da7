"""Reading Shopify Admin GraphQL order nodes into order records.

Statuses map to the three axes of DESIGN.md (apis.md §8); fulfillments with tracking become
shipments; times are read as UTC. Webhooks arrive in the REST shape and are read by
:mod:`sync.connectors.shopify_rest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sync.carriers import normalize_carrier
from sync.connectors.shopify_rest import CHANNELS, rest_order_record
from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)
from sync.errors import PayloadError

JSON = dict[str, Any]

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
DEAD_FULFILLMENTS = frozenset({"CANCELLED", "ERROR", "FAILURE"})


def parse_instant(text: object) -> datetime | None:
    """A Shopify DateTime (``2025-01-01T12:00:00Z``) as an aware UTC datetime; None for null."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise PayloadError(f"expected a date-time, got {text!r}")
    try:
        instant = datetime.fromisoformat(text)  # reads a trailing "Z" as UTC since Python 3.11
    except ValueError:
        raise PayloadError(f"unreadable date-time {text!r}") from None
    if instant.tzinfo is UTC:  # the usual case: a page holds hundreds of these
        return instant
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


def order_record(node: JSON, source: str, text: str | None = None) -> OrderRecord:
    """One ``Order`` node as an :class:`OrderRecord`; raises PayloadError on a malformed node.
    ``text`` is the node's JSON as the shop sent it, when known."""
    try:
        return _order_record(node, source, text)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{source}: unreadable order {node.get('id')!r}: {exc}") from exc


def _order_record(node: JSON, source: str, text: str | None) -> OrderRecord:
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
        postcode=str(address.get("zip") or ""),
        tags=tuple(str(tag) for tag in node.get("tags") or ()),
        paid_at=_paid_at(node),
        closed_at=closed_at,
        cancelled_at=cancelled_at,
        line_items=_line_items(node),
        shipments=_shipments(node),
        raw=node,
        raw_text=text,
    )


def parse_orders(
    body: JSON, source: str, texts: Mapping[str, str] | None = None
) -> tuple[list[OrderRecord], bool, str | None]:
    """The orders, ``hasNextPage`` and ``endCursor`` of an ``orders`` query response; ``texts``
    are the nodes' JSON as the shop sent it, by id (:mod:`sync.connectors.node_texts`)."""
    texts = texts or {}
    try:
        connection = body["data"]["orders"]
        orders = [
            order_record(node, source, texts.get(node.get("id")))
            for node in (edge["node"] for edge in connection["edges"])
        ]
        page_info = connection["pageInfo"]
        return orders, bool(page_info["hasNextPage"]), page_info.get("endCursor")
    except (KeyError, TypeError, AttributeError) as exc:
        raise PayloadError(f"{source}: orders response is missing {exc}") from exc


def parse_graphql_payload(body: JSON, source: str) -> list[OrderRecord]:
    """Orders of an ``orders`` page, an ``order(id:)`` response, a bare ``Order`` node, or an
    order webhook (which Shopify sends in the REST shape)."""
    data = body.get("data")
    if isinstance(data, dict) and "orders" in data:
        return parse_orders(body, source)[0]
    if isinstance(data, dict) and "order" in data:
        if not isinstance(data["order"], dict):
            raise PayloadError(f"{source}: no such order (data.order is null)")
        return [order_record(data["order"], source)]
    if "updatedAt" in body and "id" in body:
        return [order_record(body, source)]
    if "updated_at" in body and "id" in body:
        return [rest_order_record(body, source)]
    if "errors" in body:
        raise PayloadError(f"{source}: Shopify answered errors: {first_message(body['errors'])}")
    raise PayloadError(f"{source}: neither an orders page, an order nor an order webhook")


def first_message(errors: object) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = str(errors[0].get("message", errors[0]))
        return message.strip().splitlines()[0] if message.strip() else message
    return str(errors)
