"""Tracking pushes in the outbox: the retry schedule, giving up, the timeline, idempotency.

The platform is the simulator over loopback HTTP; time is a virtual clock moved by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from daemon.outbox.worker import OutboxWorker
from daemon.rules.workflow import Workflow
from daemon.simulator.shop import OrderState, Shop
from sync.clock import VirtualClock
from sync.connectors import SHOP_WRITERS
from sync.domain import FulfillmentStatus
from sync.errors import ActionError
from sync.store import Queued, Store
from tests.conftest import T0, OrderFactory
from tests.sync.apisim import settings_for, start_vendor

NOW = T0 + timedelta(hours=5)
QUARTER = timedelta(minutes=15)


@dataclass
class Desk:
    store: Store
    clock: VirtualClock
    shop: Shop
    state: OrderState
    order_id: int
    faults: Any
    client: httpx.AsyncClient
    url: str

    def worker(self, **settings: str) -> OutboxWorker:
        options = {"retries": "1", **settings}
        writer = SHOP_WRITERS["shopify"](
            "shop", self.client, settings_for("shopify", self.url, **options)
        )
        return OutboxWorker(self.store, self.clock, self.client, Workflow, writers={"shop": writer})

    async def push(self, agent: str = "ana") -> Queued:
        queued = await self.store.queue_tracking_push(
            self.order_id,
            self.state.details.tracking_number,
            agent,
            self.clock.now(),
            writable=SHOP_WRITERS,
        )
        return queued.outcome

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.store.events(self.order_id) if e.subject_kind == "push"]


@pytest.fixture
async def desk(store: Store, make_order: OrderFactory) -> AsyncIterator[Desk]:
    clock = VirtualClock(NOW)
    shop = Shop(seed=8, orders=200, now=NOW, unrecorded_share=1.0)
    state = next(
        s
        for i in range(200)
        if (line := shop.timeline(i)).shipped is not None
        and line.shipped < NOW.timestamp()
        and line.cancelled is None
        and (s := shop.order_state(i, NOW)) is not None
    )
    record = make_order(
        1, tracking=state.details.tracking_number, external_id=f"gid://shopify/Order/{state.id}"
    )
    record = replace(record, number=state.name, fulfillment_status=FulfillmentStatus.IN_PROGRESS)
    (order_id,) = await store.save_order_page("shop", "shopify", [record], "", NOW)
    server, scripted = await start_vendor(shop, clock)
    async with httpx.AsyncClient(timeout=5) as client:
        yield Desk(
            store,
            clock,
            shop,
            state,
            order_id,
            scripted.app.state.shopify_writes.faults,
            client,
            server.url,
        )
    await server.stop()


async def test_a_push_that_fails_is_tried_again_every_quarter_hour_until_it_goes_through(
    desk: Desk,
) -> None:
    worker = desk.worker()
    desk.faults.fail(503, times=2)
    await desk.push()
    tried_at = []
    for _ in range(3):
        await worker.deliver_due()
        (row,) = await desk.store.tracking_pushes(desk.order_id)
        tried_at.append((row.state, row.attempts, row.next_attempt_at - NOW))
        desk.clock.advance(QUARTER)
    assert tried_at == [
        ("pending", 1, QUARTER),
        ("pending", 2, 2 * QUARTER),
        ("sent", 3, 2 * QUARTER),
    ]
    assert await desk.kinds() == ["push_tracking", "push_attempt", "push_attempt", "push_done"]


async def test_nothing_goes_out_before_the_next_attempt_is_due(desk: Desk) -> None:
    worker = desk.worker()
    desk.faults.fail(503)
    await desk.push()
    await worker.deliver_due()
    desk.clock.advance(QUARTER - timedelta(seconds=1))
    assert await worker.deliver_due() == 0
    assert desk.faults.taken == 1


async def test_a_push_gives_up_after_five_attempts_with_the_platforms_words(desk: Desk) -> None:
    worker = desk.worker()
    desk.faults.fail("refuse", times=10)
    await desk.push()
    for _ in range(7):
        await worker.deliver_due()
        desk.clock.advance(QUARTER)
    (row,) = await desk.store.tracking_pushes(desk.order_id)
    events = [e for e in await desk.store.events(desk.order_id) if e.subject_kind == "push"]
    assert (row.state, row.attempts, desk.faults.taken) == ("failed", 5, 5)
    assert [e.kind for e in events] == ["push_tracking"] + ["push_attempt"] * 4 + ["push_failed"]
    assert events[1].detail.startswith("attempt 1 of 5 failed: shop: Shopify refused it: ")
    assert "simulated refusal" in events[-1].detail
    assert events[-1].detail.startswith("gave up after 5 attempts")


async def test_attempts_and_their_spacing_come_from_the_sources_settings(desk: Desk) -> None:
    worker = desk.worker(push_attempts="2", push_retry_seconds="60")
    desk.faults.fail(503, times=5)
    await desk.push()
    await worker.deliver_due()
    (first,) = await desk.store.tracking_pushes(desk.order_id)
    desk.clock.advance(timedelta(seconds=60))
    await worker.deliver_due()
    (last,) = await desk.store.tracking_pushes(desk.order_id)
    assert first.next_attempt_at == NOW + timedelta(seconds=60)
    assert (last.state, last.attempts) == ("failed", 2)


async def test_every_step_is_on_the_timeline_with_who_did_it(desk: Desk) -> None:
    worker = desk.worker()
    desk.faults.fail(503)
    await desk.push(agent="ana")
    await worker.deliver_due()
    desk.clock.advance(QUARTER)
    await worker.deliver_due()
    steps = [
        (e.actor, e.kind, e.field, e.to_value)
        for e in await desk.store.events(desk.order_id)
        if e.subject_kind == "push"
    ]
    number = desk.state.details.tracking_number
    assert steps == [
        ("ana", "push_tracking", "shop", number),
        ("daemon", "push_attempt", "shop", number),
        ("daemon", "push_done", "shop", number),
    ]


async def test_asking_twice_queues_once_and_after_delivery_says_it_is_done(desk: Desk) -> None:
    worker = desk.worker()
    outcomes = [await desk.push(), await desk.push()]
    await worker.deliver_due()
    outcomes.append(await desk.push())
    assert outcomes == [Queued.QUEUED, Queued.ALREADY_QUEUED, Queued.ALREADY_PUSHED]
    assert len(await desk.store.tracking_pushes(desk.order_id)) == 1
    assert await desk.kinds() == ["push_tracking", "push_done"]


async def test_a_push_that_gave_up_can_be_asked_for_again(desk: Desk) -> None:
    worker = desk.worker(push_attempts="1")
    desk.faults.fail("refuse")
    await desk.push()
    await worker.deliver_due()
    again = await desk.push()
    await worker.deliver_due()
    (row,) = await desk.store.tracking_pushes(desk.order_id)
    assert again is Queued.REQUEUED
    assert (row.state, row.attempts) == ("sent", 1)


async def test_a_send_cut_off_by_a_crash_creates_no_second_fulfillment(desk: Desk) -> None:
    worker = desk.worker()
    await desk.push()
    (row,) = await desk.store.tracking_pushes(desk.order_id)
    assert await desk.store.claim_outbox(row.outbox_id, NOW)  # the daemon died after this send:
    await worker.pusher.writers["shop"].push_tracking(row.push)
    assert await worker.recover() == 1
    await worker.deliver_due()
    (after,) = await desk.store.tracking_pushes(desk.order_id)
    state = desk.shop.order_state(desk.state.index, desk.clock.now())
    assert after.state == "sent"
    assert state is not None and len(state.fulfillments) == 1
    events = [e for e in await desk.store.events(desk.order_id) if e.kind == "push_done"]
    assert events[0].detail.startswith("already on Shopify")


async def test_pushes_waiting_at_start_up_are_not_folded_into_a_digest(desk: Desk) -> None:
    await desk.push()
    desk.clock.advance(timedelta(hours=3))
    await desk.worker().recover()
    (row,) = await desk.store.tracking_pushes(desk.order_id)
    assert row.state == "pending"


async def test_a_push_for_a_source_the_daemon_cannot_write_to_gives_up_at_once(
    desk: Desk,
) -> None:
    worker = OutboxWorker(desk.store, desk.clock, desk.client, Workflow, writers={})
    await desk.push()
    await worker.deliver_due()
    (row,) = await desk.store.tracking_pushes(desk.order_id)
    assert row.state == "failed"
    assert "not in the config" in row.last_error


async def test_an_order_from_a_source_without_a_writer_cannot_be_pushed(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page(
        "drop", "csv", [make_order(2, source="drop")], "", NOW
    )
    with pytest.raises(ActionError, match="cannot write to"):
        await store.queue_tracking_push(order_id, "SF1", "ana", NOW, writable=SHOP_WRITERS)
