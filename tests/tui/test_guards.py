"""Guard flags on the order detail, and dismissing one with d."""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot

from sync.guards import Check, Finding, Outcome
from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import flat, settle, shows, static_text, visible_lines
from tests.tui.seed import NOW
from tui.app import OrderwatchApp
from tui.screens.detail import DetailScreen
from tui.screens.orders import OrdersScreen
from tui.screens.pickers import ChoiceScreen


async def _flag(shop: Shop, number: str, *findings: Finding) -> int:
    store = await Store.open(shop.path)
    try:
        order_id = shop.ids[number]
        outcome = Outcome(findings={order_id: findings})
        await store.save_guard_outcome([order_id], {}, outcome, NOW - timedelta(hours=1))
        return order_id
    finally:
        await store.close()


async def _open(app: OrderwatchApp, pilot: Pilot[None], order_id: int) -> None:
    await settle(pilot)
    assert isinstance(app.screen, OrdersScreen)
    assert app.screen.order_list.select_id(order_id)
    await pilot.press("enter")
    await settle(pilot)


MERGE = Finding(Check.MERGE_SUGGESTED, "same customer, not shipped yet: #1003", NOW)
ADDRESS = Finding(Check.ADDRESS_PROBLEM, "no postcode", NOW)


async def test_the_detail_shows_each_flag_that_is_up(small_shop: Shop, make_app: MakeApp) -> None:
    order_id = await _flag(small_shop, "#1002", MERGE, ADDRESS)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, order_id)
        assert isinstance(app.screen, DetailScreen)
        text = static_text(app, "#guards")
    assert "⚑ pack together: same customer, not shipped yet: #1003" in text
    assert "⚑ address problem: no postcode" in text


async def test_an_order_without_flags_shows_no_guards_section(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, small_shop.ids["#1002"])
        assert not app.screen.query_one("#guards").display


async def test_d_dismisses_the_flag_picked(small_shop: Shop, make_app: MakeApp) -> None:
    order_id = await _flag(small_shop, "#1002", MERGE, ADDRESS)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, order_id)
        await pilot.press("d")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"pack", "enter")
        await settle(pilot)
        for _ in range(100):
            if "dismissed by" in static_text(app, "#guards"):
                break
            await pilot.pause(0.02)
        text = static_text(app, "#guards")
    assert f"#1003 dismissed by {app.desk.agent}" in flat(text)
    store = await Store.open(small_shop.path)
    try:
        flags = {flag.check: flag for flag in await store.guard_flags(order_id)}
    finally:
        await store.close()
    assert flags["merge_suggested"].dismissed_by == app.desk.agent
    assert flags["address_problem"].active


async def test_d_without_flags_says_so(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, small_shop.ids["#1002"])
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceScreen)
        assert any("No guard flag" in str(n.message) for n in app._notifications)


async def test_the_order_list_marks_an_order_with_a_flag_up(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await _flag(small_shop, "#1002", MERGE)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        lines = visible_lines(app.screen.order_list)
    flagged = [line for line in lines if "#1002" in line]
    others = [line for line in lines if "#1003" in line]
    assert flagged and flagged[0].startswith("⚑")
    assert others and not others[0].startswith("⚑")
