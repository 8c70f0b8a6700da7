"""The status bar, the rules banner, pausing, notices as toasts, and refreshes from another
process that keep the agent's place."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, toasts, visible_lines
from tests.tui.seed import NOW, order
from tui.screens.orders import OrdersScreen

ROOT = Path(__file__).resolve().parents[2]


async def _new_order(shop: Shop, n: int = 11) -> None:
    store = await Store.open(shop.path)
    try:
        fresh = order(n, customer_name="New Buyer", created_at=NOW - timedelta(minutes=2))
        await store.save_order_page("shop", "shopify", [fresh], "c2", NOW)
    finally:
        await store.close()


async def _state(shop: Shop, values: dict[str, str]) -> None:
    store = await Store.open(shop.path)
    try:
        await store.set_state(values, NOW)
    finally:
        await store.close()


async def test_the_status_bar_shows_sources_rules_and_counts(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await _state(small_shop, {"rules.version": "3f2a1c9d0e", "rules.error": ""})
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert static_text(app, "#status-sources") == "shop 6h"
        figures = static_text(app, "#status-figures")
        assert "rules 3f2a1c9" in figures
        assert "2 firing 0 warn" in figures
        assert not app.screen.query_one("#rules-banner").display


async def test_a_rejected_rules_file_shows_a_banner_until_fixed(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _state(small_shop, {"rules.error": "rules.toml:12: rule.x.after: not a duration"})
        await settle(pilot, pause=0.3)
        banner = app.screen.query_one("#rules-banner")
        assert banner.display
        assert "rules.toml:12: rule.x.after: not a duration" in static_text(app, "#rules-banner")
        assert "rules ✗" in static_text(app, "#status-figures")
        await _state(small_shop, {"rules.error": "", "rules.version": "v2"})
        await settle(pilot, pause=0.3)
        assert not banner.display


async def test_p_holds_changes_and_counts_them(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        await pilot.press("p")
        await _new_order(small_shop)
        await settle(pilot, pause=0.3)
        assert screen.order_list.row_count == 9
        assert "PAUSED · 1 pending" in static_text(app, "#status-figures")
        await pilot.press("p")
        await settle(pilot)
        assert screen.order_list.row_count == 10
        assert "PAUSED" not in static_text(app, "#status-figures")


async def test_a_notice_for_the_agent_becomes_a_toast(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop, agent="ana")
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        store = await Store.open(small_shop.path)
        async with store.db.write() as tx:
            for agent in ("ana", "bob"):
                await tx.execute(
                    "INSERT INTO notices (agent, order_id, severity, title, body, created_at) "
                    "VALUES (?, ?, 'critical', ?, 'Paid 10h ago, not shipped', "
                    "'2026-11-20T14:00:00Z')",
                    (agent, small_shop.ids["#1001"], f"Escalation for {agent}"),
                )
        await store.close()
        await settle(pilot, pause=0.3)
    shown = toasts(seen)
    assert "Escalation for ana: Paid 10h ago, not shipped" in shown
    assert not any("for bob" in toast for toast in shown)


_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from sync.domain import PaymentStatus
    from sync.store import Store
    from tests.tui.seed import NOW, order

    async def main() -> None:
        store = await Store.open(sys.argv[1])
        refunded = order(4, payment_status=PaymentStatus.REFUNDED, customer_name="Bob Chen",
                         updated_at=NOW, raw={"n": 4, "rev": 1})
        await store.save_order_page("shop", "shopify", [refunded], "c9", NOW)
        await store.close()

    asyncio.run(main())
    """
)


async def test_a_commit_by_another_process_keeps_the_cursor_on_its_order(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        listed = screen.order_list
        assert listed.select_id(small_shop.ids["#1004"])
        before = listed.cursor_index
        subprocess.run([sys.executable, "-c", _WRITER, str(small_shop.path)], check=True, cwd=ROOT)
        await settle(pilot, pause=0.3)
        assert listed.cursor_id == small_shop.ids["#1004"]
        assert listed.cursor_index == before
        assert "refunded·unfulfilled" in visible_lines(listed)[before]


async def test_a_new_order_among_200k_is_patched_in_without_reading_the_view(
    big_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    # A copy: the big shop is shared by the whole session and must stay as built.
    copy = Shop(tmp_path / "big.db", big_shop.ids)
    shutil.copyfile(big_shop.path, copy.path)
    big_shop = copy
    app = make_app(big_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        listed = screen.order_list
        count = listed.row_count
        listed.move_to(5)
        picked = listed.cursor_id
        reads: list[object] = []
        store = app.desk.store  # type: ignore[union-attr]
        original = store.order_ids

        async def counted(*args: object, **kwargs: object) -> list[int]:
            reads.append(args)
            return await original(*args, **kwargs)  # type: ignore[arg-type]

        store.order_ids = counted  # type: ignore[method-assign]
        await _new_order(big_shop, n=300)
        await settle(pilot, pause=0.3)
        assert listed.row_count == count + 1
        assert listed.cursor_id == picked
        assert reads == []
        assert "New Buyer" in visible_lines(listed)[0]
