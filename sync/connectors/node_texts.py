"""Decode a page of orders and keep each order's JSON text as the shop sent it.

Every order is stored with its raw JSON. Encoding again what was just decoded costs about as much
as decoding it, and the text is already in the response: :func:`decode_keeping` decodes a
response exactly as :func:`json.loads` does, and also hands back, by order id, the text of each
object at ``data.orders.edges[].node``.

It walks the objects on that path itself and lets the json module's scanner decode every value
it does not need to look into, so it costs what ``json.loads`` costs. A document of another shape
(a key twice on the path, an order id twice, a byte-order mark, anything unexpected) is decoded
by ``json.loads`` alone, with no texts: the caller then encodes the orders as before.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from typing import Any, cast

ORDERS_PATH = ("data", "orders", "edges")

# The json module's own scanners (its C ones where built): the value, or the rest of a string
# after its opening quote, at a place in a text, and where it ends. Typeshed knows neither well.
_Scanner = Callable[[str, int], tuple[Any, int]]
_scan = cast(_Scanner, json.scanner.make_scanner(json.JSONDecoder()))  # type: ignore[arg-type]
_scanstring = cast(_Scanner, json.decoder.scanstring)  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")


class _Unexpected(Exception):
    """The document leaves the shape walked: ``json.loads`` decodes it instead."""


def decode_keeping(
    content: bytes, path: tuple[str, ...] = ORDERS_PATH, key: str = "node"
) -> tuple[Any, dict[str, str]]:
    """``content`` decoded as :func:`json.loads` decodes it, and the exact text of each object
    under ``key`` in the items of the list at ``path``, by the object's ``id``.

    Raises what ``json.loads`` raises for a document that is not JSON."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return json.loads(content), {}
    walk = _Walk(text, key)
    try:
        value, end = walk.value(_skip(text, 0), path)
        if _skip(text, end) != len(text):
            raise _Unexpected
    except (_Unexpected, ValueError, IndexError, StopIteration):
        return json.loads(content), {}
    for clash in walk.clashes:
        walk.texts.pop(clash, None)
    return value, walk.texts


def _skip(text: str, at: int) -> int:
    end: int = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # always matches
    return end


def _after(text: str, at: int, closer: str) -> tuple[int, bool]:
    """Past a value of a list or object: where the next one starts, or (True) where the list or
    object's closing ``closer`` ends."""
    at = _skip(text, at)
    if text[at] == ",":
        return _skip(text, at + 1), False
    if text[at] == closer:
        return at + 1, True
    raise _Unexpected


class _Walk:
    def __init__(self, text: str, key: str) -> None:
        self.text = text
        self.key = key
        self.texts: dict[str, str] = {}
        self.clashes: set[str] = set()

    def value(self, at: int, path: tuple[str, ...]) -> tuple[Any, int]:
        """The value at ``at``, looking into it along ``path`` (its items once it is empty)."""
        opening = self.text[at]
        if path and opening == "{":
            return self.members(at, lambda _, start: self.value(start, path[1:]), path[0])
        if not path and opening == "[":
            return self.items(at)
        return _scan(self.text, at)

    def items(self, at: int) -> tuple[list[Any], int]:
        text, found = self.text, list[Any]()
        at = _skip(text, at + 1)
        if text[at] == "]":
            return found, at + 1
        while True:
            if text[at] == "{":
                item, at = self.members(at, self.kept, self.key)
            else:
                item, at = _scan(text, at)
            found.append(item)
            at, ended = _after(text, at, "]")
            if ended:
                return found, at

    def kept(self, text: str, at: int) -> tuple[Any, int]:
        """An item's ``key`` member, its text kept by its id."""
        node, end = _scan(text, at)
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            if node["id"] in self.texts:
                self.clashes.add(node["id"])
            self.texts[node["id"]] = text[at:end]
        return node, end

    def members(self, at: int, inner: _Scanner, wanted: str) -> tuple[dict[str, Any], int]:
        """The object at ``at``; its ``wanted`` member read by ``inner(text, start)``."""
        text, found = self.text, cast(dict[str, Any], {})
        at = _skip(text, at + 1)
        if text[at] == "}":
            return found, at + 1
        while True:
            if text[at] != '"':
                raise _Unexpected
            name, at = _scanstring(text, at + 1)
            if name in found:
                raise _Unexpected  # json.loads keeps the last; the texts could be the first's
            at = _skip(text, at)
            if text[at] != ":":
                raise _Unexpected
            at = _skip(text, at + 1)
            if name == wanted:
                found[name], at = inner(text, at)
            else:
                found[name], at = _scan(text, at)
            at, ended = _after(text, at, "}")
            if ended:
                return found, at
