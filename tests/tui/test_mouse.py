"""Everything the keys do works with a mouse too: rows, the footer, pickers."""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.orders import OrdersScreen
from tui.screens.pickers import ChoiceScreen


async def test_a_click_moves_the_cursor_and_a_double_click_opens(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        await pilot.click("#orders", offset=(10, 2))
        assert screen.order_list.cursor_index == 2
        await pilot.click("#orders", offset=(10, 3), times=2)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.order_id == small_shop.ids["#1004"]


async def test_footer_keys_are_buttons(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        (filter_key,) = [k for k in screen.query(FooterKey) if k.description == "Filter"]
        await pilot.click(filter_key)
        await pilot.pause()
        assert screen.filter_bar.display


async def test_a_picker_choice_can_be_clicked(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        await pilot.click("#escalations", offset=(10, 2))  # the second row, #1003
        assert screen.selected().order_number == "#1003"  # type: ignore[union-attr]
        await pilot.press("x")
        await shows(pilot, ChoiceScreen)
        await pilot.click(OptionList, offset=(4, 2))  # the second reason, under the border
        await settle(pilot)
    store = await Store.open(small_shop.path)
    (resolved,) = await store.escalations_for_order(small_shop.ids["#1003"])
    await store.close()
    assert resolved.resolution == "stock_shortage"
