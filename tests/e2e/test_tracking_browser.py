"""A real browser on the tracking page: headless Chromium (Debian's package) against the daemon.

The daemon runs with ``[http] listen`` on a loopback port; Chromium loads a signed link at phone
width, takes a PNG screenshot and dumps the DOM, in which the masked fields are checked.
"""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.commands import run_daemon
from daemon.config import Config, HttpConfig
from daemon.page_config import PageConfig
from daemon.runner import Daemon
from sync.clock import VirtualClock
from sync.link_key import key_file, load_key
from sync.links import issue
from tests.conftest import daemon_started
from tests.daemon.http.tracking_site import NOW, Shop, leaks, seed

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
PHONE = (390, 844)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--accept-lang=zh-CN,zh",
)
BROWSER_TIMEOUT = 90.0

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


async def _rules(folder: Path) -> Path:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    rules = folder / "rules.toml"
    rules.write_text(
        re.sub(r'(?m)^timezone = "[^"]*"', 'timezone = "Asia/Shanghai"', text, count=1),
        encoding="utf-8",
    )
    return rules


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[tuple[Daemon, Shop]]:
    data = tmp_path / "data"
    data.mkdir()
    config = Config(
        database=data / "orderwatch.db",
        rules=await _rules(tmp_path),
        http=HttpConfig("127.0.0.1", 0, page=PageConfig(public_url="http://127.0.0.1")),
    )
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, VirtualClock(NOW), started=started))
    running = await daemon_started(started, task)
    shop = await seed(running.store)
    yield running, shop
    running.request_stop()
    await asyncio.wait_for(task, timeout=15)


async def chromium(profile: Path, *args: str) -> bytes:
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM),
        *FLAGS,
        f"--user-data-dir={profile}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), BROWSER_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, f"chromium exited with {process.returncode}"
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def fields(dom: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="([\w-]+)"[^>]*>([^<]*)<', dom))


async def test_a_phone_browser_shows_the_masked_page(
    daemon: tuple[Daemon, Shop], tmp_path: Path
) -> None:
    running, shop = daemon
    assert running.http is not None
    key = load_key(path=key_file(running.config.database))
    url = f"{running.http.url}/t/{issue(key, shop.wang, NOW).token}"
    shot = tmp_path / "tracking-page.png"
    size = f"--window-size={PHONE[0]},{PHONE[1]}"
    await chromium(tmp_path / "profile-shot", size, f"--screenshot={shot}", url)
    dom = (await chromium(tmp_path / "profile-dom", size, "--dump-dom", url)).decode()

    assert png_size(shot.read_bytes()) == PHONE
    assert '<html lang="zh">' in dom
    shown = fields(dom)
    assert shown["name"] == "王*"
    assert shown["phone"] == "138****5678"
    assert shown["place"] == "广东省深圳市南山区"
    assert shown["stage"] == "运输中"
    assert shown["tracking-number"] == "SF1234567890"
    assert leaks(dom) == []
    audited = await running.store.page_accesses(shop.wang)
    assert {a.outcome for a in audited} == {"viewed"}
    assert any("Chrome" in a.user_agent for a in audited)
