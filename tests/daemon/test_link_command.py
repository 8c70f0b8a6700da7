"""``orderwatchd link ORDER``: a signed link printed, the key made once, the hand-out noted."""

from __future__ import annotations

import asyncio
import os
import pwd
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.cli import main
from sync.link_key import key_file, load_key
from sync.links import LinkStatus, verify
from sync.store import Store
from sync.store.tracking_page import LinkSettings
from tests.conftest import T0, OrderFactory

URL = "https://track.example.com"


async def _seed(database: Path, order: object, settings: LinkSettings | None) -> None:
    store = await Store.open(database)
    try:
        await store.save_order_page("shop", "shopify", [order], "", T0)  # type: ignore[list-item]
        if settings is not None:
            await store.publish_link_settings(settings, T0)
    finally:
        await store.close()


async def _events(database: Path) -> list[tuple[str, str, str]]:
    store = await Store.open(database)
    try:
        return [(e.kind, e.actor, e.detail) for e in await store.events(1)]
    finally:
        await store.close()


@pytest.fixture
def shop(tmp_path: Path, make_order: OrderFactory) -> Path:
    """A config with [http] public_url over a database holding order #1001."""
    (tmp_path / "data").mkdir()
    asyncio.run(_seed(tmp_path / "data" / "orderwatch.db", make_order(1), None))
    config = tmp_path / "orderwatchd.toml"
    config.write_text(
        'database = "data/orderwatch.db"\n'
        f'[http]\nlisten = "127.0.0.1:8787"\npublic_url = "{URL}/"\n',
        encoding="utf-8",
    )
    return config


def test_link_prints_a_signed_url_for_seven_days(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["link", "#1001", "--config", str(shop)]) == 0
    out = capsys.readouterr()
    url = out.out.strip()
    assert url.startswith(URL + "/t/")
    key = load_key(path=key_file(shop.parent / "data" / "orderwatch.db"))
    verdict = verify(key, url.removeprefix(URL + "/t/"), T0)
    assert (verdict.status, verdict.order_id) == (LinkStatus.VALID, 1)
    assert verdict.expires_at is not None
    lifetime = verdict.expires_at - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)
    assert "order #1001: valid until" in out.err


def test_the_key_file_is_made_once_and_private(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = key_file(shop.parent / "data" / "orderwatch.db")
    main(["link", "1001", "--config", str(shop)])
    first = key.read_bytes()
    main(["link", "1001", "--config", str(shop)])
    assert key.read_bytes() == first
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_handing_out_a_link_is_on_the_orders_timeline(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["link", "1001", "--ttl", "2h", "--config", str(shop)])
    events = asyncio.run(_events(shop.parent / "data" / "orderwatch.db"))
    (kind, actor, detail) = events[-1]
    assert kind == "tracking_link_created"
    assert actor == pwd.getpwuid(os.getuid()).pw_name
    assert detail.startswith("link ") and "valid until" in detail


def test_with_db_the_daemons_published_address_is_used(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "orderwatch.db"
    asyncio.run(_seed(database, make_order(1), LinkSettings("https://desk.example", "")))
    assert main(["link", "1001", "--db", str(database)]) == 0
    assert capsys.readouterr().out.startswith("https://desk.example/t/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["9999"], "no order numbered '9999'"),
        (["1001", "--ttl", "soon"], "--ttl:"),
        (["1001", "--ttl", "400d"], "--ttl: a link lives between"),
    ],
)
def test_mistakes_are_one_line_and_exit_1(
    shop: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["link", *args, "--config", str(shop)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_without_a_public_url_there_is_nothing_to_print(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "orderwatch.db"
    asyncio.run(_seed(database, make_order(1), None))
    assert main(["link", "1001", "--db", str(database)]) == 1
    assert "public_url" in capsys.readouterr().err
