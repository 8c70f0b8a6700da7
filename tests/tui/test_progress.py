"""A source's run in progress (a first sync, a big import) shows in the status bar."""

from __future__ import annotations

from datetime import timedelta

from sync.store import Store
from sync.store.console import SourceState
from tests.conftest import note_page
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text
from tests.tui.seed import NOW
from tui.widgets.status_bar import run_text


def running(rows: int, total: int | None, seconds: int) -> SourceState:
    return SourceState(
        name="shop",
        kind="shopify",
        last_success_at=NOW,
        last_error="",
        last_error_at=None,
        breaker="closed",
        run_started_at=NOW - timedelta(seconds=seconds),
        run_rows=rows,
        run_total=total,
    )


def test_a_run_with_a_total_shows_share_rate_and_time_left() -> None:
    assert run_text(running(12_000, 48_000, 100), NOW) == "⟳ 25% 120/s 5m left"


def test_a_run_without_a_total_shows_rows_and_rate() -> None:
    assert run_text(running(12_000, None, 5), NOW) == "⟳ 12,000 2.4k/s"


async def test_the_status_bar_follows_a_first_sync(small_shop: Shop, make_app: MakeApp) -> None:
    store = await Store.open(small_shop.path)
    await store.start_run("shop", "shopify", NOW - timedelta(minutes=2), full=True)
    await note_page(store, "shop", "shopify", 6_000, 24_000, NOW, finished=False)
    await store.close()
    app = make_app(small_shop)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        assert "shop now ⟳ 25% 50/s 6m left" in static_text(app, "#status-sources")
