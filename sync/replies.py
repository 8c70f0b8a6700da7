"""Reply templates: the message an agent sends a customer, for the situation the order is in.

A situation is read from the order and its latest parcel (not shipped yet, waiting at a pickup
point, silent in transit, delivery failed, a delivery problem, slowed by a holiday). Each has a
template per language with ``{placeholders}`` filled from the order. The shop writes its own in
``rules.toml``; the daemon stores them (a :class:`ReplyBook`) in the database, where the console,
which never imports the daemon, reads them. Rendering needs nothing but the rows, so it lives
here in the headless core.

Placeholders are fixed (:data:`PLACEHOLDERS`); ``{{`` and ``}}`` write literal braces. A value
the order does not have is shown as ``-``.

``{tracking.link}`` is the customer's own tracking page: a signed link to the order (the same as
``orderwatchd link`` prints), made when the reply is rendered. The daemon refuses a shop template
using it when no public address is configured. orderwatch's own templates offer the page in a
sentence of its own (:data:`LINK_SENTENCES`), left out while links cannot be made, so they read as
before on a desk without a public address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sync.carriers import carrier
from sync.domain import Lifecycle, OrderRow, ShipmentRow, ShipmentStatus


class Situation(StrEnum):
    NOT_SHIPPED = "not_shipped"
    AWAITING_PICKUP = "awaiting_pickup"
    STALLED_IN_TRANSIT = "stalled_in_transit"
    DELIVERY_FAILED = "delivery_failed"
    EXCEPTION = "exception"
    HOLIDAY_DELAY = "holiday_delay"


PLACEHOLDERS: Mapping[str, str] = {
    "shop.name": "the shop's name (replies.shop_name)",
    "order.number": "the order number",
    "order.created": "the day it was placed",
    "customer.name": "the customer's name",
    "shipment.carrier": "the courier's name",
    "shipment.tracking_number": "the tracking number",
    "shipment.tracking_url": "the courier's tracking link",
    "tracking.link": "the customer's own tracking page (a signed link, valid 7 days)",
    "shipment.last_scan": "the time of the last courier scan",
    "shipment.eta": "the delivery day the courier expects",
    "holiday.until": "the last day of the holiday slowing things down",
}

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SIGNATURE = re.compile(r"\s*(?:-|——|—)\s*\{shop\.name\}\s*$")

DEFAULT_STALLED_AFTER = timedelta(hours=48)

LINK = "{tracking.link}"
LINK_SENTENCES: Mapping[str, str] = {
    "en": " You can follow your order here: " + LINK,
    "zh": "订单进度可随时查看：" + LINK + " ",
}
"""How orderwatch's own templates offer the tracking page, per language."""
LINK_UNAVAILABLE = "[no tracking link: ask the daemon's operator]"
"""Shown for ``{tracking.link}`` in a shop's template when no link could be made, so the agent
sees it before the message goes out."""

_ENGLISH = {
    Situation.NOT_SHIPPED: (
        "Hello {customer.name}, thank you for your order {order.number}. It is being prepared "
        "and has not left our warehouse yet; we will send you the tracking number as soon as it "
        "ships. - {shop.name}"
    ),
    Situation.AWAITING_PICKUP: (
        "Hello {customer.name}, the parcel of your order {order.number} ({shipment.carrier}, "
        "tracking number {shipment.tracking_number}) is waiting for you at the pickup point. "
        "Please collect it soon, or it may be sent back: {shipment.tracking_url} - {shop.name}"
    ),
    Situation.STALLED_IN_TRANSIT: (
        "Hello {customer.name}, the parcel of your order {order.number} ({shipment.carrier} "
        "{shipment.tracking_number}) has had no new scan since {shipment.last_scan}. We have "
        "asked the courier to look into it and will write again as soon as we know more. "
        "- {shop.name}"
    ),
    Situation.DELIVERY_FAILED: (
        "Hello {customer.name}, {shipment.carrier} could not deliver the parcel of your order "
        "{order.number} (tracking number {shipment.tracking_number}). Could you confirm your "
        "address and phone number, so that it can be delivered again? - {shop.name}"
    ),
    Situation.EXCEPTION: (
        "Hello {customer.name}, the delivery of your order {order.number} ({shipment.carrier} "
        "{shipment.tracking_number}) ran into a problem. We are sorting it out with the courier "
        "and will get back to you shortly. - {shop.name}"
    ),
    Situation.HOLIDAY_DELAY: (
        "Hello {customer.name}, because of the holidays your order {order.number} is taking "
        "longer than usual. Shipping and deliveries are back to normal after {holiday.until}. "
        "Thank you for your patience. - {shop.name}"
    ),
}

_CHINESE = {
    Situation.NOT_SHIPPED: (
        "{customer.name}您好，感谢您的订单 {order.number}。商品正在备货，还没有出库；"
        "发货后我们会第一时间把快递单号发给您。——{shop.name}"
    ),
    Situation.AWAITING_PICKUP: (
        "{customer.name}您好，您订单 {order.number} 的包裹（{shipment.carrier}，单号 "
        "{shipment.tracking_number}）已经到达自提点，请尽快取件，以免被退回。"
        "物流查询：{shipment.tracking_url} ——{shop.name}"
    ),
    Situation.STALLED_IN_TRANSIT: (
        "{customer.name}您好，您订单 {order.number} 的包裹（{shipment.carrier} "
        "{shipment.tracking_number}）自 {shipment.last_scan} 以来没有新的物流信息。"
        "我们已请快递公司核查，一有进展会马上告诉您。——{shop.name}"
    ),
    Situation.DELIVERY_FAILED: (
        "{customer.name}您好，{shipment.carrier} 未能派送您订单 {order.number} 的包裹"
        "（单号 {shipment.tracking_number}）。麻烦您和我们核对一下收货地址和电话，以便重新派送。"
        "——{shop.name}"
    ),
    Situation.EXCEPTION: (
        "{customer.name}您好，您订单 {order.number}（{shipment.carrier} "
        "{shipment.tracking_number}）的配送出现了异常，我们正在和快递公司处理，稍后会联系您。"
        "——{shop.name}"
    ),
    Situation.HOLIDAY_DELAY: (
        "{customer.name}您好，受节假日影响，您的订单 {order.number} 处理得比平时慢一些，"
        "{holiday.until} 之后发货和派送会恢复正常。感谢您的耐心等待。——{shop.name}"
    ),
}

# Where the customer's own page helps: while they wait, when it is late, when it went wrong.
_OFFER_LINK = (
    Situation.NOT_SHIPPED,
    Situation.STALLED_IN_TRANSIT,
    Situation.EXCEPTION,
    Situation.HOLIDAY_DELAY,
)


def _offering_link(lang: str, texts: Mapping[Situation, str]) -> dict[Situation, str]:
    """``texts`` with the link sentence put before the signature, where it helps."""
    found = dict(texts)
    for case in _OFFER_LINK:
        text = texts[case]
        signed = _SIGNATURE.search(text)
        at = signed.start() if signed else len(text)
        found[case] = text[:at] + LINK_SENTENCES[lang] + text[at:]
    return found


DEFAULT_TEMPLATES: Mapping[str, Mapping[Situation, str]] = {
    "en": _offering_link("en", _ENGLISH),
    "zh": _offering_link("zh", _CHINESE),
}
_WITHOUT_LINK = {
    DEFAULT_TEMPLATES[lang][case]: texts[case]
    for lang, texts in (("en", _ENGLISH), ("zh", _CHINESE))
    for case in _OFFER_LINK
}


def uses_link(template: str) -> bool:
    """Whether ``template`` asks for ``{tracking.link}``."""
    return any(m.group(1) == "tracking.link" for m in _PLACEHOLDER.finditer(template))


def is_own_template(template: str) -> bool:
    """Whether ``template`` is one of orderwatch's own (which do without a link when needed)."""
    return template in _WITHOUT_LINK


class TemplateProblem(ValueError):
    """A reply template that cannot be rendered; ``str()`` says why."""


def check_template(text: str) -> None:
    """Raise :class:`TemplateProblem` for an unknown placeholder or a stray brace."""
    for match in _PLACEHOLDER.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise TemplateProblem(f"a lone {token!r} (write {token * 2} for a literal brace)")
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
            raise TemplateProblem(f"unknown placeholder {{{name}}} (known: {known})")


@dataclass(frozen=True, slots=True)
class ReplyBook:
    """The shop's reply templates and what picking one needs, as the daemon stores them."""

    shop_name: str = ""
    timezone: str = "UTC"
    stalled_after: timedelta = DEFAULT_STALLED_AFTER
    holidays: tuple[tuple[date, date], ...] = ()
    """Inclusive local date ranges during which a delay is put down to the holidays."""
    templates: Mapping[str, Mapping[Situation, str]] = field(
        default_factory=lambda: DEFAULT_TEMPLATES
    )

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)

    def to_json(self) -> str:
        return json.dumps(
            {
                "shop_name": self.shop_name,
                "timezone": self.timezone,
                "stalled_after": int(self.stalled_after.total_seconds()),
                "holidays": [[a.isoformat(), b.isoformat()] for a, b in self.holidays],
                "templates": {
                    lang: {str(s): text for s, text in texts.items()}
                    for lang, texts in self.templates.items()
                },
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ReplyBook:
        """The stored book, or the defaults when none was stored (or it is unreadable)."""
        try:
            data = json.loads(text) if text else None
            if not isinstance(data, dict):
                return cls()
            return cls(
                shop_name=str(data.get("shop_name", "")),
                timezone=str(data.get("timezone", "UTC")),
                stalled_after=timedelta(seconds=int(data.get("stalled_after", 172800))),
                holidays=tuple(
                    (date.fromisoformat(a), date.fromisoformat(b))
                    for a, b in data.get("holidays", [])
                ),
                templates={
                    str(lang): {Situation(s): str(t) for s, t in texts.items()}
                    for lang, texts in data.get("templates", {}).items()
                },
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def holiday_until(self, now: datetime) -> date | None:
        """The last day of the holiday range ``now`` falls in (local days), or None."""
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        ends = [last for first, last in self.holidays if first <= today <= last]
        return max(ends) if ends else None


def situation(
    order: OrderRow, parcel: ShipmentRow | None, now: datetime, book: ReplyBook
) -> Situation | None:
    """The situation a reply to the customer should address, or None when there is none (the
    order is cancelled, delivered, or moving as it should)."""
    if order.lifecycle in (Lifecycle.CANCELLED, Lifecycle.DELETED):
        return None
    holiday = book.holiday_until(now) is not None
    if parcel is None:
        if order.fulfillment_status in ("fulfilled", "not_required", "restocked"):
            return None
        return Situation.HOLIDAY_DELAY if holiday else Situation.NOT_SHIPPED
    status = parcel.status
    if status in ("delivered", "returned", "expired", "cancelled"):
        return None
    direct = {
        ShipmentStatus.AVAILABLE_FOR_PICKUP: Situation.AWAITING_PICKUP,
        ShipmentStatus.DELIVERY_FAILED: Situation.DELIVERY_FAILED,
        ShipmentStatus.EXCEPTION: Situation.EXCEPTION,
        ShipmentStatus.REFUSED: Situation.EXCEPTION,
        ShipmentStatus.RETURNING: Situation.EXCEPTION,
    }
    if status in direct:
        return direct[ShipmentStatus(status)]
    if holiday:
        return Situation.HOLIDAY_DELAY
    last = parcel.last_checkpoint_at or parcel.shipped_at
    if status == ShipmentStatus.DELAYED or (last is not None and now - last >= book.stalled_after):
        return Situation.STALLED_IN_TRANSIT
    return None


def render(
    template: str,
    order: OrderRow,
    parcel: ShipmentRow | None,
    now: datetime,
    book: ReplyBook,
    link: str = "",
) -> str:
    """``template`` with its placeholders filled from the order and its parcel.

    ``link`` is the order's tracking-page address for ``{tracking.link}``; without one,
    orderwatch's own templates leave their link sentence out and a shop's shows
    :data:`LINK_UNAVAILABLE`.
    """
    zone = ZoneInfo(book.timezone)
    values = _values(order, parcel, now, book, zone)
    values["tracking.link"] = link or LINK_UNAVAILABLE
    if not link:
        template = _WITHOUT_LINK.get(template, template)
    if not book.shop_name:
        # No name to sign with: drop the signature rather than end the message with "- -".
        template = _SIGNATURE.sub("", template)

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values.get(name or "", "") or "-"

    return _PLACEHOLDER.sub(fill, template)


def _values(
    order: OrderRow, parcel: ShipmentRow | None, now: datetime, book: ReplyBook, zone: ZoneInfo
) -> dict[str, str]:
    holiday = book.holiday_until(now)
    values = {
        "shop.name": book.shop_name,
        "order.number": order.number,
        "order.created": _day(order.created_at, zone),
        "customer.name": order.customer_name,
        "holiday.until": holiday.isoformat() if holiday else "",
    }
    if parcel is not None:
        known = carrier(parcel.carrier)
        values |= {
            "shipment.carrier": known.name if known else (parcel.carrier_raw or parcel.carrier),
            "shipment.tracking_number": parcel.tracking_number,
            "shipment.tracking_url": parcel.tracking_url,
            "shipment.last_scan": _minute(parcel.last_checkpoint_at, zone),
            "shipment.eta": _day(parcel.eta, zone),
        }
    return values


def _day(instant: datetime | None, zone: ZoneInfo) -> str:
    return "" if instant is None else instant.astimezone(zone).date().isoformat()


def _minute(instant: datetime | None, zone: ZoneInfo) -> str:
    return "" if instant is None else instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def pick_language(book: ReplyBook, wanted: str) -> str | None:
    """The book's language for ``wanted`` (``zh-CN`` finds ``zh``), or None."""
    if wanted in book.templates:
        return wanted
    base = wanted.split("-")[0].split("_")[0].lower()
    return base if base in book.templates else None
