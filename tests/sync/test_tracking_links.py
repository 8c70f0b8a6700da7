"""Handing out a link the way the console does: from what the daemon published."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sync.errors import ConfigError
from sync.link_key import key_file, load_key
from sync.links import LinkStatus, verify
from sync.store import Store
from sync.store.tracking_page import LinkSettings
from sync.tracking_links import share_link_from_console
from tests.conftest import T0, OrderFactory

KEY = "e" * 40


async def seeded(store: Store, make_order: OrderFactory) -> int:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    return order_id


async def test_the_console_signs_with_the_key_file_beside_the_database(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await seeded(store, make_order)
    database = tmp_path / "orderwatch.db"
    key = load_key(path=key_file(database), create=True)  # the daemon made it
    await store.publish_link_settings(LinkSettings("https://t.example", ""), T0)
    now = T0 + timedelta(hours=1)
    shared = await share_link_from_console(store, database, order_id, actor="alice", now=now)
    token = shared.url.removeprefix("https://t.example/t/")
    assert verify(key, token, now).status is LinkStatus.VALID
    assert [(e.kind, e.actor) for e in await store.events(order_id)][-1] == (
        "tracking_link_created",
        "alice",
    )


async def test_the_console_reads_the_key_from_the_variable_the_daemon_named(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await seeded(store, make_order)
    await store.publish_link_settings(LinkSettings("https://t.example", "SHOP_LINK_KEY"), T0)
    shared = await share_link_from_console(
        store, tmp_path / "x.db", order_id, actor="bo", now=T0, environ={"SHOP_LINK_KEY": KEY}
    )
    token = shared.url.rsplit("/", 1)[1]
    assert verify(KEY.encode(), token, T0).order_id == order_id


async def test_before_the_daemon_published_an_address_the_console_says_so(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await seeded(store, make_order)
    with pytest.raises(ConfigError, match="public_url"):
        await share_link_from_console(store, tmp_path / "x.db", order_id, actor="a", now=T0)


async def test_the_console_never_creates_a_key(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await seeded(store, make_order)
    await store.publish_link_settings(LinkSettings("https://t.example", ""), T0)
    with pytest.raises(ConfigError, match="no link key yet"):
        await share_link_from_console(store, tmp_path / "x.db", order_id, actor="a", now=T0)
    assert not key_file(tmp_path / "x.db").exists()
