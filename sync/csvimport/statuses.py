"""Order status texts of back-office exports, mapped to the three axes (apis.md §8).

Exports fold payment, fulfillment and lifecycle into one text (淘宝 "卖家已发货，等待买家确认",
抖店 "已完成", JD "等待出库"). The raw text always travels with the result. A text this table and
the profile do not know is kept raw and read from the row's own facts: paid if it has a payment
time, fulfilled if it has a tracking number, open. "Closed" texts mean cancelled; whether money
was returned depends on whether it was paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync.domain import FulfillmentStatus, Lifecycle, PaymentStatus

P, F, L = PaymentStatus, FulfillmentStatus, Lifecycle


@dataclass(frozen=True, slots=True)
class Axes:
    """A status text's reading. ``None`` on an axis means: judge from the row's facts."""

    payment: PaymentStatus | None
    fulfillment: FulfillmentStatus | None
    lifecycle: Lifecycle


_PUNCTUATION = re.compile(r"[\s,，、;；:：()（）\[\]【】_-]+")


def status_key(text: str) -> str:
    """The form status texts are compared in: no blanks or punctuation, case-folded."""
    return _PUNCTUATION.sub("", text).casefold()


_UNPAID = Axes(P.PENDING, F.UNFULFILLED, L.OPEN)
_TO_SHIP = Axes(P.PAID, F.UNFULFILLED, L.OPEN)
_PREPARING = Axes(P.PAID, F.IN_PROGRESS, L.OPEN)
_PART_SHIPPED = Axes(P.PAID, F.PARTIALLY_FULFILLED, L.OPEN)
_SHIPPED = Axes(P.PAID, F.FULFILLED, L.OPEN)
_DONE = Axes(P.PAID, F.FULFILLED, L.CLOSED)
_CLOSED = Axes(None, None, L.CANCELLED)
_REFUNDED = Axes(P.REFUNDED, None, L.CLOSED)
_ARCHIVED = Axes(None, None, L.CLOSED)
_HELD = Axes(None, F.ON_HOLD, L.OPEN)
_AFTER_SALE = Axes(P.PAID, None, L.OPEN)

_TEXTS: dict[Axes, tuple[str, ...]] = {
    # Taobao / Tmall seller centre
    _UNPAID: ("等待买家付款", "等待付款", "待付款", "待支付", "未付款", "pending", "unpaid"),
    _TO_SHIP: (
        "买家已付款，等待卖家发货",
        "买家已付款",
        "等待卖家发货",
        "等待发货",
        "待发货",
        "已付款",
        "等待出库",  # JD: paid, waiting to leave the warehouse
        "paid",
        "processing",
        "awaiting shipment",
        "awaiting fulfillment",
    ),
    _PREPARING: ("备货中", "出库中", "拣货中", "打包中", "in progress", "preparing"),
    _PART_SHIPPED: ("卖家部分发货", "部分发货", "partially shipped", "partially fulfilled"),
    _SHIPPED: (
        "卖家已发货，等待买家确认",
        "卖家已发货",
        "等待买家确认收货",
        "等待确认收货",
        "已发货",
        "待收货",
        "shipped",
        "fulfilled",
        "in transit",
    ),
    _DONE: ("交易成功", "完成", "已完成", "已签收", "已收货", "completed", "delivered"),
    _CLOSED: (
        "交易关闭",
        "已关闭",
        "已取消",
        "取消",
        "订单取消",
        "交易取消",
        "cancelled",
        "canceled",
        "voided",
    ),
    _REFUNDED: ("退款成功", "已退款", "全额退款", "refunded"),
    _ARCHIVED: ("closed", "archived"),
    _HELD: ("锁定", "暂停", "已暂停", "挂起", "on hold", "on-hold", "held"),
    _AFTER_SALE: ("售后中", "退款中", "退货中", "refund requested"),
}
BUILTIN: dict[str, Axes] = {
    status_key(text): axes for axes, texts in _TEXTS.items() for text in texts
}


def read_axes(text: str, extra: dict[str, Axes] | None = None) -> Axes | None:
    """The axes of a status text (the profile's own texts first), or None when unknown."""
    key = status_key(text)
    if extra and key in extra:
        return extra[key]
    return BUILTIN.get(key)


PAYMENT_WORDS: dict[str, PaymentStatus] = {
    **{status_key(p.value): p for p in PaymentStatus},
    "partiallypaid": P.PARTIALLY_PAID,
    "partiallyrefunded": P.PARTIALLY_REFUNDED,
    "unpaid": P.PENDING,
    **{status_key(t): P.PAID for t in ("已付款", "已支付", "付款成功")},
    **{status_key(t): P.PENDING for t in ("未付款", "待付款", "待支付")},
    **{status_key(t): P.REFUNDED for t in ("已退款", "退款成功")},
}
FULFILLMENT_WORDS: dict[str, FulfillmentStatus] = {
    **{status_key(f.value): f for f in FulfillmentStatus},
    "partial": F.PARTIALLY_FULFILLED,
    "": F.UNFULFILLED,
    "pending": F.UNFULFILLED,
    "shipped": F.FULFILLED,
    **{status_key(t): F.FULFILLED for t in ("已发货", "已出库")},
    **{status_key(t): F.UNFULFILLED for t in ("未发货", "待发货")},
    **{status_key(t): F.PARTIALLY_FULFILLED for t in ("部分发货",)},
}


def parse_axes_text(text: str) -> Axes:
    """A config value such as ``"paid fulfilled open"`` (a ``-`` leaves an axis to the facts)."""
    words = [w for w in re.split(r"[\s,/]+", text.strip()) if w]
    if len(words) != 3:
        raise ValueError(
            f"{text!r}: expected three words, payment fulfillment lifecycle "
            "(e.g. 'paid fulfilled open'; '-' leaves one to the row's facts)"
        )
    try:
        payment = None if words[0] == "-" else PaymentStatus(words[0])
        fulfillment = None if words[1] == "-" else FulfillmentStatus(words[1])
        lifecycle = Lifecycle(words[2])
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    return Axes(payment, fulfillment, lifecycle)
