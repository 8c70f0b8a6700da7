"""``orderwatchd parse``'s documents: documented vendor samples in, the agreed fields out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sync.connectors.payloads import PARSERS
from sync.errors import PayloadError

FIXTURES = Path(__file__).parent / "fixtures"
FIELDS = {
    "source",
    "external_id",
    "number",
    "payment_status",
    "fulfillment_status",
    "lifecycle",
    "raw_status",
    "total",
    "currency",
    "created_at",
    "updated_at",
    "paid_at",
    "customer",
    "line_items",
    "shipments",
}


def parsed(kind: str, name: str) -> list[dict[str, Any]]:
    document = PARSERS[kind]((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict) and set(document) == {"orders"}
    orders: list[dict[str, Any]] = document["orders"]
    return orders


SHAPES = [
    ("shopify-graphql", "shopify_orders_page.json", 2),
    ("shopify-graphql", "shopify_graphql_order.json", 1),
    ("shopify-graphql", "shopify_webhook_orders_updated.json", 1),
    ("shopify-rest", "shopify_rest_orders.json", 1),
    ("shopify-rest", "shopify_rest_order.json", 1),
    ("shopify-rest", "shopify_webhook_orders_updated.json", 1),
    ("woocommerce", "woocommerce_orders.json", 2),
    ("woocommerce", "woocommerce_order.json", 1),
    ("woocommerce", "woocommerce_webhook_order_updated.json", 1),
]


@pytest.mark.parametrize(("kind", "name", "count"), SHAPES, ids=[s[1] for s in SHAPES])
def test_every_shape_gives_orders_with_exactly_the_agreed_fields(
    kind: str, name: str, count: int
) -> None:
    orders = parsed(kind, name)
    assert len(orders) == count
    for order in orders:
        assert set(order) == FIELDS
        assert set(order["customer"]) == {"name", "email", "phone"}
        assert set(order["line_items"]) == {"count", "list"}
        assert order["line_items"]["count"] == len(order["line_items"]["list"])
        for shipment in order["shipments"]:
            assert set(shipment) == {"carrier", "tracking_number", "tracking_url"}


@pytest.mark.parametrize(("kind", "name", "count"), SHAPES, ids=[s[1] for s in SHAPES])
def test_times_are_utc_with_z(kind: str, name: str, count: int) -> None:
    for order in parsed(kind, name):
        for key in ("created_at", "updated_at", "paid_at"):
            value = order[key]
            assert value is None or (value.endswith("Z") and len(value) == 20), value


def test_a_rest_order_reads_its_offset_time_as_utc() -> None:
    (order,) = parsed("shopify-rest", "shopify_rest_order.json")
    assert order["created_at"] == "2008-01-10T16:00:00Z"  # 11:00 at -05:00
    assert order["total"] == "598.94"
    assert order["raw_status"] == "partially_refunded"
    assert order["payment_status"] == "partially_refunded"
    assert order["fulfillment_status"] == "unfulfilled"
    assert order["external_id"] == "gid://shopify/Order/450789469"


def test_a_woocommerce_gmt_field_is_utc_not_site_time() -> None:
    (order,) = parsed("woocommerce", "woocommerce_order.json")
    assert order["created_at"] == "2017-03-22T19:28:02Z"  # date_created is 16:28:02 site time
    assert order["paid_at"] == "2017-03-22T19:28:08Z"
    assert (order["payment_status"], order["fulfillment_status"], order["lifecycle"]) == (
        "paid",
        "unfulfilled",
        "open",
    )
    assert order["raw_status"] == "processing"
    assert order["customer"] == {
        "name": "John Doe",
        "email": "john.doe@example.com",
        "phone": "(555) 555-5555",
    }
    assert order["line_items"]["count"] == 2


def test_the_same_order_parses_alike_from_a_page_and_alone() -> None:
    (alone,) = parsed("shopify-graphql", "shopify_graphql_order.json")
    listed = parsed("shopify-graphql", "shopify_orders_page.json")[0]
    assert alone == listed


def test_a_graphql_webhook_body_keys_on_the_graphql_id() -> None:
    (order,) = parsed("shopify-graphql", "shopify_webhook_orders_updated.json")
    assert order["external_id"].startswith("gid://shopify/Order/")
    assert (order["lifecycle"], order["raw_status"]) == ("closed", "partially_refunded / closed_at")


@pytest.mark.parametrize("kind", ["shopify-graphql", "shopify-rest", "woocommerce"])
def test_garbage_is_a_payload_error(kind: str) -> None:
    with pytest.raises(PayloadError, match="not JSON"):
        PARSERS[kind]('{"orders": [')


@pytest.mark.parametrize("kind", ["shopify-graphql", "shopify-rest", "woocommerce"])
def test_something_else_is_a_payload_error(kind: str) -> None:
    with pytest.raises(PayloadError):
        PARSERS[kind](json.dumps({"products": []}))


def test_a_17track_push_still_parses() -> None:
    text = (FIXTURES / "track17_push_tracking_updated.json").read_text(encoding="utf-8")
    document = PARSERS["17track"](text)
    assert isinstance(document, dict) and len(document["shipments"]) == 1
