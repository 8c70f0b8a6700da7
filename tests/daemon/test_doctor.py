"""orderwatchd doctor finds planted problems and says how to fix each; status warns of skew."""

from __future__ import annotations

import asyncio
import grp
import os
import shutil
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path

import pytest

from daemon.clockskew import SKEW_AT, SKEW_HOST, SKEW_SECONDS
from daemon.commands import status
from daemon.doctor import doctor
from sync.store import Store
from tests.conftest import T0

ROOT = Path(__file__).resolve().parents[2]
GROUP = grp.getgrgid(os.getegid()).gr_name


async def _vendor(offset: float) -> tuple[asyncio.Server, str]:
    """A loopback HTTP server whose Date header is ``offset`` seconds off this clock."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        date = formatdate(time.time() + offset, usegmt=True)
        writer.write(
            f"HTTP/1.1 401 Unauthorized\r\nDate: {date}\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\nno".encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
async def vendors() -> AsyncIterator[list[asyncio.Server]]:
    servers: list[asyncio.Server] = []
    yield servers
    for server in servers:
        server.close()
        await server.wait_closed()


async def _shop(
    folder: Path, vendors: list[asyncio.Server], *, offset: float = 0.0, url: str = ""
) -> Path:
    """A healthy installation: private secrets, the database shared with the agents' group."""
    if not url:
        server, url = await _vendor(offset)
        vendors.append(server)
    data = folder / "data"
    data.mkdir()
    data.chmod(0o2770)
    store = await Store.open(data / "orderwatch.db")
    await store.close()
    for path in data.iterdir():
        path.chmod(0o660)
    shutil.copy(ROOT / "rules.toml", folder / "rules.toml")
    secrets = folder / "secrets.env"
    secrets.write_text("SHOP_TOKEN=shpat_0123456789abcdef\n")
    secrets.chmod(0o600)
    config = folder / "orderwatchd.toml"
    config.write_text(
        f'database = "data/orderwatch.db"\nsecrets_file = "secrets.env"\n'
        f'agents_group = "{GROUP}"\n\n'
        f'[[sources]]\nname = "shop"\nkind = "shopify"\nurl = "{url}"\n'
        'token_env = "SHOP_TOKEN"\n'
    )
    config.chmod(0o640)
    return config


async def _doctor(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await doctor(config)
    return code, capsys.readouterr().out


async def test_a_healthy_box_passes(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)

    code, out = await _doctor(config, capsys)

    assert code == 0, out
    assert "PROBLEM" not in out
    assert "integrity ok" in out
    assert "answers (HTTP 401)" in out
    assert "this clock agrees with 127.0.0.1" in out
    assert out.rstrip().endswith("all good")


async def test_a_world_readable_secrets_file_is_found_with_its_fix(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)
    (tmp_path / "secrets.env").chmod(0o644)

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "PROBLEM  secrets file:" in out
    assert "agents could read the shop's credentials" in out
    assert f"fix: chmod 600 {tmp_path / 'secrets.env'}" in out
    assert out.count("chmod 600") == 1  # said once, not again by the config check


async def test_a_skewed_clock_is_found_from_a_date_header(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors, offset=-3600)  # the vendor is an hour behind us

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "PROBLEM  clock: this clock is 3600s ahead of 127.0.0.1" in out
    assert "timedatectl set-ntp true" in out


async def test_a_source_that_does_not_answer_is_a_problem(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    server, url = await _vendor(0)
    server.close()
    await server.wait_closed()
    config = await _shop(tmp_path, vendors, url=url)

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert f"PROBLEM  source shop: {url} does not answer" in out
    assert "check the url in the config, DNS, the firewall" in out


async def test_a_database_the_agents_cannot_write_is_a_problem(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)
    database = tmp_path / "data" / "orderwatch.db"
    database.chmod(0o644)

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "the agents' group cannot write it" in out
    assert f"fix: chmod 660 {database}" in out


async def test_credentials_in_a_readable_config_are_a_problem(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)
    config.write_text(config.read_text().replace('token_env = "SHOP_TOKEN"', 'token = "shpat_x"'))
    config.chmod(0o644)

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "holds credentials (sources.shop.token)" in out
    assert "name them with *_env" in out


async def test_a_broken_rules_file_is_a_problem(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)
    rules = tmp_path / "rules.toml"
    rules.write_text(rules.read_text() + "\n[[rules]]\nid = 'broken'\ntimeout = 'soon'\n")

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "PROBLEM  rules:" in out
    assert "orderwatchd rules check" in out


async def test_a_damaged_database_is_a_problem(
    tmp_path: Path, vendors: list[asyncio.Server], capsys: pytest.CaptureFixture[str]
) -> None:
    config = await _shop(tmp_path, vendors)
    database = tmp_path / "data" / "orderwatch.db"
    with database.open("r+b") as file:
        file.seek(4096 * 2)
        file.write(b"\xff" * 4096 * 3)

    code, out = await _doctor(config, capsys)

    assert code == 1
    assert "PROBLEM  database:" in out
    assert "orderwatchd restore PATH" in out


async def test_status_warns_about_the_skew_the_daemon_saw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "orderwatch.db"
    store = await Store.open(database)
    await store.set_state(
        {SKEW_SECONDS: "-95.0", SKEW_HOST: "shop.example", SKEW_AT: "2026-11-20T08:00:00Z"}, T0
    )
    await store.close()

    assert await status(database, tmp_path / "none.toml", as_json=False) == 0

    out = capsys.readouterr().out
    assert "clock        this clock is 95s behind shop.example" in out
    assert "timedatectl set-ntp true" in out
