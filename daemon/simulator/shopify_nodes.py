"""An order of the simulated shop as a Shopify Admin GraphQL ``Order`` node, and the cursors
the simulated API hands out.

Nested lists carry only as many entries as the query's ``first`` asks (:class:`Nested`);
``lineItems`` pages by cursor.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from daemon.simulator.shop import OrderState
from daemon.simulator.shopify_cost import Selected

JSON = dict[str, Any]
COUNTRIES = {
    "CN": "China",
    "US": "United States",
    "GB": "United Kingdom",
    "CA": "Canada",
    "AU": "Australia",
}


def iso(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_cursor(order_id: int, updated: int) -> str:
    raw = json.dumps({"last_id": order_id, "last_value": updated}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(order id, updated epoch) of a cursor; raises ValueError on anything else."""
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
        return int(data["last_id"]), int(data["last_value"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


@dataclass(frozen=True, slots=True)
class Nested:
    """How much of an order's nested lists a query asks for (None: all of it)."""

    lines: int | None = None
    lines_after: int = -1
    """The position of the line item the ``lineItems`` cursor points at (-1: from the first)."""
    fulfillments: int | None = None
    tracks: int | None = None
    transactions: int | None = None

    @classmethod
    def of(cls, order: Selected, variables: JSON) -> Nested:
        """The sizes asked below ``order`` (an ``orders`` or ``order`` field); raises ValueError
        on a line-items cursor this shop never handed out."""

        def size(name: str) -> int | None:
            found = order.find(name)
            return None if found is None else found.size(variables)

        lines = order.find("lineItems")
        after = lines.argument("after", variables) if lines is not None else None
        return cls(
            lines=size("lineItems"),
            lines_after=decode_cursor(str(after))[1] if after else -1,
            fulfillments=size("fulfillments"),
            tracks=size("trackingInfo"),
            transactions=size("transactions"),
        )


ALL = Nested()


def _first(entries: list[JSON], size: int | None) -> list[JSON]:
    return entries if size is None else entries[:size]


def _line_items(state: OrderState, nested: Nested) -> JSON:
    left = list(enumerate(state.details.items))[nested.lines_after + 1 :]
    shown = left if nested.lines is None else left[: nested.lines]
    return {
        "nodes": [
            {
                "id": f"gid://shopify/LineItem/{item.line_id}",
                "title": item.title,
                "quantity": item.quantity,
                "sku": item.sku,
                "originalUnitPriceSet": {
                    "shopMoney": {"amount": item.price, "currencyCode": state.currency}
                },
            }
            for _, item in shown
        ],
        "pageInfo": {
            "hasNextPage": len(shown) < len(left),
            "endCursor": encode_cursor(shown[-1][1].line_id, shown[-1][0]) if shown else None,
        },
    }


def order_node(state: OrderState, nested: Nested = ALL) -> JSON:
    details = state.details
    customer = details.customer
    address = details.address
    transactions = []
    if state.paid_at is not None:
        transactions.append(
            {"kind": "SALE", "status": "SUCCESS", "processedAt": iso(state.paid_at)}
        )
    if state.refunded_at is not None:
        transactions.append(
            {"kind": "REFUND", "status": "SUCCESS", "processedAt": iso(state.refunded_at)}
        )
    fulfillments: list[JSON] = [
        {
            "id": f"gid://shopify/Fulfillment/{f.id}",
            "createdAt": iso(f.created_at),
            "status": "SUCCESS",
            "displayStatus": f.display_status,
            "trackingInfo": _first(
                [{"company": f.company, "number": f.number, "url": f.url}], nested.tracks
            ),
        }
        for f in state.fulfillments
    ]
    return {
        "id": f"gid://shopify/Order/{state.id}",
        "name": state.name,
        "email": customer.email,
        "createdAt": iso(state.created_at),
        "updatedAt": iso(state.updated_at),
        "processedAt": iso(state.created_at),
        "cancelledAt": iso(state.cancelled_at),
        "closedAt": iso(state.closed_at),
        "closed": state.closed_at is not None,
        "displayFinancialStatus": state.financial_status,
        "displayFulfillmentStatus": state.fulfillment_status,
        "sourceName": details.source_name,
        "tags": list(details.tags),
        "totalPriceSet": {"shopMoney": {"amount": state.total, "currencyCode": state.currency}},
        "customer": {
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
        },
        "shippingAddress": {
            "name": customer.full_name,
            "phone": address.phone,
            "address1": address.address1,
            "city": address.city,
            "province": address.province,
            "country": COUNTRIES.get(address.country, address.country),
            "countryCodeV2": address.country,
            "zip": address.zip,
        },
        "lineItems": _line_items(state, nested),
        "fulfillments": _first(fulfillments, nested.fulfillments),
        "transactions": _first(transactions, nested.transactions),
    }
