"""Live refresh: another process's commit shows up, and the cursor stays on its order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sync.domain import PaymentStatus
from sync.store import QueueLine, Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, visible_lines
from tests.tui.seed import NOW, T0, order
from tui.screens.orders import OrdersScreen


async def _daemon_writes(shop: Shop) -> int:
    """A new order arrives and #1004 is refunded, committed by another connection."""
    store = await Store.open(shop.path)
    try:
        refunded = order(
            4,
            payment_status=PaymentStatus.REFUNDED,
            customer_name="Bob Chen",
            updated_at=NOW,
            raw={"n": 4, "rev": 1},
        )
        new = order(11, customer_name="New Buyer", created_at=NOW - timedelta(minutes=2))
        await store.save_order_page("shop", "shopify", [refunded, new], "c2", NOW)
        saved = await store.order_by_number(new.number)
    finally:
        await store.close()
    assert saved is not None
    return saved.id


async def test_a_write_elsewhere_appears_without_moving_the_cursor(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        orders = screen.order_list
        assert orders.select_id(small_shop.ids["#1004"])
        assert (orders.cursor_index, orders.row_count) == (3, 9)
        asked: list[int] = []
        fetch = orders._fetch

        async def counting(ids: Sequence[int]) -> list[QueueLine]:
            asked.extend(ids)
            return await fetch(ids)

        orders._fetch = counting
        new_id = await _daemon_writes(small_shop)
        await settle(pilot, pause=0.3)
        assert orders.row_count == 10
        assert orders.cursor_id == small_shop.ids["#1004"]
        assert orders.cursor_index == 4
        assert "Queue · 10 open orders" in static_text(app, "#view-title")
        lines = visible_lines(orders)
        assert lines[0].split()[:4] == ["#1011", "2m", "New", "Buyer"]
        assert lines[4].split()[:5] == ["#1004", "8h", "Bob", "Chen", "refunded·unfulfilled"]
        # Only the two orders that changed were read again.
        assert sorted(asked) == sorted([new_id, small_shop.ids["#1004"]])


async def test_a_hidden_view_catches_up_when_shown(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await _daemon_writes(small_shop)
        await settle(pilot, pause=0.3)
        await pilot.press("1")
        await settle(pilot)
        assert app.screen.order_list.row_count == 10


async def test_the_clock_moving_redraws_ages(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        orders = app.screen.order_list
        assert visible_lines(orders)[0].split()[1:3] == [
            "#1001",
            "6h",
        ]  # #1001, created 37 minutes before T0
        app.clock.set(T0 + timedelta(days=3))  # type: ignore[attr-defined]
        await app.feed.check_minute()  # type: ignore[union-attr]
        await settle(pilot)
        assert visible_lines(orders)[0].split()[1:3] == ["#1001", "3d"]


async def test_the_cursor_keeps_its_line_on_screen(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 8)) as pilot:  # five lines of orders
        await settle(pilot)
        orders = app.screen.order_list
        assert orders.select_id(small_shop.ids["#1008"])
        screen_row = orders.cursor_index - orders.scroll_offset.y
        assert orders.scroll_offset.y > 0
        await _daemon_writes(small_shop)
        await settle(pilot, pause=0.3)
        assert orders.cursor_id == small_shop.ids["#1008"]
        assert orders.cursor_index - orders.scroll_offset.y == screen_row
