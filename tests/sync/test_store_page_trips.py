"""A page of orders in few trips to the database thread: what must still hold."""

from __future__ import annotations

import asyncio

from sync.store import Store
from sync.store.feeds import RunPage
from tests.conftest import T0, OrderFactory


async def test_a_page_counts_in_its_runs_progress(store: Store, make_order: OrderFactory) -> None:
    await store.start_run("shop", "shopify", T0, full=True)
    page = [make_order(n) for n in range(3)]
    await store.save_order_page("shop", "shopify", page, "c1", T0, run=RunPage(3, 5, False))
    await store.save_order_page(
        "shop", "shopify", [make_order(4)], "c2", T0, run=RunPage(1, 5, True)
    )
    progress = await store.source_progress("shop")
    assert progress is not None
    assert (progress.run_rows, progress.run_total, progress.running) == (4, 5, False)
    assert progress.reconciled_at == T0
    saved = await store.source("shop")
    assert saved is not None and saved.cursor == "c2"


async def test_a_new_orders_timeline_has_its_creation_and_payment(
    store: Store, make_order: OrderFactory
) -> None:
    order = make_order(7)
    (order_id,) = await store.save_order_page("shop", "shopify", [order], "", T0)
    events = await store.events(order_id)
    assert [(e.at, e.kind, e.field, e.to_value, e.detail) for e in events] == [
        (order.created_at, "created", "", "", f"order {order.number} created"),
        (order.paid_at, "status", "payment_status", "paid", ""),
    ]


async def test_a_write_cancelled_as_it_starts_leaves_no_transaction_open(
    store: Store, make_order: OrderFactory
) -> None:
    async def write() -> None:
        async with store.db.write() as tx:
            await tx.execute("SELECT 1")

    starting = asyncio.ensure_future(write())
    await asyncio.sleep(0)  # now waiting for its BEGIN on the database thread
    starting.cancel()
    await asyncio.wait([starting])
    assert starting.cancelled()
    assert await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
