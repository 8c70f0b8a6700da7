"""Editing rules.toml under a running daemon: a valid edit is in force, an invalid one is refused
with the old rules still running; SIGHUP reloads too."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from daemon import runner
from daemon.commands import run_daemon
from daemon.config import Config
from daemon.reload import RULES_ERROR, RULES_RESULT, RULES_VERSION
from daemon.runner import Daemon
from sync.clock import VirtualClock
from sync.domain import TimerRow
from sync.store import Store
from tests.conftest import T0, OrderFactory, daemon_started

RULES = """
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.fulfillment_status == 'unfulfilled'"
timeout = "TIMEOUT"
"""


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait for ``check`` (generously: the effect is what is tested, not the time)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the daemon never got there")
        await asyncio.sleep(0.02)


def _save(path: Path, text: str) -> None:
    """Save like an editor: write a file aside, then rename it over the old one."""
    aside = path.with_name(f".{path.name}.swp")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


@pytest.fixture
async def daemon(tmp_path: Path, make_order: OrderFactory) -> AsyncIterator[tuple[Daemon, Path]]:
    db, rules = tmp_path / "orderwatch.db", tmp_path / "rules.toml"
    rules.write_text(RULES.replace("TIMEOUT", "4h"), encoding="utf-8")
    seed = await Store.open(db)
    await seed.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await seed.close()
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    config = Config(database=db, rules=rules)
    task = asyncio.create_task(run_daemon(config, VirtualClock(T0), started=started))
    running = await daemon_started(started, task)
    await _eventually(lambda: _deadline_is(running, timedelta(hours=4)))
    yield running, rules
    running.request_stop()
    await asyncio.wait_for(task, timeout=20)


async def _timer(daemon: Daemon) -> TimerRow | None:
    timers = await daemon.store.timers_for_orders([1])
    return timers[0] if timers else None


async def _deadline_is(daemon: Daemon, timeout: timedelta) -> bool:
    timer = await _timer(daemon)
    return timer is not None and timer.deadline_at == T0 + timeout


async def test_a_valid_edit_is_in_force(daemon: tuple[Daemon, Path]) -> None:
    running, rules = daemon
    version = await running.store.get_state(RULES_VERSION)
    _save(rules, RULES.replace("TIMEOUT", "5h"))
    await _eventually(lambda: _deadline_is(running, timedelta(hours=5)))
    assert await running.store.get_state(RULES_VERSION) != version
    assert await running.store.get_state(RULES_ERROR) == ""


async def test_an_invalid_edit_is_refused_and_the_old_rules_keep_running(
    daemon: tuple[Daemon, Path],
) -> None:
    running, rules = daemon
    version = await running.store.get_state(RULES_VERSION)
    _save(rules, RULES.replace("TIMEOUT", "5 hours"))

    async def refused() -> bool:
        return "rejected" in await running.store.get_state(RULES_RESULT)

    await _eventually(refused)
    error = await running.store.get_state(RULES_ERROR)
    assert "rules.toml:7: rules[0].timeout: '5 hours' is not a duration" in error
    assert await running.store.get_state(RULES_VERSION) == version
    assert await _deadline_is(running, timedelta(hours=4))

    _save(rules, RULES.replace("TIMEOUT", "3h"))  # the fix is picked up too
    await _eventually(lambda: _deadline_is(running, timedelta(hours=3)))
    assert await running.store.get_state(RULES_ERROR) == ""


async def test_sighup_reloads(
    tmp_path: Path, make_order: OrderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_watcher(*_args: object) -> None:
        return None

    monkeypatch.setattr(runner, "watch_rules", no_watcher)  # only the signal can reload
    db, rules = tmp_path / "orderwatch.db", tmp_path / "rules.toml"
    rules.write_text(RULES.replace("TIMEOUT", "4h"), encoding="utf-8")
    seed = await Store.open(db)
    await seed.save_order_page("shop", "x", [make_order(1, paid_at=T0)], "", T0)
    await seed.close()
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_daemon(Config(database=db, rules=rules), VirtualClock(T0), started=started)
    )
    running = await daemon_started(started, task)
    await _eventually(lambda: _deadline_is(running, timedelta(hours=4)))
    rules.write_text(RULES.replace("TIMEOUT", "2h"), encoding="utf-8")
    os.kill(os.getpid(), signal.SIGHUP)
    await _eventually(lambda: _deadline_is(running, timedelta(hours=2)))
    running.request_stop()
    await asyncio.wait_for(task, timeout=20)
