"""``P`` in the order detail: push a tracking number the shop lacks, after a yes, undoable."""

from __future__ import annotations

import os
import pwd
from dataclasses import replace
from datetime import timedelta

from sync.domain import FulfillmentStatus
from sync.store import PushRow, Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import flat, settle, shows, static_text, toasts
from tests.tui.seed import T0, shipped
from tui.config import ConsoleConfig
from tui.screens.detail import DetailScreen
from tui.screens.pickers import ConfirmScreen

LOGIN = pwd.getpwuid(os.getuid()).pw_name
NUMBER = "SF1400000077"


async def with_unshipped_order(shop: Shop) -> int:
    """Add #1077: the courier has its parcel, the shop shows it in progress."""
    record = replace(shipped(77, NUMBER, "sf"), fulfillment_status=FulfillmentStatus.IN_PROGRESS)
    store = await Store.open(shop.path)
    try:
        (order_id,) = await store.save_order_page("shop", "shopify", [record], "c2", T0)
    finally:
        await store.close()
    return order_id


async def pushes(shop: Shop, order_id: int) -> list[PushRow]:
    store = await Store.open(shop.path)
    try:
        return await store.tracking_pushes(order_id)
    finally:
        await store.close()


async def open_order(app: object, pilot: object, order_id: int) -> None:
    app.screen.order_list.select_id(order_id)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, DetailScreen)  # type: ignore[attr-defined]


async def test_p_is_offered_only_while_the_shop_lacks_the_number(
    small_shop: Shop, make_app: MakeApp
) -> None:
    order_id = await with_unshipped_order(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_order(app, pilot, order_id)
        offered = app.screen.check_action("push_tracking", ())
        await pilot.press("escape")
        await settle(pilot)
        await open_order(app, pilot, small_shop.ids["#1002"])  # shipped, and the shop says so
        withheld = app.screen.check_action("push_tracking", ())
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)  # no question came up
    assert (offered, withheld) == (True, False)


async def test_a_yes_queues_the_push_as_the_agent_and_the_timeline_says_so(
    small_shop: Shop, make_app: MakeApp
) -> None:
    order_id = await with_unshipped_order(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_order(app, pilot, order_id)
        await pilot.press("P")
        await shows(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Push tracking {NUMBER} to the shop" in app.screen.question
        await pilot.press("y")
        await settle(pilot, 0.2)
        timeline = static_text(app, "#timeline")
        offered_after = app.screen.check_action("push_tracking", ())
    (push,) = await pushes(small_shop, order_id)
    assert (push.state, push.push.tracking_number, push.push.agent) == ("pending", NUMBER, LOGIN)
    assert f"push tracking {NUMBER} to shop: queued" in timeline
    assert offered_after is False  # on its way: not offered twice


async def test_a_no_pushes_nothing(small_shop: Shop, make_app: MakeApp) -> None:
    order_id = await with_unshipped_order(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_order(app, pilot, order_id)
        await pilot.press("P")
        await shows(pilot, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
    assert await pushes(small_shop, order_id) == []


async def test_u_takes_the_push_back_while_it_waits(small_shop: Shop, make_app: MakeApp) -> None:
    order_id = await with_unshipped_order(small_shop)
    seen: list[object] = []
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=600))
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await open_order(app, pilot, order_id)
        await pilot.press("P")
        await shows(pilot, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause(0.1)
        await pilot.press("u")
        await pilot.pause()
    assert f"Undone: Push {'#1077'} tracking {NUMBER} to the shop" in toasts(seen)
    assert await pushes(small_shop, order_id) == []


async def test_each_attempt_and_the_result_are_in_the_timeline(
    small_shop: Shop, make_app: MakeApp
) -> None:
    order_id = await with_unshipped_order(small_shop)
    store = await Store.open(small_shop.path)
    try:
        queued = await store.queue_tracking_push(order_id, NUMBER, "ana", T0, writable={"shopify"})
        await store.claim_outbox(queued.outbox_id, T0)
        retry_at = T0 + timedelta(minutes=15)
        await store.push_attempt_failed(queued.outbox_id, "HTTP 503", 1, 5, retry_at, T0)
        await store.claim_outbox(queued.outbox_id, retry_at)
        await store.push_delivered(queued.outbox_id, "fulfillment 7 created on Shopify", retry_at)
    finally:
        await store.close()
    app = make_app(small_shop)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_order(app, pilot, order_id)
        timeline = flat(static_text(app, "#timeline"))
    lines = [
        f"ana push tracking {NUMBER} to shop: queued",
        f"daemon push of {NUMBER} to shop: attempt 1 of 5 failed: HTTP 503; next try at",
        f"daemon pushed {NUMBER} to shop: fulfillment 7 created on Shopify",
    ]
    positions = [timeline.index(line) for line in lines]
    assert positions == sorted(positions)
