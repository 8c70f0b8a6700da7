"""Every look-up an agent makes is noted with the order's stage at that moment."""

from __future__ import annotations

from datetime import timedelta

from sync.store import Store
from sync.store.lookups import Lookup
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle
from tests.tui.seed import NOW, SHARED_LAST_FOUR
from tui.screens.detail import DetailScreen


async def _noted(shop: Shop) -> list[Lookup]:
    store = await Store.open(shop.path)
    try:
        return await store.lookups(NOW - timedelta(days=1), NOW + timedelta(days=1))
    finally:
        await store.close()


async def test_a_find_that_lands_on_one_order_is_noted_once(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"ZTO300000003", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
    assert [(n.at, n.kind, n.stage) for n in await _noted(small_shop)] == [
        (NOW, "find", "exception")
    ]


async def test_a_find_with_several_matches_has_no_stage(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *SHARED_LAST_FOUR, "enter")
        await settle(pilot)
    assert [(n.kind, n.stage) for n in await _noted(small_shop)] == [("find", "")]


async def test_opening_orders_from_the_lists_is_noted(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the queue's first order
        await settle(pilot)
        await pilot.press("escape", "2")
        await settle(pilot)
        await pilot.press("enter")  # the escalation list's first order
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
    noted = await _noted(small_shop)
    assert [n.kind for n in noted] == ["open", "open"]
    assert all(n.stage for n in noted)
    assert noted[1].stage == "unfulfilled"  # #1001, the most urgent escalation
