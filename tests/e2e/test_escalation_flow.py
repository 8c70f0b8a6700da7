"""The running daemon, end to end: a rule fires, the ladder takes the escalation up, the outbox
delivers to the console and to a webhook on loopback, and the desk's lists reach the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from daemon.commands import run_daemon
from daemon.demo import demo_config
from daemon.runner import Daemon
from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from tests.conftest import T0, daemon_started
from tests.daemon.outbox.receivers import HOOK_SECRET, Received, webhook_app

RULES = """\
timezone = "UTC"

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'"
timeout = "4h"
severity = "critical"
escalation = "desk"

[agents.anna]
team = "desk"

[agents.ben]
team = "desk"

[teams.desk]

[escalations.desk]
[[escalations.desk.levels]]
notify = ["team:desk"]
channels = ["console", "hook"]

[channels.hook]
type = "webhook"
url = "{url}/hook"
secret_env = "DESK_HOOK_SECRET"

[desk]
delay_reasons = [{{ code = "rain", label = "Rain" }}]
"""


async def _wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "not in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def simulator() -> AsyncIterator[RunningServer]:
    shop = Shop(seed=3, orders=300, now=T0)
    server = await serve(create_app(shop, clock=VirtualClock(T0)))
    yield server
    await server.stop()


async def test_a_firing_rule_reaches_the_console_and_the_webhook(
    simulator: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Received()
    hook = await serve(webhook_app(seen))
    monkeypatch.setenv("DESK_HOOK_SECRET", HOOK_SECRET)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(url=hook.url), encoding="utf-8")
    config = demo_config(tmp_path / "orderwatch.db", rules, simulator.url)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, VirtualClock(T0), 60, started))
    try:
        daemon = await daemon_started(started, task)
        store = daemon.store

        async def delivered() -> bool:
            return bool(seen.bodies) and await store.unread_notice_count("anna") > 0

        await _wait_for(delivered)
        (first, *_) = await store.open_escalations()
        assert first.policy == "desk"
        assert seen.bodies[0]["kind"] == "escalation"
        assert seen.bodies[0]["escalation"]["policy"] == "desk"
        assert await store.delay_reasons() == [("rain", "Rain")]
        assert {agent.login for agent in await store.desk_agents()} == {"anna", "ben"}
        daemon.request_stop()
        await asyncio.wait_for(task, 20)
    finally:
        if not task.done():
            task.cancel()
        await hook.stop()
