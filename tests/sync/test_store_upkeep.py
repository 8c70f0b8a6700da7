"""Retention of raw payloads, and the figures /metrics reads from the store."""

from __future__ import annotations

import json
from datetime import timedelta

from sync.store import Store
from tests.conftest import T0, OrderFactory

LATER = T0 + timedelta(days=100)


async def _raw(store: Store, number: str) -> str:
    return str(await store.db.scalar("SELECT raw FROM orders WHERE number = ?", (number,)))


async def test_prune_blanks_old_order_payloads_and_keeps_recent_ones(
    store: Store, make_order: OrderFactory
) -> None:
    old = make_order(1)
    recent = make_order(2, updated_at=LATER, created_at=LATER)
    await store.save_order_page("shop", "shopify", [old, recent], "c1", T0)

    pruned = await store.prune_payloads(LATER - timedelta(days=30))

    assert pruned.orders == 1
    assert await _raw(store, old.number) == "{}"
    assert json.loads(await _raw(store, recent.number)) == {"n": 2, "rev": 0}


async def test_prune_keeps_the_timeline_and_the_normalized_order(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "c1", T0)
    events = await store.db.fetchall("SELECT * FROM events ORDER BY id")
    before = await store.db.fetchone("SELECT payment_status, total, raw_hash FROM orders")

    await store.prune_payloads(LATER)

    assert [tuple(r) for r in await store.db.fetchall("SELECT * FROM events ORDER BY id")] == [
        tuple(r) for r in events
    ]
    after = await store.db.fetchone("SELECT payment_status, total, raw_hash FROM orders")
    assert before is not None and after is not None
    assert tuple(after) == tuple(before)


async def test_a_pruned_order_fetched_again_unchanged_is_not_a_change(
    store: Store, make_order: OrderFactory
) -> None:
    order = make_order(1)
    await store.save_order_page("shop", "shopify", [order], "c1", T0)
    await store.prune_payloads(LATER)

    changed = await store.save_order_page("shop", "shopify", [order], "c1", LATER)

    assert changed == []


async def test_prune_blanks_only_processed_old_webhook_bodies(store: Store) -> None:
    await store.queue_webhook("shop", "d1", "orders/updated", b'{"id": 1}', T0)
    await store.queue_webhook("shop", "d2", "orders/updated", b'{"id": 2}', T0)
    first = (await store.pending_webhooks())[0]
    await store.apply_webhook(first.id, "shop", [], T0)

    pruned = await store.prune_payloads(LATER)

    bodies = await store.db.fetchall("SELECT delivery_id, body FROM webhook_inbox ORDER BY id")
    assert pruned.webhooks == 1
    assert [(r["delivery_id"], bytes(r["body"])) for r in bodies] == [
        ("d1", b""),
        ("d2", b'{"id": 2}'),
    ]
    assert not await store.queue_webhook("shop", "d1", "orders/updated", b"{}", LATER)


async def test_prune_works_in_batches_across_the_whole_table(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(n) for n in range(1, 26)], "c", T0)

    pruned = await store.prune_payloads(LATER, batch=7)

    assert pruned.orders == 25
    assert await store.db.scalar("SELECT count(*) FROM orders WHERE raw <> '{}'") == 0


async def test_outbox_counts_group_by_state(store: Store) -> None:
    async with store.db.write() as tx:
        for key, state in (("a", "pending"), ("b", "pending"), ("c", "failed")):
            await tx.execute(
                "INSERT INTO outbox (channel, idempotency_key, payload, state, next_attempt_at, "
                "created_at) VALUES ('slack', ?, '{}', ?, '2026-11-20T08:00:00Z', "
                "'2026-11-20T08:00:00Z')",
                (key, state),
            )

    assert await store.outbox_counts() == {"pending": 2, "failed": 1}


async def test_touch_writes_a_heartbeat_row(store: Store) -> None:
    await store.touch("health.checked_at", T0)

    assert await store.get_state("health.checked_at") == "2026-11-20T08:00:00Z"
