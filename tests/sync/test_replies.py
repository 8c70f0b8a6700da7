"""Reply templates: the situation an order is in, and the message that fits it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from sync.desk import REPLIES_KEY
from sync.domain import ShipmentStatus
from sync.replies import ReplyBook, Situation, TemplateProblem, check_template, situation
from sync.store import Store
from tests.conftest import T0, OrderFactory

LATER = T0 + timedelta(days=3)


async def _order_id(store: Store, make_order: OrderFactory, **fields: object) -> int:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1, **fields)], "", T0)
    return order_id


async def test_an_unshipped_order_gets_the_not_shipped_reply(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order)
    text = await store.reply_template(order_id, "en", now=LATER)
    assert text is not None and text.startswith("Hello 王芳, thank you for your order #1001.")


async def test_the_reply_comes_in_the_language_asked_for(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order)
    text = await store.reply_template(order_id, "zh-CN", now=LATER)
    assert text is not None and text.startswith("王芳您好，感谢您的订单 #1001。")


async def test_a_language_without_templates_gives_none(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order)
    assert await store.reply_template(order_id, "fr", now=LATER) is None


async def test_a_silent_parcel_gets_the_stalled_reply_with_its_last_scan(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order, tracking="SF1234567890")
    text = await store.reply_template(order_id, "en", now=LATER)
    assert text is not None
    assert "(SF Express SF1234567890) has had no new scan since -." in text


async def test_the_shops_own_template_and_name_are_used(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order)
    book = ReplyBook(
        shop_name="Tea House",
        templates={"en": {Situation.NOT_SHIPPED: "{order.number} soon. {{{shop.name}}}"}},
    )
    await store.set_state({REPLIES_KEY: book.to_json()}, T0)
    assert await store.reply_template(order_id, "en", now=LATER) == "#1001 soon. {Tea House}"


async def test_during_a_holiday_the_holiday_reply_says_until_when(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await _order_id(store, make_order)
    book = ReplyBook(holidays=((date(2026, 11, 22), date(2026, 11, 24)),))
    await store.set_state({REPLIES_KEY: book.to_json()}, T0)
    text = await store.reply_template(order_id, "en", now=T0 + timedelta(days=3))
    assert text is not None and "back to normal after 2026-11-24" in text


async def test_a_delivered_order_needs_no_reply(store: Store, make_order: OrderFactory) -> None:
    order_id = await _order_id(store, make_order, tracking="SF1234567890")
    (parcel,) = await store.shipments(order_id)

    order = await store.order(order_id)
    assert order is not None
    delivered = replace(parcel, status=ShipmentStatus.DELIVERED)
    assert situation(order, delivered, LATER, ReplyBook()) is None
    pickup = replace(parcel, status=ShipmentStatus.AVAILABLE_FOR_PICKUP)
    assert situation(order, pickup, LATER, ReplyBook()) is Situation.AWAITING_PICKUP


def test_an_unknown_placeholder_is_a_template_problem() -> None:
    with pytest.raises(TemplateProblem, match=r"unknown placeholder \{order.numbr\}"):
        check_template("Order {order.numbr}")


def test_a_lone_brace_is_a_template_problem() -> None:
    with pytest.raises(TemplateProblem, match="a lone '}'"):
        check_template("Order {order.number}}")


def test_a_shop_without_a_name_gets_no_dangling_signature() -> None:
    from daemon.rules.subject import sample_order
    from sync.replies import render

    book = ReplyBook()
    assert book.shop_name == ""
    order = sample_order()
    text = render(
        "Hello {customer.name}, order {order.number} ships soon. - {shop.name}",
        order,
        None,
        order.created_at,
        book,
    )
    assert text.endswith("ships soon.")
    zh = render("订单 {order.number} 很快发出。——{shop.name}", order, None, order.created_at, book)
    assert zh.endswith("很快发出。")
