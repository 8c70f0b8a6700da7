"""Every verb from the keyboard: take, assign, snooze, resolve, note, escalate, reopen, and
acting on marked rows; each checked in the database."""

from __future__ import annotations

import os
import pwd
from datetime import timedelta

from sync.domain import EscalationRow, EventRow
from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows, static_text, toasts
from tests.tui.seed import NOW
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.orders import OrdersScreen
from tui.screens.pickers import ChoiceScreen, ConfirmScreen

LOGIN = pwd.getpwuid(os.getuid()).pw_name


async def escalation(shop: Shop, number: str) -> EscalationRow:
    store = await Store.open(shop.path)
    try:
        (found,) = await store.escalations_for_order(shop.ids[number])
    finally:
        await store.close()
    return found


async def events(shop: Shop, number: str) -> list[EventRow]:
    store = await Store.open(shop.path)
    try:
        return await store.events(shop.ids[number])
    finally:
        await store.close()


async def test_t_takes_the_escalation(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "t")
        await settle(pilot)
        await pilot.press("3")  # Mine
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        assert [row.order_number for row in screen.rows.values()] == ["#1001"]
    taken = await escalation(small_shop, "#1001")
    assert (taken.assignee, taken.state, taken.acked_by) == (LOGIN, "acknowledged", LOGIN)


async def test_capital_t_assigns_to_whom_the_picker_says(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("j", "T")
        await shows(pilot, ChoiceScreen)
        assert isinstance(app.screen, ChoiceScreen)
        assert "alice" in str(app.screen.choices)  # someone seen on an escalation
        await pilot.press(*"bob", "enter")
        await settle(pilot)
    assert (await escalation(small_shop, "#1003")).assignee == "bob"


async def test_s_snoozes_until_the_picked_time(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("s")
        await shows(pilot, ChoiceScreen)
        await pilot.press("down", "enter")  # the second choice: 1 hour
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        assert "#1001" not in [row.order_number for row in screen.rows.values()]
        await pilot.press("4")
        await settle(pilot)
        assert [row.order_number for row in app.screen.rows.values()] == ["#1001"]  # type: ignore[attr-defined]
    assert (await escalation(small_shop, "#1001")).snoozed_until == NOW + timedelta(hours=1)


async def test_a_typed_snooze_that_makes_no_sense_asks_again(
    small_shop: Shop, make_app: MakeApp
) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("s")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"whenever", "enter")
        await pilot.pause(0.1)
        await shows(pilot, ChoiceScreen)
        assert any("is not a snooze" in toast for toast in toasts(seen))
        await pilot.press("escape")
        await settle(pilot)
    assert (await escalation(small_shop, "#1001")).snoozed_until is None


async def test_x_resolves_with_the_picked_reason(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("x")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"packing", "enter")
        await settle(pilot)
    resolved = await escalation(small_shop, "#1001")
    assert (resolved.state, resolved.resolution) == ("resolved", "packing_delay")


async def test_resolving_several_asks_first_and_a_no_keeps_them(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("space", "space", "x")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"stock", "enter")
        await shows(pilot, ConfirmScreen)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Resolve 2 escalations" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert (await escalation(small_shop, "#1001")).state == "firing"
        assert len(app.screen.marks) == 2  # type: ignore[attr-defined]
        await pilot.press("x")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"stock", "enter")
        await shows(pilot, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
    for number in ("#1001", "#1003"):
        assert (await escalation(small_shop, number)).resolution == "stock_shortage"


async def test_the_reason_other_needs_a_note(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("x")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"other", "enter")
        await pilot.pause(0.1)
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"customer moved", "enter")
        await settle(pilot)
    assert (await escalation(small_shop, "#1001")).resolution == "other"
    assert any(
        e.kind == "note" and e.detail == "customer moved" for e in await events(small_shop, "#1001")
    )


async def test_c_adds_a_note_shown_in_the_detail(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("c")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"Called the warehouse", "enter")
        await settle(pilot, pause=0.2)
        assert isinstance(app.screen, DetailScreen)
        assert "Called the warehouse" in static_text(app, "#notes")
    note = [e for e in await events(small_shop, "#1001") if e.kind == "note"]
    assert [(e.actor, e.detail) for e in note] == [(LOGIN, "Called the warehouse")]


async def test_e_escalates_to_the_next_level(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "e")
        await settle(pilot)
    assert (await escalation(small_shop, "#1001")).level == 2


async def test_r_in_the_detail_reopens_a_resolved_escalation(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"customs", "enter")
        await settle(pilot)
        assert (await escalation(small_shop, "#1001")).state == "resolved"
        await pilot.press("r")
        await settle(pilot)
    assert (await escalation(small_shop, "#1001")).state == "firing"


async def test_verbs_on_marked_orders_of_the_queue(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        # #1001 (firing), #1002 (no escalation), #1003 (firing): marked, then taken.
        await pilot.press("space", "space", "space")
        assert len(screen.order_list.marks) == 3
        assert "3 marked" in static_text(app, "#view-title")
        await pilot.press("t")
        await settle(pilot)
        assert not screen.order_list.marks
    assert f"Taken: 2 escalations taken by {LOGIN}" in toasts(seen)
    for number in ("#1001", "#1003"):
        assert (await escalation(small_shop, number)).assignee == LOGIN


async def test_an_order_without_an_escalation_says_so(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("j", "a")
        await settle(pilot)
    assert ": No open escalation: this order has none" in toasts(seen)


async def test_a_lost_take_names_who_won(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop, poll_seconds=3600)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        first = await escalation(small_shop, "#1001")
        store = await Store.open(small_shop.path, durable=True)
        await store.take(first.id, first.version, "bob", NOW)
        await store.close()
        await pilot.press("t")
        await settle(pilot)
    assert "Not taken: #1001 paid_not_shipped: bob got there first (taken)" in toasts(seen)
    assert (await escalation(small_shop, "#1001")).assignee == "bob"


async def test_the_command_line_runs_a_verb_with_its_argument(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "colon", *"snooze 2h", "enter")
        await settle(pilot)
        await pilot.press("colon", *"assign carol", "enter")  # the next row now: #1003
        await settle(pilot)
    assert (await escalation(small_shop, "#1001")).snoozed_until == NOW + timedelta(hours=2)
    assert (await escalation(small_shop, "#1003")).assignee == "carol"
