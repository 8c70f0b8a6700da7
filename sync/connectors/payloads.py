"""Saved vendor payloads → records, for ``orderwatchd parse KIND FILE``.

Each parser takes the text of one response or push body exactly as the vendor sent it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sync.connectors.shopify_graphql import parse_orders
from sync.connectors.track17 import parse_push, parse_tracks
from sync.errors import PayloadError

SOURCE = "parse"


def _json(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(body, dict):
        raise PayloadError("expected a JSON object at the top level")
    return body


def _shopify(text: str) -> list[object]:
    orders, _more, _cursor = parse_orders(_json(text), SOURCE)
    return list(orders)


def _track17(text: str) -> list[object]:
    body = _json(text)
    if "event" in body:  # a push, not a gettrackinfo response
        track = parse_push(body, "17track")
        return [] if track is None else [track]
    return list(parse_tracks(body, "17track"))


PARSERS: dict[str, Callable[[str], list[object]]] = {
    "shopify-graphql": _shopify,
    "17track": _track17,
}
