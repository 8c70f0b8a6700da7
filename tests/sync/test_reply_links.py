"""Replies carrying the customer's tracking page: ``{tracking.link}``, signed like any link."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from sync.desk import REPLIES_KEY
from sync.link_key import key_file, load_key
from sync.links import DEFAULT_TTL, LinkStatus, verify
from sync.replies import (
    LINK_UNAVAILABLE,
    ReplyBook,
    Situation,
    check_template,
    is_own_template,
    uses_link,
)
from sync.store import Store
from sync.store.tracking_page import LinkSettings
from tests.conftest import T0, OrderFactory

URL = "https://track.example.com"
NOW = T0 + timedelta(days=1, minutes=25)
LINK = re.compile(re.escape(URL) + r"/t/([0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22})")


async def unshipped(store: Store, make_order: OrderFactory) -> int:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    return order_id


async def published(store: Store, tmp_path: Path) -> bytes:
    """What the daemon does at start-up: make the key file and publish the public address."""
    key = load_key(path=key_file(tmp_path / "orderwatch.db"), create=True)
    await store.publish_link_settings(LinkSettings(URL, ""), T0)
    return key


def token_of(reply: str | None) -> str:
    assert reply is not None
    found = LINK.search(reply)
    assert found is not None, reply
    return found[1]


async def test_the_default_reply_carries_a_link_that_verifies(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await unshipped(store, make_order)
    key = await published(store, tmp_path)
    reply = await store.reply_template(order_id, "en", NOW)
    assert reply is not None and "You can follow your order here: https://" in reply
    verdict = verify(key, token_of(reply), NOW)
    assert verdict.status is LinkStatus.VALID and verdict.order_id == order_id


async def test_the_link_lives_the_default_lifetime_to_the_next_hour(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await unshipped(store, make_order)
    key = await published(store, tmp_path)
    token = token_of(await store.reply_template(order_id, "zh", NOW))
    expires = verify(key, token, NOW).expires_at
    assert expires is not None
    assert NOW + DEFAULT_TTL <= expires < NOW + DEFAULT_TTL + timedelta(hours=1)
    assert verify(key, token, expires - timedelta(seconds=1)).status is LinkStatus.VALID
    assert verify(key, token, expires).status is LinkStatus.EXPIRED


async def test_renderings_within_the_hour_give_the_same_link(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    order_id = await unshipped(store, make_order)
    await published(store, tmp_path)
    first = token_of(await store.reply_template(order_id, "en", NOW))
    again = token_of(await store.reply_template(order_id, "en", NOW + timedelta(minutes=30)))
    later = token_of(await store.reply_template(order_id, "en", NOW + timedelta(hours=1)))
    assert first == again != later


async def test_without_a_public_address_the_default_reply_reads_as_before(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await unshipped(store, make_order)
    reply = await store.reply_template(order_id, "en", NOW)
    assert reply is not None
    assert reply.endswith("we will send you the tracking number as soon as it ships.")
    assert "follow" not in reply and "{" not in reply


async def test_a_shop_template_without_a_readable_key_says_the_link_is_missing(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await unshipped(store, make_order)
    await store.publish_link_settings(LinkSettings(URL, "UNSET_LINK_KEY_VARIABLE"), T0)
    book = ReplyBook(templates={"en": {Situation.NOT_SHIPPED: "See {tracking.link}"}})
    await store.set_state({REPLIES_KEY: book.to_json()}, T0)
    assert await store.reply_template(order_id, "en", NOW) == f"See {LINK_UNAVAILABLE}"


@pytest.mark.parametrize(
    ("template", "wanted"),
    [
        ("Here: {tracking.link}", True),
        ("Braces: {{tracking.link}}", False),
        ("{order.number}", False),
    ],
)
def test_a_template_asks_for_the_link_only_through_the_placeholder(
    template: str, wanted: bool
) -> None:
    check_template(template)
    assert uses_link(template) is wanted


def test_orderwatchs_own_templates_are_told_from_a_shops() -> None:
    own = ReplyBook().templates["en"][Situation.STALLED_IN_TRANSIT]
    assert uses_link(own) and is_own_template(own)
    assert not is_own_template(own.replace("Hello", "Hi"))
