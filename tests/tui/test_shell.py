"""The shell around the views: the palette and the command line over the registry, themes,
and the detail's own keys (tracking page, reply, next order)."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, shows, static_text, toasts
from tui.commands import CommandLine, parse_command
from tui.keys import KEYS, Scope, commands
from tui.screens.detail import DetailScreen
from tui.screens.orders import OrdersScreen


async def test_the_palette_lists_commands_with_their_keys(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await shows(pilot, CommandPalette)
        await pilot.press(*"snooze")
        await pilot.pause(0.5)
        shown = app.screen.query_one(CommandList)
        texts = [str(shown.get_option_at_index(i).prompt) for i in range(shown.option_count)]
        assert any("Snooze… (until a time)  (s)" in text for text in texts), texts
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.__class__.__name__ == "ChoiceScreen"  # the snooze picker


def test_command_names_are_parsed_with_their_argument() -> None:
    available = commands((Scope.LIST, Scope.VERBS))
    assert parse_command(":assign ana", available).action == "assign('ana')"
    assert parse_command("ack", available).action == "acknowledge"
    assert parse_command("res", available).key.command == "resolve"  # a unique prefix
    for bad, said in (("", "type a command"), ("zzz", "no command"), ("ack now", "nothing")):
        try:
            parse_command(bad, available)
        except ValueError as problem:
            assert said in str(problem)
        else:
            raise AssertionError(bad)


def test_every_command_names_an_action() -> None:
    for key in KEYS:
        assert key.action, key
        assert not key.argument or key.command, key


async def test_the_command_line_says_what_is_wrong_and_stays(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"frobnicate", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CommandLine)
        assert "no command “frobnicate”" in static_text(app, "#command-error")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OrdersScreen)


async def test_view_theme_sort_and_find_by_command(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"view support", "enter")
        await settle(pilot)
        assert app.current_mode == "view:support"
        assert static_text(app, "#view-title").startswith("Support · 1 order")
        await pilot.press("colon", *"theme textual-light", "enter")
        await pilot.pause()
        assert app.theme == "textual-light"
        await pilot.press("1", "colon", *"sort -age", "enter")
        await settle(pilot)
        assert "by age ↑" in static_text(app, "#view-title")
        await pilot.press("colon", *"find 9753", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.order_id == small_shop.ids["#1007"]


async def test_the_detail_opens_tracking_copies_the_reply_and_steps(
    small_shop: Shop, make_app: MakeApp
) -> None:
    seen: list[object] = []
    opened: list[str] = []
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        app.open_url = lambda url, new_tab=True: opened.append(url)  # type: ignore[method-assign]
        await settle(pilot)
        assert app.screen.order_list.select_id(small_shop.ids["#1003"])  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        assert opened == ["https://t.17track.net/en#nums=ZTO300000003"]
        await pilot.press("y")
        assert "ZTO300000003" in app.clipboard
        assert "Reply (en)" in static_text(app, "#reply")
        await pilot.press("L")
        await settle(pilot)
        assert "Reply (zh)" in static_text(app, "#reply")
        await pilot.press("J")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.order_id == small_shop.ids["#1004"]
        await pilot.press("K", "K")
        await settle(pilot)
        assert screen.order_id == small_shop.ids["#1002"]
        await pilot.press("escape")
        await settle(pilot)
        # Back in the list on the order last shown.
        assert app.screen.order_list.cursor_id == small_shop.ids["#1002"]  # type: ignore[attr-defined]
    assert any(toast.startswith("Reply copied (en): ") for toast in toasts(seen))
