"""ctrl+f: a global find by phone, name, number or tracking across all 200,000 orders."""

from __future__ import annotations

import pytest

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, toasts
from tests.tui.seed import LONE_NAME, SHARED_LAST_FOUR
from tui.screens.detail import DetailScreen
from tui.screens.orders import OrdersScreen


async def _find_opens_1007(shop: Shop, make_app: MakeApp, text: str) -> None:
    app = make_app(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *text, "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.order_id == shop.ids["#1007"]
        assert "Order #1007" in static_text(app, "#view-title")


@pytest.mark.parametrize("text", ["9753", LONE_NAME])
async def test_phone_or_name_among_200k_opens_the_order(
    big_shop: Shop, make_app: MakeApp, text: str
) -> None:
    await _find_opens_1007(big_shop, make_app, text)


@pytest.mark.parametrize("text", ["#1007", "1007", "buyer7@example.com", "15024689753"])
async def test_number_email_or_whole_phone_opens_the_order(
    small_shop: Shop, make_app: MakeApp, text: str
) -> None:
    await _find_opens_1007(small_shop, make_app, text)


async def test_several_matches_become_the_list(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *SHARED_LAST_FOUR, "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        found = {big_shop.ids["#1004"], big_shop.ids["#1005"]}
        assert set(screen.order_list._ids) == found
        assert f"Find “{SHARED_LAST_FOUR}” · 2 found" in static_text(app, "#view-title")
        await pilot.press("escape")
        await settle(pilot)
        assert screen.order_list.row_count == 200_010
        assert screen.found is None


async def test_no_match_says_so(big_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"zzqx", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        assert any("No order matches “zzqx”" in toast for toast in toasts(seen))


async def test_escape_backs_out_of_find(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", "1", "escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        assert app.screen.found is None
