"""Applying queued webhooks: once, newest wins, unreadable ones set aside, nothing lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.inbox import Inbox
from sync.clock import VirtualClock
from sync.connectors.base import OrderSource
from sync.connectors.shopify_rest import ShopifyRestSource
from sync.connectors.woocommerce import WooCommerceSource
from sync.store import Store
from tests.conftest import T0

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures"


def body(name: str, **changes: Any) -> bytes:
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    payload.update(changes)
    return json.dumps(payload).encode()


@pytest.fixture
async def sources() -> AsyncIterator[dict[str, OrderSource]]:
    async with httpx.AsyncClient() as client:
        yield {
            "shop": ShopifyRestSource("shop", client, {"url": "http://shop.test", "token": "t"}),
            "woo": WooCommerceSource(
                "woo", client, {"url": "http://woo.test", "key": "k", "secret": "s"}
            ),
        }


@pytest.fixture
def woken() -> list[int]:
    return []


@pytest.fixture
def inbox(store: Store, sources: dict[str, OrderSource], woken: list[int]) -> Inbox:
    return Inbox(store, VirtualClock(T0), sources, lambda: woken.append(1))


async def queue(store: Store, source: str, delivery: str, topic: str, payload: bytes) -> None:
    assert await store.queue_webhook(source, delivery, topic, payload, T0)


async def test_a_shopify_delivery_becomes_its_order(store: Store, inbox: Inbox) -> None:
    await queue(store, "shop", "d1", "orders/updated", body("shopify_webhook_orders_updated.json"))
    (order_id,) = await inbox.drain()
    order = await store.order(order_id)
    assert order is not None
    assert (order.external_id, order.lifecycle) == ("gid://shopify/Order/450789469", "closed")
    assert await store.pending_webhooks() == []


async def test_a_woocommerce_delivery_brings_its_parcels(store: Store, inbox: Inbox) -> None:
    await queue(store, "woo", "d1", "order.updated", body("woocommerce_webhook_order_updated.json"))
    (order_id,) = await inbox.drain()
    parcels = await store.db.column(
        "SELECT tracking_number FROM shipments WHERE order_id = ? ORDER BY id", (order_id,)
    )
    assert parcels == ["9400111899223197428490", "SF1402236517810"]


async def test_the_same_change_delivered_twice_changes_the_order_once(
    store: Store, inbox: Inbox
) -> None:
    payload = body("shopify_webhook_orders_updated.json")
    await queue(store, "shop", "first", "orders/updated", payload)
    await queue(store, "shop", "second", "orders/updated", payload)  # a new id, same content
    changed = await inbox.drain()
    assert len(changed) == 1
    (version,) = await store.db.column("SELECT version FROM orders")
    assert version == 1


async def test_an_older_delivery_arriving_last_does_not_win(store: Store, inbox: Inbox) -> None:
    newer = body(
        "woocommerce_webhook_order_updated.json",
        status="completed",
        date_modified_gmt="2017-03-21T20:00:00",
    )
    older = body(
        "woocommerce_webhook_order_updated.json",
        status="processing",
        date_modified_gmt="2017-03-21T19:00:00",
        meta_data=[],
    )
    await queue(store, "woo", "newer", "order.updated", newer)
    await queue(store, "woo", "older", "order.updated", older)
    await inbox.drain()
    rows = await store.db.fetchall("SELECT fulfillment_status, updated_at FROM orders")
    assert [(r["fulfillment_status"], r["updated_at"]) for r in rows] == [
        ("fulfilled", "2017-03-21T20:00:00Z")
    ]
    assert await store.pending_webhooks() == []


async def test_an_unreadable_delivery_is_set_aside_and_writes_nothing(
    store: Store, inbox: Inbox
) -> None:
    await queue(store, "shop", "bad", "orders/updated", b'{"id": 1, "updated_at": "yesterday"')
    assert await inbox.drain() == []
    assert await store.order_count() == 0
    assert await store.webhook_counts() == {"waiting": 0, "applied": 0, "failed": 1}
    (error,) = await store.db.column("SELECT error FROM webhook_inbox")
    assert "not JSON" in error


async def test_a_topic_without_an_order_is_applied_as_nothing(store: Store, inbox: Inbox) -> None:
    await queue(store, "shop", "p1", "products/create", b'{"id": 1, "title": "Tea"}')
    assert await inbox.drain() == []
    assert await store.webhook_counts() == {"waiting": 0, "applied": 1, "failed": 0}


async def test_a_delivery_for_a_source_gone_from_the_config_is_set_aside(
    store: Store, inbox: Inbox
) -> None:
    await queue(store, "gone", "g1", "orders/updated", body("shopify_webhook_orders_updated.json"))
    await inbox.drain()
    assert await store.webhook_counts() == {"waiting": 0, "applied": 0, "failed": 1}


async def test_deliveries_queued_before_a_crash_are_applied_after(
    store: Store, sources: dict[str, OrderSource]
) -> None:
    await queue(store, "shop", "d1", "orders/updated", body("shopify_webhook_orders_updated.json"))
    # The process died after answering: a new daemon's inbox finds the delivery waiting.
    restarted = Inbox(store, VirtualClock(T0), sources, lambda: None)
    assert len(await restarted.drain()) == 1
    assert await store.order_count() == 1
