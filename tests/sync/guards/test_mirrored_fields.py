"""The address parts the guards read, as the connectors mirror them from documented payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sync.connectors.shopify_graphql_parse import parse_orders
from sync.connectors.shopify_rest import rest_order_record
from sync.connectors.woocommerce import woo_order_record

FIXTURES = Path(__file__).parents[1] / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_shopify_graphql_orders_carry_the_shipping_postcode() -> None:
    orders, _, _ = parse_orders(fixture("shopify_orders_page.json"), "shop")
    assert [order.postcode for order in orders][:2] == ["518057", "94114"]


def test_shopify_rest_orders_carry_the_shipping_zip() -> None:
    node = fixture("shopify_rest_order.json")
    record = rest_order_record(node.get("order", node), "shop")
    assert record.postcode == "40202"


def test_woocommerce_orders_carry_the_shipping_postcode() -> None:
    assert woo_order_record(fixture("woocommerce_order.json"), "woo", {}).postcode == "94103"


def test_a_source_without_the_field_leaves_it_unknown() -> None:
    node = fixture("woocommerce_order.json")
    node["shipping"] = {**node["shipping"], "postcode": ""}
    assert woo_order_record(node, "woo", {}).postcode == ""
    assert woo_order_record(node, "woo", {}).district is None
