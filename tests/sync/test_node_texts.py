"""Decoding an orders page while keeping each order's text as the shop sent it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.connectors.node_texts import decode_keeping
from sync.connectors.shopify_graphql_parse import parse_orders
from sync.store.page import ORDER_FIELDS, order_values

PAGE = (Path(__file__).parent / "fixtures" / "shopify_orders_page.json").read_bytes()


def _page(*nodes: object) -> dict[str, object]:
    edges = [{"cursor": f"c{n}", "node": node} for n, node in enumerate(nodes)]
    return {"data": {"orders": {"edges": edges, "pageInfo": {"hasNextPage": False}}}}


def test_the_documented_page_decodes_as_json_loads_and_keeps_each_node_as_written() -> None:
    body, texts = decode_keeping(PAGE)
    assert body == json.loads(PAGE)
    nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert sorted(texts) == sorted(node["id"] for node in nodes)
    for node in nodes:
        text = texts[node["id"]]
        assert json.loads(text) == node
        assert text.encode() in PAGE  # the very text, indentation and all
        assert text.startswith("{\n") and text.endswith("}")


@pytest.mark.parametrize(
    "document",
    [
        json.dumps(_page({"id": "a", "name": "é ü 中文", "tags": ["x"]}, {"id": "b"})),
        json.dumps(_page({"id": "a", "note": 'quote " and \\u00e9'}), ensure_ascii=False),
        json.dumps(_page({"id": "a", "total": 1.5e3, "big": 12345678901234567890}), indent=3),
        ' { "data" : { "orders" : { "edges" : [ { "node" : { "id" : "a" } } ] } } } \r\n',
    ],
)
def test_any_spacing_and_escapes_come_back_verbatim(document: str) -> None:
    body, texts = decode_keeping(document.encode())
    assert body == json.loads(document)
    for edge in body["data"]["orders"]["edges"]:
        text = texts[edge["node"]["id"]]
        assert text in document
        assert json.loads(text) == edge["node"]


@pytest.mark.parametrize(
    "document",
    [
        # a key twice on the path: json.loads keeps the last one
        b'{"data":{"orders":{"edges":[{"node":{"id":"a"}}]}},'
        b'"data":{"orders":{"edges":[{"node":{"id":"b"}}]}}}',
        b'{"data":{"orders":{"edges":[{"node":{"id":"a"},"node":{"id":"a","v":2}}]}}}',
        '\ufeff{"data":{"orders":{"edges":[{"node":{"id":"a"}}]}}}'.encode(),  # a byte-order mark
        json.dumps(_page({"id": "a"})).encode("utf-16"),
    ],
)
def test_other_shapes_are_decoded_by_json_loads_alone(document: bytes) -> None:
    assert decode_keeping(document) == (json.loads(document), {})


def test_an_order_twice_on_a_page_keeps_no_text() -> None:
    document = json.dumps(_page({"id": "a", "v": 1}, {"id": "b"}, {"id": "a", "v": 2})).encode()
    body, texts = decode_keeping(document)
    assert body == json.loads(document)
    assert texts == {"b": '{"id": "b"}'}


def test_nodes_that_are_not_orders_keep_nothing() -> None:
    document = json.dumps(_page(None, [1], {"name": "no id"}, {"id": 7}, {"id": "x"})).encode()
    body, texts = decode_keeping(document)
    assert body == json.loads(document)
    assert texts == {"x": '{"id": "x"}'}


@pytest.mark.parametrize(
    "document",
    [b"", b'{"data":', b'{"data":{}} trailing', b'{"data":{"orders":{"edges":[1,]}}}', b"\xff{}"],
)
def test_what_is_not_json_fails_as_json_loads_fails(document: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(document)
    with pytest.raises(ValueError):
        decode_keeping(document)


def test_an_order_is_stored_with_its_text_and_hashed_over_it() -> None:
    body, texts = decode_keeping(PAGE)
    kept, _, _ = parse_orders(body, "shop", texts)
    encoded, _, _ = parse_orders(json.loads(PAGE), "shop")
    assert kept == encoded  # the text is not part of what an order is
    raw, digest = ORDER_FIELDS.index("raw"), ORDER_FIELDS.index("raw_hash")
    for with_text, without in zip(kept, encoded, strict=True):
        assert order_values(with_text)[raw] == texts[with_text.external_id]
        assert json.loads(str(order_values(without)[raw])) == json.loads(
            str(order_values(with_text)[raw])
        )
        assert order_values(with_text)[digest] != order_values(without)[digest]
