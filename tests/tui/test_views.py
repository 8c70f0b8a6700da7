"""The views and the list keys: 1–5, role views from the config, filters with tokens, marks,
sorting, export, and q quitting only from a list."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from sync.store.views import View
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows, static_text, visible_lines
from tests.tui.seed import SHARED_LAST_FOUR
from tui.config import ConsoleConfig, RoleView
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.orders import OrdersScreen
from tui.screens.pickers import ChoiceScreen


def numbers(lines: list[str]) -> list[str]:
    return [
        line.split()[1] if line.split()[0] in "*!✓" else line.split()[0]
        for line in lines
        if line.strip() and "#" in line
    ]


async def test_number_keys_switch_views(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = []
        for key in ("2", "3", "4", "5", "5", "5", "1"):
            await pilot.press(key)
            await settle(pilot)
            titles.append(static_text(app, "#view-title").split(" · ")[0])
        assert titles == [
            "Escalations",
            "Mine",
            "Snoozed",
            "Ship today",
            "Support",
            "Ship today",
            "Queue",
        ]


async def test_ship_today_groups_by_warehouse_stage(small_shop: Shop, make_app: MakeApp) -> None:
    raw = sqlite3.connect(small_shop.path)
    with raw:
        raw.execute(
            "UPDATE orders SET picked_at = '2026-11-20T10:00:00Z', change_seq = change_seq + 1 "
            "WHERE id = ?",
            (small_shop.ids["#1006"],),
        )
    raw.close()
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        lines = visible_lines(app.screen.order_list)  # type: ignore[attr-defined]
    assert lines[0].startswith("── waiting · 1 ")
    assert "#1001" in lines[1]
    assert lines[2].startswith("── picked · 1 ")
    assert "#1006" in lines[3]


async def test_role_views_come_from_the_config(small_shop: Shop, make_app: MakeApp) -> None:
    views = (RoleView("cancelled", "Cancelled", "lifecycle:cancelled", orders=View.ALL),)
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=0, views=views))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        assert static_text(app, "#view-title").startswith("Cancelled · 1 order")
        assert numbers(visible_lines(screen.order_list)) == ["#1005"]


async def test_tokens_filter_and_a_bad_one_is_explained(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"carrier:sf !status:delivered")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        assert numbers(visible_lines(screen.order_list)) == ["#1002"]
        await pilot.press(*" age:soon")
        await settle(pilot)
        assert "age: “soon” is not a span" in static_text(app, "#filter-problem")
        assert numbers(visible_lines(screen.order_list)) == ["#1002"]


async def test_the_escalation_list_filters_by_the_orders(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *"carrier:zto")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        assert [row.order_number for row in screen.rows.values()] == ["#1003"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(screen.rows) == 3


async def test_marks_all_clear_and_escape(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        listed = screen.order_list
        await pilot.press("space")
        assert listed.cursor_index == 1
        assert visible_lines(listed)[0].startswith("*!")
        await pilot.press("M")
        assert len(listed.marks) == 9
        await pilot.press("U")
        assert not listed.marks
        await pilot.press("space", "escape")
        assert not listed.marks


async def test_o_picks_the_sort_and_capital_o_reverses(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        await pilot.press("o")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"customer", "enter")
        await settle(pilot)
        first = numbers(visible_lines(screen.order_list))
        assert first[:2] == ["#1002", "#1004"]  # Alice Martin, Bob Chen
        assert "by customer" in static_text(app, "#view-title")
        await pilot.press("O")
        await settle(pilot)
        assert numbers(visible_lines(screen.order_list)) == first[::-1]


async def test_capital_e_exports_the_view(
    small_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    config = ConsoleConfig(undo_seconds=0, export_dir=tmp_path)
    app = make_app(small_shop, config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"carrier:sf", "enter", "E")
        await settle(pilot)
        await pilot.press("2", "E")
        await settle(pilot)
    names = sorted(p.name for p in tmp_path.glob("orderwatch-*.csv"))
    assert names == [
        "orderwatch-escalations-20261120-2200.csv",
        "orderwatch-queue-20261120-2200.csv",
    ]
    with (tmp_path / names[1]).open(encoding="utf-8-sig") as handle:
        queue = list(csv.reader(handle))
    assert queue[:3] == [["# view", "Queue"], ["# filter", "carrier:sf"], ["# sort", "age"]]
    assert queue[3][0] == "# exported"
    assert queue[3][1].endswith(f"by {app.desk.agent if app.desk else ''}")
    queue = queue[4:]
    assert queue[0][:2] == ["order", "placed (Asia/Shanghai (UTC+08:00))"]
    assert [row[0] for row in queue[1:]] == ["#1002", "#1004"]
    with (tmp_path / names[0]).open(encoding="utf-8-sig") as handle:
        escalations = list(csv.reader(handle))
    assert escalations[:2] == [["# view", "Escalations"], ["# sort", "urgency"]]
    assert len(escalations) == 3 + 4  # what was shown, the header and three escalations


async def test_an_export_of_find_matches_names_the_find(
    small_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=0, export_dir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *SHARED_LAST_FOUR, "enter")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
    (path,) = tmp_path.glob("orderwatch-all-orders-*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[:2] == [["# view", "All orders"], ["# find", SHARED_LAST_FOUR]]
    assert sorted(row[0] for row in rows if row[0].startswith("#10")) == ["#1004", "#1005"]


async def test_q_goes_back_from_the_detail_and_quits_from_a_list(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
