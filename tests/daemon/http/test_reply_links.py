"""Replies with ``{tracking.link}`` against a running daemon: the link opens the order's page, and
a shop template asking for it without a public address stops the daemon at start-up.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.config import Config, HttpConfig
from daemon.page_config import PageConfig
from daemon.reload import RULES_ERROR, RULES_RESULT
from daemon.rules.loader import load_rules
from daemon.runner import Daemon
from daemon.tracking_links import reply_link_problems
from sync.clock import VirtualClock
from sync.errors import ConfigError
from sync.store import Store
from tests.conftest import daemon_started
from tests.daemon.http.tracking_site import NOW, Shop, leaks, seed

RULES = """\
schema = 1
timezone = "Asia/Shanghai"

[replies]
shop_name = "Example Tea House"

[replies.en]
stalled_in_transit = "Hello {customer.name}, your parcel is on its way: {tracking.link}"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config(tmp_path: Path, public_url: str, port: int = 0) -> Config:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    page = PageConfig(public_url=public_url)
    return Config(
        database=data / "orderwatch.db", rules=rules, http=HttpConfig("127.0.0.1", port, page=page)
    )


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, Shop]]:
    port = free_port()
    clock = VirtualClock(NOW)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_daemon(config(tmp_path, f"http://127.0.0.1:{port}", port), clock, started=started)
    )
    running = await daemon_started(started, task)
    shop = await seed(running.store)
    yield running, shop
    running.request_stop()
    await asyncio.wait_for(task, timeout=15)


async def test_the_link_in_a_reply_opens_the_orders_page_on_the_daemon(
    daemon: tuple[Daemon, Shop],
) -> None:
    running, shop = daemon
    later = NOW + timedelta(days=2)  # the parcel has been silent long enough to be stalled
    assert isinstance(running.clock, VirtualClock)
    running.clock.advance(later - NOW)
    console = await Store.open(running.config.database)  # the agent's own connection
    try:
        reply = await console.reply_template(shop.wang, "en", later)
    finally:
        await console.close()
    assert reply is not None and reply.startswith("Hello 王芳, your parcel is on its way: http")
    url = re.search(r"http://\S+", reply)
    assert url is not None
    async with httpx.AsyncClient(timeout=10) as client:
        page = await client.get(url[0], headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert 'data-field="name">王*<' in page.text
    assert 'data-field="tracking-number">SF1234567890<' in page.text
    assert leaks(page.text) == []
    assert [a.outcome for a in await running.store.page_accesses(shop.wang)] == ["viewed"]


async def test_a_shop_template_with_the_link_needs_a_public_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        await run_daemon(config(tmp_path, ""), VirtualClock(NOW), stop_after=5)
    message = str(refused.value)
    assert "\n" not in message
    assert "replies.en.stalled_in_transit" in message
    assert "{tracking.link}" in message and "[http] public_url" in message
    assert not (tmp_path / "data" / "orderwatch.db").exists()


def test_orderwatchs_own_templates_need_no_public_address(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('schema = 1\n[replies]\nshop_name = "Tea"\n', encoding="utf-8")
    plain = Config(database=tmp_path / "o.db", rules=rules)
    assert reply_link_problems(load_rules(rules), plain) == []


def test_with_a_public_address_the_shops_link_is_fine(tmp_path: Path) -> None:
    found = config(tmp_path, "https://track.example.com")
    assert reply_link_problems(load_rules(found.rules), found) == []


async def test_a_reload_adding_the_link_without_a_public_address_is_refused(
    tmp_path: Path,
) -> None:
    plain = config(tmp_path, "")
    plain.rules.write_text("schema = 1\n", encoding="utf-8")
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(plain, VirtualClock(NOW), started=started))
    running = await daemon_started(started, task)
    try:
        plain.rules.write_text(RULES, encoding="utf-8")
        running.request_reload()
        for _ in range(200):
            if "rejected" in await running.store.get_state(RULES_RESULT):
                break
            await asyncio.sleep(0.05)
        error = await running.store.get_state(RULES_ERROR)
        assert "replies.en.stalled_in_transit" in error and "public_url" in error
    finally:
        running.request_stop()
        await asyncio.wait_for(task, timeout=15)
