"""``orderwatchd dismiss ORDER CHECK``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.agent_cli import agent_login
from daemon.cli import main
from daemon.guards import GuardRunner
from sync.clock import VirtualClock
from sync.guards import GuardSettings
from sync.store import GuardFlag, Store
from tests.conftest import T0, OrderFactory


async def _seed(db: Path, make_order: OrderFactory) -> None:
    store = await Store.open(db)
    try:
        await store.save_order_page("shop", "shopify", [make_order(1), make_order(2)], "", T0)
        clock = VirtualClock(T0 + timedelta(hours=1))
        await GuardRunner(store, clock, GuardSettings).check_changed()
    finally:
        await store.close()


async def _flags(db: Path) -> tuple[list[GuardFlag], list[tuple[str, str, str, str]]]:
    store = await Store.open(db)
    try:
        order = await store.order_by_number("#1001")
        assert order is not None
        events = [(e.actor, e.kind, e.field, e.to_value) for e in await store.events(order.id)]
        return await store.guard_flags(order.id), events
    finally:
        await store.close()


@pytest.fixture
def db(tmp_path: Path, make_order: OrderFactory) -> Path:
    path = tmp_path / "orderwatch.db"
    asyncio.run(_seed(path, make_order))
    return path


def test_dismiss_silences_the_flag_and_writes_the_audit_line(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dismiss", "1001", "merge_suggested", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"merge_suggested dismissed by {agent_login()}")
    (flag,), events = asyncio.run(_flags(db))
    assert (flag.dismissed_by, flag.active) == (agent_login(), False)
    assert (agent_login(), "guard", "merge_suggested", "dismissed") in events


def test_dismiss_twice_says_who_did_it_first(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["dismiss", "#1001", "guard.merge_suggested", "--db", str(db)])
    capsys.readouterr()
    assert main(["dismiss", "#1001", "merge_suggested", "--db", str(db)]) == 0
    assert "already dismissed" in capsys.readouterr().out


def test_dismiss_an_unknown_check_is_one_readable_line(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dismiss", "1001", "merge", "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip()
    assert "'merge' is not a guard" in err and "\n" not in err


def test_dismiss_a_flag_that_is_not_up_exits_1(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dismiss", "1001", "not_released", "--db", str(db)]) == 1
    assert "has no not_released flag up" in capsys.readouterr().err
