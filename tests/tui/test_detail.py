"""Order detail: summary, parcels, the merged timeline in the agent's zone, and back again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.link_key import load_key
from sync.links import verify
from sync.store import Store
from sync.store.tracking_page import LinkSettings
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text
from tui.screens.detail import DetailScreen
from tui.screens.orders import OrdersScreen


async def test_enter_opens_the_order_with_its_timeline(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.order_list.select_id(small_shop.ids["#1002"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        summary = static_text(app, "#summary")
        parcels = static_text(app, "#parcels")
        timeline = static_text(app, "#timeline")
    assert "Alice Martin" in summary
    assert "1× Teapot  2× Cups" in summary
    assert "SF1400000002  in transit" in parcels
    assert "times in Asia/Shanghai (UTC+08:00)" in timeline
    # Events and courier checkpoints in one time order, in Shanghai time (UTC+8).
    order = [
        "order #1002 created",
        "Picked up by courier",
        "shipped SF1400000002",
        "Arrived at sorting hub",
    ]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    assert "2026-11-20 15:00  SF       Shenzhen · Picked up by courier" in timeline
    # A scan without a zone keeps the provider's own time, flagged, after the others.
    assert timeline.rstrip().endswith(
        "2026-11-20 09:00  SF       Hangzhou · Departed hub (as given, no zone)"
    )


async def test_escalations_of_the_order_are_listed(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.order_list.select_id(small_shop.ids["#1001"])
        await pilot.press("l")
        await settle(pilot)
        text = static_text(app, "#escalations")
    assert "! firing" in text
    assert "paid_not_shipped" in text
    assert "(-2h00m)" in text


async def test_escape_goes_back_to_the_same_order(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        orders = app.screen.order_list
        await pilot.press("j", "j", "j")
        picked = orders.cursor_id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.order_id == picked
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        assert orders.cursor_id == picked
        assert orders.cursor_index == 3


async def test_s_copies_a_signed_tracking_link_for_the_customer(
    small_shop: Shop, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "k" * 40
    monkeypatch.setenv("SHOP_LINK_KEY", key)
    store = await Store.open(small_shop.path)
    await store.publish_link_settings(
        LinkSettings("https://track.example.com", "SHOP_LINK_KEY"), datetime.now(UTC)
    )
    await store.close()
    app = make_app(small_shop)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.order_list.select_id(small_shop.ids["#1002"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
    (url,) = copied
    assert url.startswith("https://track.example.com/")
    token = url.rstrip("/").rsplit("/", 1)[-1].split("=")[-1]
    verdict = verify(
        load_key(env_name="SHOP_LINK_KEY", path=small_shop.path), token, datetime.now(UTC)
    )
    assert verdict.order_id == small_shop.ids["#1002"]


async def test_s_without_a_published_address_says_why(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert copied == []
    assert any("no public address" in m for m in messages)
