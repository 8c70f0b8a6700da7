"""``?`` lists the keys of the view in use, from the same registry the bindings are made of."""

from __future__ import annotations

from textual.binding import Binding

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text
from tui.app import OrderwatchApp
from tui.keys import KEYS, Key, Scope, in_scope, keys_label
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen
from tui.screens.reports import ReportsScreen
from tui.widgets.order_list import OrderList


def listed(key: Key, lines: list[str]) -> bool:
    label = keys_label(key).split()
    return any(line.split()[: len(label)] == label and key.description in line for line in lines)


def only_in(scope: Scope, other: Scope) -> list[Key]:
    """Keys of ``scope`` that ``other`` has no twin of (same keys, same words)."""
    twins = {(k.keys, k.description) for k in in_scope(other)}
    return [k for k in in_scope(scope) if k.keys and (k.keys, k.description) not in twins]


async def test_help_in_a_list_shows_its_keys_not_the_details(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = static_text(app, "#help-keys").splitlines()
        for scope in (Scope.APP, Scope.LIST, Scope.VERBS):
            for key in in_scope(scope):
                assert not key.keys or listed(key, lines), key
        assert not any(listed(key, lines) for key in only_in(Scope.DETAIL, Scope.LIST))
        assert lines[0].startswith("Queue: open orders")
        await pilot.press("escape")
        assert isinstance(app.screen, OrdersScreen)


async def test_help_in_the_detail_shows_the_detail_keys(
    small_shop: Shop, make_app: MakeApp
) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        lines = static_text(app, "#help-keys").splitlines()
        assert all(listed(key, lines) for key in in_scope(Scope.DETAIL))
        assert not any(listed(key, lines) for key in only_in(Scope.LIST, Scope.DETAIL))
        await pilot.press("q")  # closes the help, and does not quit
        assert isinstance(app.screen, DetailScreen)


def test_every_binding_comes_from_the_registry() -> None:
    registered = {(name, key.action) for key in KEYS for name in key.keys.split(",") if name}
    owners = (OrderwatchApp, OrdersScreen, EscalationsScreen, DetailScreen, OrderList)
    owners += (ReportsScreen,)
    for owner in owners:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            for name in binding.key.split(","):
                assert (name, binding.action) in registered, (owner.__name__, binding)


def test_keys_have_unique_ids_and_commands() -> None:
    ids = [key.id for key in KEYS]
    assert len(ids) == len(set(ids))
    names = [key.command for key in KEYS if key.command]
    assert len(names) == len(set(names))


def test_no_key_is_bound_twice_where_it_applies() -> None:
    for scopes in ((Scope.APP, Scope.LIST, Scope.VERBS), (Scope.APP, Scope.DETAIL, Scope.VERBS)):
        seen: dict[str, Key] = {}
        for key in KEYS:
            if key.scope not in scopes:
                continue
            for name in filter(None, key.keys.split(",")):
                other = seen.setdefault(name, key)
                # The detail's own keys may stand in for the app's (q goes back there).
                assert other is key or Scope.DETAIL in (other.scope, key.scope), (name, key)
