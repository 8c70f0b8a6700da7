"""The detail's refresh key: a request through the database, "refreshing…", then the answer."""

from __future__ import annotations

from textual.pilot import Pilot

from sync.store import RefreshState, Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text
from tests.tui.seed import NOW
from tui.app import OrderwatchApp
from tui.keys import KEYS
from tui.screens.detail import DetailScreen


async def open_detail(pilot: Pilot[None], app: OrderwatchApp, shop: Shop, number: str) -> None:
    await settle(pilot)
    assert app.screen.order_list.select_id(shop.ids[number])
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DetailScreen)


def test_the_key_is_registered_for_the_detail_and_as_a_command() -> None:
    (key,) = [k for k in KEYS if k.id == "detail.refresh"]
    assert key.keys == "F" and key.command == "refresh"


async def test_f_asks_the_daemon_and_shows_refreshing(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, app, small_shop, "#1002")
        await pilot.press("F")
        await settle(pilot)
        parcels = static_text(app, "#parcels")
    assert "refreshing…" in parcels
    store = await Store.open(small_shop.path)
    try:
        (waiting,) = await store.waiting_refreshes()
        events = await store.events(small_shop.ids["#1002"])
    finally:
        await store.close()
    assert waiting.tracking_number == "SF1400000002"
    assert any(e.kind == "refresh" and e.actor == waiting.requested_by for e in events)


async def test_the_daemons_answer_replaces_refreshing(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, app, small_shop, "#1002")
        await pilot.press("F")
        await settle(pilot)
        daemon = await Store.open(small_shop.path)
        try:
            (waiting,) = await daemon.waiting_refreshes()
            outcome = "17track request budget spent: 120 of 120 requests used in the last hour"
            await daemon.answer_refresh(waiting.id, RefreshState.REFUSED, outcome, NOW)
        finally:
            await daemon.close()
        await pilot.pause(0.3)
        await settle(pilot)
        parcels = static_text(app, "#parcels")
    assert "refreshing…" not in parcels
    assert "refresh refused" in parcels and "budget spent" in parcels


async def test_an_order_with_no_parcel_has_nothing_to_refresh(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, app, small_shop, "#1001")
        await pilot.press("F")
        await settle(pilot)
    store = await Store.open(small_shop.path)
    try:
        assert await store.waiting_refreshes() == []
    finally:
        await store.close()
