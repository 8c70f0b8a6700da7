"""``u`` takes back an action while it waits out its grace window; quitting writes the rest."""

from __future__ import annotations

import os
import pwd

from sync.store import Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text, toasts
from tui.config import ConsoleConfig

LOGIN = pwd.getpwuid(os.getuid()).pw_name
LONG_GRACE = ConsoleConfig(undo_seconds=600)


async def state_of(shop: Shop, number: str) -> str:
    store = await Store.open(shop.path)
    try:
        (escalation,) = await store.escalations_for_order(shop.ids[number])
    finally:
        await store.close()
    return escalation.state


async def test_u_takes_back_an_acknowledgement_before_it_is_written(
    small_shop: Shop, make_app: MakeApp
) -> None:
    seen: list[object] = []
    app = make_app(small_shop, config=LONG_GRACE)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        assert "⌛1 u undoes" in static_text(app, "#status-figures")
        assert await state_of(small_shop, "#1001") == "firing"
        await pilot.press("u")
        await pilot.pause()
        assert "⌛" not in static_text(app, "#status-figures")
    assert "Undone: Acknowledge #1001 paid_not_shipped" in toasts(seen)
    assert await state_of(small_shop, "#1001") == "firing"


async def test_quitting_writes_what_is_still_waiting(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop, config=LONG_GRACE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        assert await state_of(small_shop, "#1001") == "firing"
        await pilot.press("q")
        await pilot.pause()
    assert await state_of(small_shop, "#1001") == "acknowledged"


async def test_nothing_to_undo_says_why(small_shop: Shop, make_app: MakeApp) -> None:
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
    assert ": Nothing to undo: actions are written once their few seconds are up" in toasts(seen)
    assert await state_of(small_shop, "#1001") == "acknowledged"
