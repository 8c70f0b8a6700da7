"""An escalation about a stale feed in the console: its line names the feed, ``a``
acknowledges it, ``c`` notes on it, and opening it shows the feed's health (there is no order
to open)."""

from __future__ import annotations

import os
import pwd
import sqlite3
from datetime import timedelta

from sync.domain import EscalationRow, TimerState
from sync.store import FeedMove, SourceTimer, Store
from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows, toasts
from tests.tui.seed import NOW
from tui.screens.escalations import EscalationsScreen
from tui.screens.pickers import ChoiceScreen

LOGIN = pwd.getpwuid(os.getuid()).pw_name
FIRED = NOW - timedelta(hours=3)


async def _stale_feed(shop: Shop) -> None:
    store = await Store.open(shop.path)
    try:
        await store.record_source_success("17track", "17track", 0, NOW - timedelta(hours=5))
        timer = SourceTimer(
            rule_id="courier_feed_stale",
            source="17track",
            state=TimerState.FIRING,
            since=FIRED - timedelta(minutes=10),
            fired_at=FIRED,
            last_true_at=FIRED,
            next_at=None,
            summary="Tracking feed 17track has not answered",
            rules_version="v1",
        )
        move = FeedMove(
            "courier_feed_stale", "17track", opens=True, severity="critical", summary=timer.summary
        )
        await store.save_source_timers([timer], [move], FIRED)
    finally:
        await store.close()


async def _feed_escalation(shop: Shop) -> EscalationRow:
    store = await Store.open(shop.path)
    try:
        found = [e for e in await store.open_escalations() if e.source == "17track"]
    finally:
        await store.close()
    return found[0]


async def test_a_acknowledges_a_feed_escalation(small_shop: Shop, make_app: MakeApp) -> None:
    await _stale_feed(small_shop)
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
        assert (selected.about, selected.order_id) == ("17track", None)
        await pilot.press("a")
        await settle(pilot, pause=0.2)
        after = screen.selected()
        assert after is not None  # the list read it again though no order changed
        assert (after.id, after.state, after.acked_by) == (selected.id, "acknowledged", LOGIN)
    escalation = await _feed_escalation(small_shop)
    assert (escalation.state, escalation.acked_by) == ("acknowledged", LOGIN)
    assert f"Acknowledged: 17track courier_feed_stale acknowledged by {LOGIN}" in toasts(seen)


async def test_opening_a_feed_escalation_shows_the_feed_not_an_order(
    small_shop: Shop, make_app: MakeApp
) -> None:
    await _stale_feed(small_shop)
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, pause=0.2)
        assert isinstance(app.screen, EscalationsScreen)
    assert "Feed, not an order: 17track: last answered 5h ago" in toasts(seen)


async def test_c_notes_on_a_feed_escalation(small_shop: Shop, make_app: MakeApp) -> None:
    await _stale_feed(small_shop)
    seen: list[object] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("2", "c")
        await shows(pilot, ChoiceScreen)
        await pilot.press(*"17TRACK status page says down", "enter")
        await settle(pilot, pause=0.2)
    assert "Noted: Note added to 17track" in toasts(seen)
    noted = await _feed_escalation(small_shop)
    raw = sqlite3.connect(small_shop.path)
    found = raw.execute(
        "SELECT actor, order_id, detail FROM events WHERE kind = 'note' "
        "AND subject_kind = 'escalation' AND subject_id = ?",
        (noted.id,),
    ).fetchall()
    raw.close()
    assert found == [(LOGIN, None, "17TRACK status page says down")]
