"""The quarantine view (``I``): export rows set aside, retried or discarded by an agent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from sync.clock import VirtualClock
from sync.connectors.csv_drop import import_path
from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, toasts
from tests.tui.seed import NOW, seed_small
from tui.keys import Scope, in_scope, keys_label
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen
from tui.screens.quarantine import QuarantineScreen

EXPORT = (
    "平台订单号,占库时间,拣货时间,打包时间,出库时间\n"
    "#9999,2026-11-20 10:00:00,2026-11-20 11:00:00,,\n"
    "#1003,2026-11-20 10:00:00,昨天晚上,,\n"
)


async def set_aside(shop: Shop, *, ready_for: str = "") -> None:
    """Import a warehouse export with two rows set aside: line 2 waits for order #9999, line 3
    cannot be read. ``ready_for`` makes the waiting row name that order instead, as if it had
    been kept before its order arrived."""
    path = shop.path.parent / "wms.csv"
    path.write_text(EXPORT, encoding="utf-8")
    store = await Store.open(shop.path)
    await import_path(store, path, "wms", VirtualClock(NOW))
    if ready_for:
        await store.db.conn.execute(
            "UPDATE quarantine SET waiting_for = 'x', stage = json_set(stage, '$.number', ?) "
            "WHERE waiting_for != ''",
            (ready_for,),
        )
    await store.close()


def table_rows(app: object) -> list[str]:
    screen = app.screen  # type: ignore[attr-defined]
    table = screen.query_one("#quarantine", DataTable)
    return [" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def open_quarantine(pilot: object) -> None:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("I")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_the_status_bar_counts_rows_set_aside(small_shop: Shop, make_app: MakeApp) -> None:
    await set_aside(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert "2 set aside · I" in static_text(app, "#status-figures")


async def test_i_lists_the_rows_with_file_line_reason_and_cells(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await set_aside(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(120, 24)) as pilot:
        await open_quarantine(pilot)
        assert isinstance(app.screen, QuarantineScreen)
        rows = table_rows(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
    assert len(rows) == 2
    waiting = next(r for r in rows if "wms.csv:2" in r)
    assert "⌛ no order numbered #9999" in waiting
    assert "number=#9999" in waiting
    unreadable = next(r for r in rows if "wms.csv:3" in r)
    assert "昨天晚上" in unreadable and "wms" in unreadable


async def test_help_lists_the_quarantine_keys(small_shop: Shop, make_app: MakeApp) -> None:
    await set_aside(small_shop)
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_quarantine(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app, "#help-keys")
    for key in in_scope(Scope.QUARANTINE):
        assert keys_label(key).split()[0] in text and key.description in text


async def test_discarding_a_row_removes_it_with_an_audit_line(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await set_aside(small_shop)
    app = make_app(small_shop, agent="li.na")
    messages: list[object] = []
    async with app.run_test(size=(120, 24), message_hook=messages.append) as pilot:
        await open_quarantine(pilot)
        await pilot.press("d")
        await settle(pilot)
        left = table_rows(app)
    assert len(left) == 1
    assert any(t.startswith("Discarded:") for t in toasts(messages))
    store = await Store.open(small_shop.path)
    actors = await store.db.column("SELECT actor FROM events WHERE field = 'discarded'")
    await store.close()
    assert actors == ["li.na"]


async def test_retrying_a_row_whose_order_is_missing_says_so_and_keeps_it(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await set_aside(small_shop)
    app = make_app(small_shop)
    messages: list[object] = []
    async with app.run_test(size=(120, 24), message_hook=messages.append) as pilot:
        await open_quarantine(pilot)
        table = app.screen.query_one("#quarantine", DataTable)
        waiting_at = next(i for i, r in enumerate(table_rows(app)) if "⌛" in r)
        table.move_cursor(row=waiting_at)
        await pilot.press("r")
        await settle(pilot)
        rows = table_rows(app)
    assert len(rows) == 2
    assert any("still no order numbered" in t for t in toasts(messages))


async def test_retrying_a_waiting_row_sets_the_stage_on_its_order(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await set_aside(small_shop, ready_for="#1002")
    app = make_app(small_shop, agent="li.na")
    messages: list[object] = []
    async with app.run_test(size=(120, 24), message_hook=messages.append) as pilot:
        await open_quarantine(pilot)
        table = app.screen.query_one("#quarantine", DataTable)
        waiting_at = next(i for i, r in enumerate(table_rows(app)) if "⌛" in r)
        table.move_cursor(row=waiting_at)
        await pilot.press("r")
        await settle(pilot)
        rows = table_rows(app)
    assert len(rows) == 1 and "⌛" not in rows[0]
    assert any("stage times set on #1002" in t for t in toasts(messages))
    store = await Store.open(small_shop.path)
    order = await store.order(small_shop.ids["#1002"])
    await store.close()
    assert order is not None and order.reserved_at is not None


def test_snapshot(snap_compare: Callable[..., bool], tmp_path: Path, make_app: MakeApp) -> None:
    path = tmp_path / "orderwatch.db"
    shop = Shop(path, asyncio.run(seed_small(path)))
    asyncio.run(set_aside(shop))
    app = make_app(shop, agent="ana", poll_seconds=3600)

    async def run_before(pilot: Pilot[None]) -> None:
        await open_quarantine(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
