"""Helpers for testing the API order sources against the simulator over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import OrderState, Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_rest_api import CallBucket
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET, woo_id
from sync.clock import Clock
from sync.connectors import ORDER_SOURCES
from sync.connectors.base import OrderSource
from sync.connectors.shopify_query import LARGEST_PAGE
from sync.domain import OrderRecord

KINDS = ("shopify", "shopify-rest", "woocommerce")
STALL_SECONDS = 1.5
PAGE_SIZE = {"shopify": str(LARGEST_PAGE), "shopify-rest": "25", "woocommerce": "25"}
"""Orders a page per kind; Shopify GraphQL's is the most a query may cost."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Waits:
    """A sleep that records what it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


class Scripted:
    """An ASGI wrapper that misbehaves on the vendor's requests as scripted, one entry a request:
    an HTTP status, ``"garbage"`` (the real answer cut in half), ``"html"`` (a 200 login page),
    ``"stall"`` (an answer held for ``STALL_SECONDS``) or None (answer normally). Past the
    script every request is answered normally."""

    LISTINGS = ("/graphql.json", "/orders.json", "/wp-json/wc/v3/orders")

    def __init__(
        self, app: App, script: list[int | str | None] | None = None, *, listings: bool = False
    ) -> None:
        self.app = app
        self.script = list(script or [])
        self.listings = listings
        """Only order listings take faults from the script (not counts or single orders)."""
        self.hits: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        self.hits.append(scope["path"])
        scripted = not self.listings or scope["path"].endswith(self.LISTINGS)
        if scripted and self.listings and scope["path"].endswith("/graphql.json"):
            receive, asked = await _peeked(receive)
            scripted = b"ordersCount" not in asked  # a GraphQL count is not a listing
        fault = self.script.pop(0) if self.script and scripted else None
        if isinstance(fault, int):
            await _answer(send, fault, b'{"errors": "simulated"}')
        elif fault == "html":
            await _answer(send, 200, b"<html><body>Log in</body></html>", b"text/html")
        elif fault == "garbage":
            await self.app(scope, receive, _halved(send))
        elif fault == "stall":
            await asyncio.sleep(STALL_SECONDS)
            await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _peeked(receive: Receive) -> tuple[Receive, bytes]:
    """The request's body, and a ``receive`` that hands the app the same messages again."""
    messages: list[MutableMapping[str, Any]] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = b"".join(m.get("body", b"") for m in messages)

    async def replay() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else await receive()

    return replay, body


async def _answer(send: Send, status: int, body: bytes, kind: bytes = b"application/json") -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", b"3"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _halved(send: Send) -> Send:
    held: dict[str, Any] = {}

    async def halve(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            held["start"] = message
            return
        if message["type"] == "http.response.body" and not message.get("more_body"):
            body = bytes(message.get("body", b""))[: len(message.get("body", b"")) // 2]
            start = dict(held["start"])
            start["headers"] = [
                (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                for k, v in start["headers"]
            ]
            await send(start)
            await send({"type": "http.response.body", "body": body})

    return halve


async def start_vendor(
    shop: Shop,
    clock: Clock,
    script: list[int | str | None] | None = None,
    *,
    listings: bool = False,
    **options: Any,
) -> tuple[RunningServer, Scripted]:
    options.setdefault("bucket", Bucket(maximum=1e9, restore_rate=1e9))
    options.setdefault("calls", CallBucket(size=10**9, leak=1e9))
    scripted = Scripted(create_app(shop, clock=clock, **options), script, listings=listings)
    return await serve(scripted), scripted


def settings_for(kind: str, url: str, **extra: str) -> dict[str, str]:
    settings = {"url": url, "page_size": PAGE_SIZE[kind], "retries": "3"}
    if kind == "woocommerce":
        settings |= {"key": DEFAULT_KEY, "secret": DEFAULT_SECRET}
        settings["status_map"] = "awaiting-pickup=in_progress"
    else:
        settings["token"] = DEFAULT_TOKEN
    return settings | extra


def make_source(
    kind: str,
    url: str,
    client: httpx.AsyncClient,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **extra: str,
) -> OrderSource:
    source_class: Any = ORDER_SOURCES[kind]
    built: OrderSource = source_class(
        "shop", client, settings_for(kind, url, **extra), sleep=sleep or Waits()
    )
    return built


def external_id(kind: str, state: OrderState) -> str:
    if kind == "woocommerce":
        return str(woo_id(state.index))
    return f"gid://shopify/Order/{state.id}"


def truth(shop: Shop, at: datetime, kind: str) -> dict[str, datetime]:
    """What a complete mirror holds at ``at``: each order's id and ``updated_at`` as listed."""
    found: dict[str, datetime] = {}
    for index in range(shop.count_at(at)):
        state = shop.listed_state(index, at)
        if state is not None:
            found[external_id(kind, state)] = state.updated_at
    return found


async def run_pages(
    source: OrderSource, cursor: str, limit: int = 500
) -> tuple[list[OrderRecord], str]:
    """Every page until caught up: (orders, the cursor to resume from)."""
    orders: list[OrderRecord] = []
    for _ in range(limit):
        page = await source.fetch_page(cursor)
        orders += page.orders
        cursor = page.cursor
        if not page.more:
            return orders, cursor
    raise AssertionError("the source never caught up")


def more_parcels(state: OrderState, index: int, count: int) -> OrderState:
    """``state`` (of the order at ``index``) with ``count`` fulfillments: its first, then copies
    of it under new ids and tracking numbers."""
    first = state.fulfillments[0]
    more = tuple(
        replace(first, id=4_700_000_000_000 + index * 100 + n, number=f"{first.number}P{n}")
        for n in range(1, count)
    )
    return replace(state, fulfillments=(first, *more))
