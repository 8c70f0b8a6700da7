"""Deletion webhooks: the order stays in the mirror, marked deleted, off the desk, with its past."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.inbox import Inbox
from sync.clock import VirtualClock
from sync.connectors.base import OrderSource
from sync.connectors.shopify_graphql import ShopifyGraphQLSource
from sync.connectors.woocommerce import WooCommerceSource
from sync.domain import TimerState
from sync.store import OrderQuery, Store
from sync.store.timers import TimerDecision
from tests.conftest import T0

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures"
SHOP_ID = "gid://shopify/Order/450789469"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
async def sources() -> AsyncIterator[dict[str, OrderSource]]:
    async with httpx.AsyncClient() as client:
        yield {
            "shop": ShopifyGraphQLSource("shop", client, {"url": "http://shop.test", "token": "t"}),
            "woo": WooCommerceSource(
                "woo", client, {"url": "http://woo.test", "key": "k", "secret": "s"}
            ),
        }


@pytest.fixture
def inbox(store: Store, sources: dict[str, OrderSource]) -> Inbox:
    return Inbox(store, VirtualClock(T0), sources, lambda: None)


async def deliver(store: Store, inbox: Inbox, source: str, topic: str, payload: bytes) -> list[int]:
    delivery = f"d{len(await store.db.column('SELECT id FROM webhook_inbox')) + 1}"
    assert await store.queue_webhook(source, delivery, topic, payload, T0)
    return await inbox.drain()


async def reopened_order(store: Store, inbox: Inbox) -> int:
    """The Shopify sample order, made open again so it sits in the queue."""
    raw = json.loads(body("shopify_webhook_orders_updated.json"))
    raw.update(closed_at=None, cancelled_at=None)
    (order_id,) = await deliver(store, inbox, "shop", "orders/updated", json.dumps(raw).encode())
    return order_id


async def firing_timer(store: Store, order_id: int) -> None:
    decision = TimerDecision(
        rule_id="ship-within-48h",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=T0 - timedelta(days=3),
        deadline_at=T0 - timedelta(days=1),
        warn_at=None,
        next_at=T0 + timedelta(hours=1),
        rules_version="v1",
        summary="not shipped in 48 h",
    )
    assert await store.save_timers([decision], T0) == 1


async def test_a_shopify_deletion_marks_the_order_deleted_and_keeps_it(
    store: Store, inbox: Inbox
) -> None:
    order_id = await reopened_order(store, inbox)
    assert order_id in await store.order_ids(OrderQuery())
    deletion = body("shopify_webhook_orders_delete.json")
    changed = await deliver(store, inbox, "shop", "orders/delete", deletion)
    order = await store.order(order_id)
    assert changed == [order_id] and order is not None
    assert (order.external_id, order.lifecycle) == (SHOP_ID, "deleted")
    assert order_id not in await store.order_ids(OrderQuery())
    lines = [(e.kind, e.field, e.to_value) for e in await store.events(order_id)]
    assert lines[0][0] == "created"  # its past is still there
    assert lines[-1] == ("status", "lifecycle", "deleted")


async def test_a_deleted_orders_timers_resolve_and_its_escalation_closes(
    store: Store, inbox: Inbox
) -> None:
    order_id = await reopened_order(store, inbox)
    await firing_timer(store, order_id)
    await deliver(store, inbox, "shop", "orders/delete", body("shopify_webhook_orders_delete.json"))
    (timer,) = await store.timers_for_orders([order_id])
    assert (timer.state, timer.reason) == ("resolved", "deleted at the source")
    assert await store.open_escalations() == []
    (row,) = await store.db.fetchall("SELECT state, resolution FROM escalations")
    assert (row["state"], row["resolution"]) == ("resolved", "deleted at the source")


async def test_an_older_update_arriving_after_the_deletion_does_not_revive_the_order(
    store: Store, inbox: Inbox
) -> None:
    order_id = await reopened_order(store, inbox)
    await deliver(store, inbox, "shop", "orders/delete", body("shopify_webhook_orders_delete.json"))
    raw = json.loads(body("shopify_webhook_orders_updated.json"))
    raw.update(closed_at=None, cancelled_at=None, note="late copy")
    assert await deliver(store, inbox, "shop", "orders/updated", json.dumps(raw).encode()) == []
    order = await store.order(order_id)
    assert order is not None and order.lifecycle == "deleted"


async def test_a_woocommerce_deletion_marks_its_order_deleted(store: Store, inbox: Inbox) -> None:
    (order_id,) = await deliver(
        store, inbox, "woo", "order.updated", body("woocommerce_webhook_order_updated.json")
    )
    changed = await deliver(
        store, inbox, "woo", "order.deleted", body("woocommerce_webhook_order_deleted.json")
    )
    order = await store.order(order_id)
    assert changed == [order_id] and order is not None and order.lifecycle == "deleted"


async def test_deleting_an_order_the_mirror_never_had_changes_nothing(
    store: Store, inbox: Inbox
) -> None:
    payload = body("woocommerce_webhook_order_deleted.json")
    assert await deliver(store, inbox, "woo", "order.deleted", payload) == []
    assert await store.pending_webhooks() == []
    assert await store.order_count() == 0


async def test_a_deletion_without_an_id_is_set_aside(store: Store, inbox: Inbox) -> None:
    order_id = await reopened_order(store, inbox)
    assert await deliver(store, inbox, "shop", "orders/delete", b'{"name": "#1001"}') == []
    order = await store.order(order_id)
    assert order is not None and order.lifecycle == "open"
    assert (await store.webhook_counts())["failed"] == 1
