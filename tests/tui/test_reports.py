"""The Reports screen: the report's figures for a period, heatmaps in cells, stepping, export."""

from __future__ import annotations

import asyncio
import csv
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from sync.desk import SHOP_ZONE_KEY
from sync.rollout import ROLLOUTS_KEY, rollouts_to_json
from sync.store import LookupKind, Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import flat, settle, static_text
from tests.tui.seed import NOW, T0, seed_small
from tests.tui.test_help import listed
from tui.config import ConsoleConfig
from tui.keys import KEYS, Key, Scope, in_scope
from tui.screens import reports as reports_screen
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen
from tui.screens.reports import ReportsScreen


async def resolve_some(shop: Shop) -> None:
    """Resolve two of the small shop's escalations with a reason: #1001's as customs, #1006's
    as stock shortage. Both opened on Friday at 13:00 UTC, 21:00 in Shanghai."""
    store = await Store.open(shop.path)
    try:
        for number, reason in (("#1001", "customs"), ("#1006", "stock_shortage")):
            for escalation in await store.escalations_for_order(shop.ids[number]):
                await store.resolve(
                    escalation.id, escalation.version, "alice", reason, "", NOW - timedelta(hours=1)
                )
        await store.set_state({SHOP_ZONE_KEY: "Asia/Shanghai"}, T0)
    finally:
        await store.close()


def section(app: object, key: str) -> str:
    return static_text(app, f"#report-{key}")  # type: ignore[arg-type]


async def test_six_opens_the_week_so_far(small_shop: Shop, make_app: MakeApp) -> None:
    await resolve_some(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        title = static_text(app, "#view-title")
        assert title == "Reports · weekly 2026-11-16 – 11-22 (so far) · Asia/Shanghai"
        orders = flat(section(app, "orders"))
        assert "cancelled online 1" in orders  # #1005
        assert "fulfilled online 3" in orders  # #1002, #1003, #1004
        breaches = flat(section(app, "breaches"))
        assert "paid_not_shipped 2 2" in breaches
        assert "parcel_exception 1 0" in breaches


async def test_the_heatmaps_are_shaded_cells_with_a_legend(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await resolve_some(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        reasons = section(app, "reasons").splitlines()
        assert reasons[1].split() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "all"]
        customs = next(line for line in reasons if line.startswith("customs"))
        assert customs.split()[1:] == ["·", "·", "·", "·", "███", "·", "·", "1"]
        assert reasons[-1].startswith("shades: · 0")
        hours = section(app, "hours").splitlines()
        friday = next(line for line in hours if line.startswith("Fri"))
        cells = [friday[5 + 2 * hour] for hour in range(24)]
        assert [hour for hour, cell in enumerate(cells) if cell != "·"] == [21]
        assert cells[21] == "█"
        assert hours[1].startswith("     00    03    06")


async def test_brackets_step_and_letters_choose_the_length(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "weekly 2026-11-09 – 11-15 ·" in static_text(app, "#view-title")
        assert "nothing in this period" in section(app, "orders")
        await pilot.press("d")
        await settle(pilot)
        assert "daily 2026-11-20 (so far)" in static_text(app, "#view-title")
        await pilot.press("right")
        await settle(pilot)
        assert "daily 2026-11-21 ·" in static_text(app, "#view-title")
        await pilot.press("m")
        await settle(pilot)
        assert "monthly 2026-11-01 – 11-30 (so far)" in static_text(app, "#view-title")


async def test_rules_on_trial_and_lookups_are_shown(small_shop: Shop, make_app: MakeApp) -> None:
    store = await Store.open(small_shop.path)
    try:
        await store.set_state(
            {ROLLOUTS_KEY: rollouts_to_json({"paid_not_shipped": Decimal(50)})}, T0
        )
    finally:
        await store.close()
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"#1007", "enter")
        await settle(pilot)
        await pilot.press("escape", "6")
        await settle(pilot)
        trials = [line.split() for line in section(app, "trials").splitlines()[2:]]
        assert [row[:4] for row in trials] == [
            ["paid_not_shipped", "50%", "trial", trials[0][3]],
            ["paid_not_shipped", "50%", "rest", trials[1][3]],
        ]
        assert int(trials[0][3]) + int(trials[1][3]) == 10  # the week's orders, split
        lookups = section(app, "lookups").splitlines()
        assert lookups[2].split() == ["unfulfilled", "·", "·", "·", "·", "███", "·", "·", "1"]


async def test_capital_r_reads_the_figures_again(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert "no look-ups in this period" in section(app, "lookups")
        store = await Store.open(small_shop.path)  # another agent's console
        try:
            await store.record_lookup("bo", LookupKind.FIND, small_shop.ids["#1003"], NOW)
        finally:
            await store.close()
        await pilot.press("R")
        await settle(pilot)
        row = section(app, "lookups").splitlines()[2].split()
        assert row == ["exception", "·", "·", "·", "·", "███", "·", "·", "1"]


async def test_the_screen_opens_before_the_figures_are_read(
    small_shop: Shop, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    reading = reports_screen.read_report

    async def held(*args: Any) -> dict[str, Any]:
        gate.wait(10)  # in the screen's own thread: the keys must keep working meanwhile
        return await reading(*args)

    monkeypatch.setattr(reports_screen, "read_report", held)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await pilot.pause()
        assert isinstance(app.screen, ReportsScreen)
        assert static_text(app, "#view-title").endswith("(so far) · reading…")
        await pilot.press("d")  # a second read, while the first is still held
        await pilot.pause()
        assert "daily 2026-11-20 (so far) · reading…" in static_text(app, "#view-title")
        gate.set()
        await settle(pilot)
        # No zone published by a daemon here: the agent's own.
        assert static_text(app, "#view-title") == (
            "Reports · daily 2026-11-20 (so far) · Asia/Shanghai"
        )


async def test_help_lists_the_reports_keys_and_six_everywhere(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert listed(key_of("view.reports"), static_text(app, "#help-keys").splitlines())
        await pilot.press("escape", "6")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = static_text(app, "#help-keys").splitlines()
        assert all(listed(key, lines) for key in in_scope(Scope.REPORTS))
        assert not any(listed(key, lines) for key in in_scope(Scope.VERBS))


def key_of(id: str) -> Key:
    return next(key for key in KEYS if key.id == id)


async def test_escape_goes_back_to_the_queue(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)


async def test_capital_e_exports_the_report_with_its_period(
    small_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    await resolve_some(small_shop)
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=0, export_dir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
    (path,) = tmp_path.glob("orderwatch-report-weekly-2026-11-16-*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[:3] == [
        ["# view", "Reports"],
        ["# period", "weekly 2026-11-16 .. 2026-11-22"],
        ["# time zone", "Asia/Shanghai"],
    ]
    assert rows[3][0] == "# exported"
    assert rows[4] == ["section", "group", "item", "metric", "value"]
    assert ["breaches", "paid_not_shipped", "", "escalations", "2"] in rows


@pytest.fixture
def resolved_shop(tmp_path: Path) -> Shop:
    path = tmp_path / "orderwatch.db"
    shop = Shop(path, asyncio.run(seed_small(path)))
    asyncio.run(resolve_some(shop))
    return shop


def _opened(*then: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        for key in then:
            await pilot.press(key)
        await settle(pilot)

    return run_before


def test_snapshot_reports(
    snap_compare: Callable[..., bool], resolved_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(resolved_shop, agent="ana", poll_seconds=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_opened())


def test_snapshot_reports_heatmaps(
    snap_compare: Callable[..., bool], resolved_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(resolved_shop, agent="ana", poll_seconds=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_opened(*"jjjjjjjjjjjj"))
