"""The order list over 200,000 orders: first paint, moving, filtering."""

from __future__ import annotations

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, visible_lines
from tests.tui.seed import LONE_NAME
from tui.screens.orders import OrdersScreen

OPEN_ORDERS = 180_009
"""Bulk orders are closed one in ten; the small shop on top has one cancelled order."""


async def test_first_paint_shows_rows_and_the_count(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        lines = visible_lines(screen.order_list)
        assert screen.order_list.row_count == OPEN_ORDERS
        assert "Queue · 180,009 open orders" in static_text(app, "#view-title")
        assert lines[0].split()[0] == "#200001"
        assert all("…" not in line[:12] for line in lines)
        # Only the page on screen was read, not the view.
        assert len(screen.order_list._cache) <= screen.order_list.page_size


async def test_keys_move_the_cursor(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        orders = app.screen.order_list
        await pilot.press("j", "j", "down", "k")
        assert orders.cursor_index == 2
        await pilot.press("G")
        await settle(pilot)
        assert orders.cursor_index == OPEN_ORDERS - 1
        assert visible_lines(orders)[-1].split()[0] == "#399999"  # the oldest open order
        await pilot.press("g", "pagedown")
        assert orders.cursor_index == orders.scrollable_content_region.height - 1
        await pilot.press("pageup", "end", "home")
        assert orders.cursor_index == 0


async def test_filter_narrows_and_escape_clears(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        orders = app.screen.order_list
        await pilot.press("slash", *"王芳")
        await settle(pilot)
        assert 0 < orders.row_count < OPEN_ORDERS
        assert all("王芳" in line for line in visible_lines(orders))
        assert "filter “王芳”" in static_text(app, "#view-title")
        await pilot.press("enter", "j")
        assert orders.has_focus
        picked = orders.cursor_id
        await pilot.press("escape")
        await settle(pilot)
        assert orders.row_count == OPEN_ORDERS
        assert orders.cursor_id == picked
        assert not app.screen.filter_bar.display


async def test_filter_finds_one_order_by_chinese_name(big_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *LONE_NAME)
        await settle(pilot)
        orders = app.screen.order_list
        assert orders.row_count == 1
        assert visible_lines(orders)[0].split()[0] == "#1007"


async def test_filter_stays_inside_the_view(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"1005")  # a cancelled order: not in the queue
        await settle(pilot)
        assert app.screen.order_list.row_count == 0
        await pilot.press("escape", "colon", *"view all", "enter")
        await settle(pilot)
        await pilot.press("slash", *"1005")
        await settle(pilot)
        assert app.current_mode == "all"
        assert app.screen.order_list.row_count == 1
