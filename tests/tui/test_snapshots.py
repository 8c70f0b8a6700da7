"""Every screen at 80x24, on the small shop, the clock frozen at 22:00 in Shanghai.

Update after a deliberate change of look with ``pytest tests/tui --snapshot-update`` and review
the SVGs in the diff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen

from sync.guards import Check, Finding, Outcome
from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows
from tests.tui.seed import NOW, SHARED_LAST_FOUR, seed_small
from tui.app import OrderwatchApp
from tui.commands import CommandLine
from tui.config import ConsoleConfig
from tui.screens.pickers import ChoiceScreen, ConfirmScreen

SIZE = (80, 24)
Snap = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    path = tmp_path / "orderwatch.db"
    return Shop(path, asyncio.run(seed_small(path)))


@pytest.fixture
def shop_app(shop: Shop, make_app: MakeApp) -> OrderwatchApp:
    return make_app(shop, agent="ana", poll_seconds=3600)


class Typed(str):
    """Text typed in one go (settled once, not after every character)."""


def keys(*pressed: str, then: type[Screen[object]] | None = None) -> RunBefore:
    """Press keys, settling after each; with ``then``, the last one opens that screen."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed[:-1] if then else pressed:
            await pilot.press(*key) if isinstance(key, Typed) else await pilot.press(key)
            await settle(pilot)
        if then is not None:
            await pilot.press(pressed[-1])
            await shows(pilot, then)

    return run_before


def test_queue(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j"))


def test_queue_with_marks(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("space", "j", "space"))


def test_all_orders(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("colon", Typed("view all"), "enter")
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_filter(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("slash", "王"))


def test_filter_with_a_problem(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("slash", Typed("status:exeption carrier:zto"))
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_escalations(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("2", "j"))


def test_mine(snap_compare: Snap, shop: Shop, make_app: MakeApp) -> None:
    app = make_app(shop, agent="alice", poll_seconds=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("3"))


def test_snoozed(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("2", "colon", Typed("snooze 90m"), "enter", "4")
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_ship_today(snap_compare: Snap, shop: Shop, make_app: MakeApp) -> None:
    async def picked() -> None:
        store = await Store.open(shop.path)
        await store.set_stage_times(shop.ids["#1006"], {"picked_at": NOW}, NOW)
        await store.close()

    asyncio.run(picked())
    app = make_app(shop, agent="ana", poll_seconds=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("5"))


def test_support(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("5", "5"))


def test_rules_rejected_and_paused(snap_compare: Snap, shop: Shop, make_app: MakeApp) -> None:
    async def rejected() -> None:
        store = await Store.open(shop.path)
        problem = "rules.toml:12: rule.paid_not_shipped.after: '4 hourz' is not a duration"
        await store.set_state({"rules.version": "9c1e", "rules.error": problem}, NOW)
        await store.close()

    asyncio.run(rejected())
    app = make_app(shop, agent="ana", poll_seconds=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("p"))


def test_waiting_action(snap_compare: Snap, shop: Shop, make_app: MakeApp) -> None:
    app = make_app(shop, agent="ana", poll_seconds=3600, config=ConsoleConfig(undo_seconds=600))
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("2", "a"))


def test_detail_with_parcel_and_timeline(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j", "enter"))


def test_detail_with_guard_flags(snap_compare: Snap, shop: Shop, make_app: MakeApp) -> None:
    asyncio.run(_flag_every_order(shop))
    app = make_app(shop, agent="ana", poll_seconds=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("j", "enter"))


async def _flag_every_order(shop: Shop) -> None:
    merge = Finding(Check.MERGE_SUGGESTED, "same customer, not shipped yet: #1003", NOW)
    address = Finding(Check.ADDRESS_PROBLEM, "no postcode", NOW)
    store = await Store.open(shop.path)
    try:
        ids = list(shop.ids.values())
        outcome = Outcome(findings={order_id: (merge, address) for order_id in ids})
        await store.save_guard_outcome(ids, {}, outcome, NOW)
        await store.dismiss_guard(ids[1], "address_problem", "ana", NOW)
    finally:
        await store.close()


def test_detail_with_escalation(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j", "j", "enter"))


def test_detail_notes_and_reply(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys(
        "enter",
        "colon",
        Typed("note Customer called, promised a call back"),
        "enter",
        Typed("j" * 10),
    )
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_find_prompt(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("ctrl+f", Typed(SHARED_LAST_FOUR))
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_found_list(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("ctrl+f", Typed(SHARED_LAST_FOUR), "enter")
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("question_mark"))


def test_help_in_the_detail(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("enter", "question_mark"))


def test_assign_picker(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("2", "T", then=ChoiceScreen)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_snooze_picker(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("2", "s", then=ChoiceScreen)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_resolve_picker(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("2", "x", then=ChoiceScreen)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_resolve_several_asks(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await keys("2", "M", "x", then=ChoiceScreen)(pilot)
        await pilot.press(*"stock", "enter")
        await shows(pilot, ConfirmScreen)

    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_note_prompt(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("c", then=ChoiceScreen)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_sort_picker(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("o", then=ChoiceScreen)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_command_line(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("colon", then=CommandLine)

    async def typed(pilot: Pilot[None]) -> None:
        await run_before(pilot)
        await pilot.press(*"assi")
        await pilot.pause()

    assert snap_compare(shop_app, terminal_size=SIZE, run_before=typed)


def test_palette(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await keys("ctrl+p", then=CommandPalette)(pilot)
        await pilot.press(*"resolve")
        found = pilot.app.screen.query_one(CommandList)
        for _ in range(200):
            await pilot.pause(0.02)
            if found.option_count == 1 and not found.has_class("--populating"):
                break
        await pilot.pause(0.2)

    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)
