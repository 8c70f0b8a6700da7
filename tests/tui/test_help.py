"""``?`` lists every key, from the same registry the bindings are made of."""

from __future__ import annotations

from textual.binding import Binding

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle, static_text
from tui.app import OrderwatchApp
from tui.keys import KEYS, keys_label
from tui.screens.detail import DetailScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen
from tui.widgets.order_list import OrderList


async def test_help_lists_every_key(small_shop: Shop, make_app: MakeApp) -> None:
    app = make_app(small_shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = static_text(app, "#help-keys").splitlines()
        for key in KEYS:
            assert any(
                line.split()[: len(keys_label(key).split())] == keys_label(key).split()
                and key.description in line
                for line in lines
            ), key
        await pilot.press("escape")
        assert isinstance(app.screen, OrdersScreen)


def test_every_binding_comes_from_the_registry() -> None:
    registered = {(name, key.action) for key in KEYS for name in key.keys.split(",")}
    owners = (OrderwatchApp, OrdersScreen, EscalationsScreen, DetailScreen, OrderList)
    for owner in owners:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            for name in binding.key.split(","):
                assert (name, binding.action) in registered, (owner.__name__, binding)


def test_keys_have_unique_ids() -> None:
    ids = [key.id for key in KEYS]
    assert len(ids) == len(set(ids))
