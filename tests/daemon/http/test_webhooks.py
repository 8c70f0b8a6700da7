"""The Shopify and WooCommerce webhook receivers over real loopback HTTP into a real database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from daemon.http import shopify, woocommerce
from daemon.http.app import HttpContext, create_app
from daemon.simulator.server import RunningServer, serve
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0

FIXTURES = Path(__file__).resolve().parents[2] / "sync" / "fixtures"
SECRET = "hush-hush"
SHOPIFY_BODY = (FIXTURES / "shopify_webhook_orders_updated.json").read_bytes()
WOO_BODY = (FIXTURES / "woocommerce_webhook_order_updated.json").read_bytes()


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Receiver:
    def __init__(self, server: RunningServer, store: Store) -> None:
        self.server = server
        self.store = store
        self.woken = 0

    async def inbox(self) -> list[tuple[str, str, str]]:
        rows = await self.store.db.fetchall(
            "SELECT source, delivery_id, topic FROM webhook_inbox ORDER BY id"
        )
        return [(r["source"], r["delivery_id"], r["topic"]) for r in rows]


@pytest.fixture
async def receiver(store: Store) -> AsyncIterator[Receiver]:
    holder: list[Receiver] = []

    def wake() -> None:
        holder[0].woken += 1

    context = HttpContext(store, VirtualClock(T0), {"shop": SECRET, "woo": SECRET}, wake)
    server = await serve(create_app(context, receivers=(shopify.routes, woocommerce.routes)))
    holder.append(Receiver(server, store))
    yield holder[0]
    await server.stop()


@pytest.fixture
async def http(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=receiver.server.url, timeout=5) as client:
        yield client


def shopify_headers(body: bytes, **changes: str | None) -> dict[str, str]:
    headers: dict[str, str | None] = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Shop-Domain": "shop1.myshopify.io",
    }
    headers.update(changes)
    return {k: v for k, v in headers.items() if v is not None}


def woo_headers(body: bytes, **changes: str | None) -> dict[str, str]:
    headers: dict[str, str | None] = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "updated",
        "X-WC-Webhook-Signature": sign(body),
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": "1d7f2f0c3c4b9e1d2a6b8c0e",
    }
    headers.update(changes)
    return {k: v for k, v in headers.items() if v is not None}


def one_byte_altered(body: bytes) -> bytes:
    position = body.index(b'"name"')
    return body[:position] + b'"Name"' + body[position + 6 :]


def reserialized(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=1, sort_keys=True).encode()


async def test_a_signed_shopify_delivery_is_queued(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/webhooks/shopify/shop", content=SHOPIFY_BODY, headers=shopify_headers(SHOPIFY_BODY)
    )
    assert response.status_code == 200
    assert await receiver.inbox() == [
        ("shop", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "orders/updated")
    ]
    assert receiver.woken == 1


@pytest.mark.parametrize(
    ("case", "body", "signature"),
    [
        ("wrong secret", SHOPIFY_BODY, sign(SHOPIFY_BODY, "not-the-secret")),
        ("missing", SHOPIFY_BODY, None),
        ("empty", SHOPIFY_BODY, ""),
        ("one byte altered", one_byte_altered(SHOPIFY_BODY), sign(SHOPIFY_BODY)),
        ("re-serialized JSON", reserialized(SHOPIFY_BODY), sign(SHOPIFY_BODY)),
        (
            "hex, not base64",
            SHOPIFY_BODY,
            hmac.new(SECRET.encode(), SHOPIFY_BODY, "sha256").hexdigest(),
        ),
    ],
)
async def test_a_badly_signed_shopify_delivery_is_refused_and_not_kept(
    receiver: Receiver, http: httpx.AsyncClient, case: str, body: bytes, signature: str | None
) -> None:
    headers = shopify_headers(body, **{"X-Shopify-Hmac-Sha256": signature})
    response = await http.post("/webhooks/shopify/shop", content=body, headers=headers)
    assert response.status_code == 401, case
    assert await receiver.inbox() == []
    assert receiver.woken == 0


async def test_a_repeated_shopify_delivery_is_queued_once(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    for _ in range(3):
        response = await http.post(
            "/webhooks/shopify/shop", content=SHOPIFY_BODY, headers=shopify_headers(SHOPIFY_BODY)
        )
        assert response.status_code == 200
    assert len(await receiver.inbox()) == 1
    assert response.json() == {"ok": True, "queued": False}


async def test_a_delivery_without_an_id_is_known_by_its_body(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    headers = shopify_headers(SHOPIFY_BODY, **{"X-Shopify-Webhook-Id": None})
    for _ in range(2):
        await http.post("/webhooks/shopify/shop", content=SHOPIFY_BODY, headers=headers)
    ((_, delivery, _),) = await receiver.inbox()
    assert delivery == "sha256:" + hashlib.sha256(SHOPIFY_BODY).hexdigest()


async def test_a_source_without_a_secret_takes_no_webhooks(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/webhooks/shopify/other", content=SHOPIFY_BODY, headers=shopify_headers(SHOPIFY_BODY)
    )
    assert response.status_code == 404
    assert await receiver.inbox() == []


async def test_a_signed_woocommerce_delivery_is_queued(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/webhooks/woocommerce/woo", content=WOO_BODY, headers=woo_headers(WOO_BODY)
    )
    assert response.status_code == 200
    assert await receiver.inbox() == [("woo", "1d7f2f0c3c4b9e1d2a6b8c0e", "order.updated")]


@pytest.mark.parametrize(
    ("case", "body", "signature"),
    [
        ("wrong secret", WOO_BODY, sign(WOO_BODY, "not-the-secret")),
        ("missing", WOO_BODY, None),
        ("one byte altered", one_byte_altered(WOO_BODY), sign(WOO_BODY)),
        ("re-serialized JSON", reserialized(WOO_BODY), sign(WOO_BODY)),
    ],
)
async def test_a_badly_signed_woocommerce_delivery_is_refused_and_not_kept(
    receiver: Receiver, http: httpx.AsyncClient, case: str, body: bytes, signature: str | None
) -> None:
    headers = woo_headers(body, **{"X-WC-Webhook-Signature": signature})
    response = await http.post("/webhooks/woocommerce/woo", content=body, headers=headers)
    assert response.status_code == 401, case
    assert await receiver.inbox() == []


async def test_the_woocommerce_creation_ping_is_answered_and_not_kept(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/webhooks/woocommerce/woo",
        content=b"webhook_id=7",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert await receiver.inbox() == []
    assert receiver.woken == 0


async def test_a_repeated_woocommerce_delivery_is_queued_once(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    for _ in range(2):
        await http.post(
            "/webhooks/woocommerce/woo", content=WOO_BODY, headers=woo_headers(WOO_BODY)
        )
    assert len(await receiver.inbox()) == 1


async def test_health_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True
