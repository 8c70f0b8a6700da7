"""Fixtures for the console: a small shop per test, a 200,000-order shop per session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync.clock import VirtualClock
from tests.tui.seed import NOW, ZONE, build_big, seed_small
from tui.app import OrderwatchApp
from tui.config import ConsoleConfig

BIG_ORDERS = 200_000


@dataclass(frozen=True)
class Shop:
    path: Path
    ids: dict[str, int]
    """Order ids of the small shop by order number."""


@pytest.fixture(scope="session")
def big_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    path = tmp_path_factory.mktemp("big") / "orderwatch.db"
    return Shop(path, build_big(path, BIG_ORDERS))


@pytest.fixture
async def small_shop(tmp_path: Path) -> Shop:
    path = tmp_path / "orderwatch.db"
    return Shop(path, await seed_small(path))


MakeApp = Callable[..., OrderwatchApp]


@pytest.fixture
def make_app() -> MakeApp:
    """The console on a shop, with the clock frozen at NOW in Asia/Shanghai.

    Actions are written at once (no grace window) unless a test passes its own config.
    """

    def build(shop: Shop, **options: Any) -> OrderwatchApp:
        options.setdefault("config", ConsoleConfig(undo_seconds=0))
        options.setdefault("clock", VirtualClock(NOW))
        options.setdefault("zone", ZONE)
        options.setdefault("poll_seconds", 0.05)
        return OrderwatchApp(shop.path, **options)

    return build
