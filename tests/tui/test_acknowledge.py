"""``a`` acknowledges as the OS login; a lost race names who got there first."""

from __future__ import annotations

import os
import pwd
from datetime import timedelta

from sync.domain import EscalationRow
from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import flat, settle, static_text, toasts
from tests.tui.seed import NOW
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen

LOGIN = pwd.getpwuid(os.getuid()).pw_name


async def _escalation(shop: Shop, number: str) -> EscalationRow:
    store = await Store.open(shop.path)
    try:
        (escalation,) = await store.escalations_for_order(shop.ids[number])
    finally:
        await store.close()
    return escalation


async def _ack_elsewhere(shop: Shop, number: str, agent: str) -> None:
    """Another agent's console acknowledges first."""
    escalation = await _escalation(shop, number)
    store = await Store.open(shop.path, durable=True)
    try:
        await store.acknowledge(escalation.id, escalation.version, agent, NOW)
    finally:
        await store.close()


async def test_a_acknowledges_the_selected_escalation(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        selected = screen.selected()
        assert selected is not None
        assert selected.order_number == "#1001"
        await pilot.press("a")
        await settle(pilot, pause=0.2)
        # The row moved below the firing ones; the cursor went with it.
        after = screen.selected()
        assert after is not None
        assert (after.id, after.state, after.acked_by) == (selected.id, "acknowledged", LOGIN)
        assert screen.table.cursor_row == 1
        assert "3 open · 1 firing" in static_text(app, "#view-title")
    escalation = await _escalation(small_shop, "#1001")
    assert escalation.state == "acknowledged"
    assert escalation.acked_by == LOGIN
    assert f"Acknowledged: #1001 paid_not_shipped acknowledged by {LOGIN}" in toasts(seen)


async def test_a_lost_race_names_who_won(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop, poll_seconds=3600)  # the console has not noticed yet
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await _ack_elsewhere(small_shop, "#1001", "bob")
        await pilot.press("a")
        await settle(pilot)
    assert "Not acknowledged: #1001 paid_not_shipped: bob got there first (acknowledged)" in (
        toasts(seen)
    )
    assert (await _escalation(small_shop, "#1001")).acked_by == "bob"


async def test_an_escalation_already_taken_says_by_whom(
    small_shop: Shop, make_app: MakeApp
) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await _ack_elsewhere(small_shop, "#1001", "bob")
        await settle(pilot, pause=0.3)  # the live refresh shows bob's acknowledgement
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        assert screen.selected().acked_by == "bob"  # type: ignore[union-attr]
        await pilot.press("a")
        await settle(pilot)
    assert ": #1001 paid_not_shipped is already acknowledged (by bob)" in toasts(seen)


async def test_a_in_detail_acknowledges_the_orders_escalation(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.order_list.select_id(small_shop.ids["#1003"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("a")
        await settle(pilot)
        assert f"acked by {LOGIN} at 11-20 22:00" in flat(static_text(app, "#escalations"))
        timeline = flat(static_text(app, "#timeline"))
        assert f"22:00 {LOGIN} acknowledged escalation parcel_exception" in timeline
    escalation = await _escalation(small_shop, "#1003")
    assert escalation.acked_by == LOGIN
    assert escalation.acked_at == NOW
    assert escalation.deadline_at == NOW + timedelta(minutes=65)
