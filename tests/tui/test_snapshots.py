"""Every screen at 80x24, on the small shop, the clock frozen at 22:00 in Shanghai.

Update after a deliberate change of look with ``pytest tests/tui --snapshot-update`` and review
the SVGs in the diff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle
from tests.tui.seed import SHARED_LAST_FOUR, seed_small
from tui.app import OrderwatchApp

SIZE = (80, 24)
Snap = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def shop_app(tmp_path: Path, make_app: MakeApp) -> OrderwatchApp:
    path = tmp_path / "orderwatch.db"
    shop = Shop(path, asyncio.run(seed_small(path)))
    return make_app(shop, agent="ana", poll_seconds=3600)


def keys(*pressed: str) -> RunBefore:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_queue(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j"))


def test_all_orders(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("3"))


def test_filter(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("slash", "王"))


def test_escalations(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("2", "j"))


def test_detail_with_parcel_and_timeline(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j", "enter"))


def test_detail_with_escalation(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("j", "j", "enter"))


def test_find_prompt(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("ctrl+f", *SHARED_LAST_FOUR)
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_found_list(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    run_before = keys("ctrl+f", *SHARED_LAST_FOUR, "enter")
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Snap, shop_app: OrderwatchApp) -> None:
    assert snap_compare(shop_app, terminal_size=SIZE, run_before=keys("question_mark"))
