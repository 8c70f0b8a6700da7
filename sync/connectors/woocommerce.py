"""WooCommerce REST API v3: a WordPress shop's orders (kind ``woocommerce``).

Settings: ``url`` (the site, e.g. ``https://shop.example``), ``key`` and ``secret`` (a REST API
consumer key and secret), ``auth`` (``basic``, the default, or ``query`` for hosts that strip the
``Authorization`` header), ``page_size`` (default 100, WordPress's maximum),
``lookback_seconds`` (default 900) and ``status_map`` (below), plus the HTTP settings of
:mod:`sync.connectors.base`.

A run asks ``GET /wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&orderby=id&order=asc``
page by page until ``X-WP-TotalPages``; ``X-WP-Total`` is the run's size for progress. WooCommerce
cannot sort by modification time, so pages go by id: an order modified during the run can only
join the listing (a repeat, never a gap), and ``high`` is the newest ``date_modified_gmt`` of the
whole run. ``modified_after`` is exclusive, so the window opens one second before the bookmark.

Times are read from the ``*_gmt`` fields as UTC (WooCommerce writes them without a zone; the
plain fields are site-local). The Shipment Tracking extension's ``_wc_shipment_tracking_items``
meta becomes shipments.

Statuses map to the three axes (research apis.md §8); anything else, a plugin's own status, is
kept raw and read from ``status_map``: ``"wc-awaiting-pickup=in_progress, shipped=paid+fulfilled"``
(the ``wc-`` prefix is optional), each value a ``+``-joined list of words from the three
vocabularies. Axes a custom status does not name are read from the order itself: paid once
``date_paid_gmt`` is set, fulfilled once it has tracking, open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from sync.carriers import normalize_carrier
from sync.connectors.base import OrderPage, OrderSource, required, setting_number
from sync.connectors.fields import (
    JSON,
    array,
    deleted_id,
    full_name,
    gmt_instant,
    load_json,
    money,
    table,
    text,
)
from sync.connectors.window import Window
from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError
from sync.http import CredentialsRefused, Sleep

MAX_PAGE = 100
TRACKING_META = "_wc_shipment_tracking_items"
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
DELETE_TOPIC = "order.deleted"


@dataclass(frozen=True, slots=True)
class Axes:
    """What a status says about each axis; None where it says nothing."""

    payment: PaymentStatus | None = None
    fulfillment: FulfillmentStatus | None = None
    lifecycle: Lifecycle | None = None


P, F, L = PaymentStatus, FulfillmentStatus, Lifecycle
STATUSES: dict[str, Axes] = {
    "pending": Axes(P.PENDING, F.UNFULFILLED, L.OPEN),
    "processing": Axes(P.PAID, F.UNFULFILLED, L.OPEN),
    "on-hold": Axes(P.PENDING, F.ON_HOLD, L.OPEN),
    "completed": Axes(P.PAID, F.FULFILLED, L.CLOSED),
    "cancelled": Axes(P.VOIDED, F.UNFULFILLED, L.CANCELLED),
    "refunded": Axes(P.REFUNDED, None, L.CLOSED),
    "failed": Axes(P.FAILED, F.UNFULFILLED, L.OPEN),
    "trash": Axes(None, None, L.DELETED),
    "checkout-draft": Axes(P.PENDING, F.UNFULFILLED, L.OPEN),
}


def parse_status_map(spec: str, where: str) -> dict[str, Axes]:
    """``"wc-shipped=paid+fulfilled, lost=cancelled"`` → status → :class:`Axes`."""
    mapping: dict[str, Axes] = {}
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        status, sep, words = part.partition("=")
        if not sep or not status.strip() or not words.strip():
            raise ConfigError(f"{where}: status_map {part!r}: expected status=word[+word]")
        axes = Axes()
        for word in (w.strip() for w in words.split("+")):
            axes = _with_word(axes, word, f"{where}: status_map {part!r}")
        mapping[status.strip().removeprefix("wc-")] = axes
    return mapping


def _with_word(axes: Axes, word: str, where: str) -> Axes:
    if word in PaymentStatus.__members__.values():
        return Axes(PaymentStatus(word), axes.fulfillment, axes.lifecycle)
    if word in FulfillmentStatus.__members__.values():
        return Axes(axes.payment, FulfillmentStatus(word), axes.lifecycle)
    if word in Lifecycle.__members__.values():
        return Axes(axes.payment, axes.fulfillment, Lifecycle(word))
    raise ConfigError(f"{where}: {word!r} is no payment, fulfillment or lifecycle status")


def _shipments(node: JSON) -> tuple[ShipmentRecord, ...]:
    shipments: list[ShipmentRecord] = []
    for meta in array(node.get("meta_data"), "meta_data"):
        if not isinstance(meta, dict) or meta.get("key") != TRACKING_META:
            continue
        for position, item in enumerate(array(meta.get("value"), TRACKING_META)):
            number = text(table(item, TRACKING_META).get("tracking_number")).strip()
            if not number:
                continue
            company = text(item.get("custom_tracking_provider") or item.get("tracking_provider"))
            shipped = text(item.get("date_shipped"))
            ident = text(item.get("tracking_id")) or str(position + 1)
            shipments.append(
                ShipmentRecord(
                    external_id=f"{node['id']}/{ident}",
                    tracking_number=number,
                    carrier=normalize_carrier(company),
                    carrier_raw=company,
                    tracking_url=text(item.get("custom_tracking_link")),
                    shipped_at=(
                        datetime.fromtimestamp(int(shipped), UTC) if shipped.isdigit() else None
                    ),
                )
            )
    return tuple(shipments)


def _line_items(node: JSON) -> tuple[LineItem, ...]:
    return tuple(
        LineItem(
            external_id=text(item["id"]),
            title=text(item.get("name")),
            quantity=int(item.get("quantity") or 0),
            sku=text(item.get("sku")),
            price=money(item.get("price"), "line item price"),
        )
        for item in array(node.get("line_items"), "line_items")
    )


def _required_gmt(node: JSON, key: str) -> datetime:
    instant = gmt_instant(node.get(key))
    if instant is None:
        raise PayloadError(f"order {node.get('id')!r} has no {key}")
    return instant


def woo_order_record(node: JSON, source: str, custom: Mapping[str, Axes]) -> OrderRecord:
    """One WooCommerce order object as a record; PayloadError when it is not one."""
    if not isinstance(node, dict):
        raise PayloadError(f"{source}: an order is not an object")
    try:
        return _order_record(node, source, custom)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayloadError(f"{source}: unreadable order {node.get('id')!r}: {exc}") from exc


def _order_record(node: JSON, source: str, custom: Mapping[str, Axes]) -> OrderRecord:
    status = text(node.get("status"))
    paid_at = gmt_instant(node.get("date_paid_gmt"))
    shipments = _shipments(node)
    axes = STATUSES.get(status) or custom.get(status.removeprefix("wc-")) or Axes()
    payment = axes.payment or PaymentStatus.PENDING
    if paid_at and payment == PaymentStatus.PENDING:
        payment = PaymentStatus.PAID  # a payment date proves a payment, whatever the status
    if payment == PaymentStatus.PAID and array(node.get("refunds"), "refunds"):
        payment = PaymentStatus.PARTIALLY_REFUNDED
    fulfillment = axes.fulfillment or (
        FulfillmentStatus.FULFILLED if shipments else FulfillmentStatus.UNFULFILLED
    )
    billing = table(node.get("billing"), "billing")
    shipping = table(node.get("shipping"), "shipping")
    who = shipping if shipping.get("first_name") or shipping.get("last_name") else billing
    street = ", ".join(str(p) for p in (shipping.get("address_1"), shipping.get("address_2")) if p)
    lifecycle = axes.lifecycle or Lifecycle.OPEN
    return OrderRecord(
        source=source,
        external_id=text(node["id"]),
        number=text(node.get("number") or node["id"]),
        updated_at=_required_gmt(node, "date_modified_gmt"),
        created_at=_required_gmt(node, "date_created_gmt"),
        payment_status=payment,
        fulfillment_status=fulfillment,
        lifecycle=lifecycle,
        payment_raw=status,
        fulfillment_raw=status,
        lifecycle_raw=status,
        channel=text(node.get("created_via")),
        currency=text(node.get("currency")),
        total=money(node.get("total"), "total"),
        customer_name=full_name(who.get("first_name"), who.get("last_name")),
        phone=text(billing.get("phone") or shipping.get("phone")),
        email=text(billing.get("email")),
        address=street,
        city=text(shipping.get("city")),
        province=text(shipping.get("state")),
        country=text(shipping.get("country")),
        postcode=text(shipping.get("postcode")),
        paid_at=paid_at,
        closed_at=gmt_instant(node.get("date_completed_gmt")),
        line_items=_line_items(node),
        shipments=shipments,
        raw=node,
    )


def parse_woocommerce_payload(
    body: Any, source: str, custom: Mapping[str, Axes] | None = None
) -> list[OrderRecord]:
    """Orders of a list page (a JSON array), a single order or a webhook body (an object)."""
    statuses = custom or {}
    if isinstance(body, list):
        return [woo_order_record(node, source, statuses) for node in body]
    if isinstance(body, dict) and "id" in body and "date_modified_gmt" in body:
        return [woo_order_record(body, source, statuses)]
    if isinstance(body, dict) and "code" in body and "message" in body:
        raise PayloadError(f"{source}: WooCommerce answered {body['code']}: {body['message']}")
    raise PayloadError(f"{source}: neither an orders page, an order nor an order webhook")


class WooCommerceSource(OrderSource):
    kind: ClassVar[str] = "woocommerce"

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        settings: Mapping[str, str],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(name, client, settings, sleep=sleep)
        required(settings, ("url", "key", "secret"), self.where)
        self.endpoint = f"{settings['url'].rstrip('/')}/wp-json/wc/v3/orders"
        self.page_size = int(setting_number(settings, "page_size", MAX_PAGE, self.where))
        if not 1 <= self.page_size <= MAX_PAGE:
            raise ConfigError(f"{self.where}: page_size must be between 1 and {MAX_PAGE}")
        self.lookback = timedelta(
            seconds=setting_number(settings, "lookback_seconds", 900, self.where)
        )
        self.auth = settings.get("auth") or "basic"
        if self.auth not in ("basic", "query"):
            raise ConfigError(f"{self.where}: auth must be basic or query")
        self.statuses = parse_status_map(settings.get("status_map", ""), self.where)

    async def fetch_page(self, cursor: str) -> OrderPage:
        window = Window.load(cursor, self.name)
        page = int(window.after) if window.after and window.after.isdigit() else 1
        params: dict[str, Any] = {
            "page": page,
            "per_page": self.page_size,
            "orderby": "id",
            "order": "asc",
            "dates_are_gmt": "true",
        }
        if window.since is not None:
            opens = window.since - timedelta(seconds=1)
            params["modified_after"] = opens.strftime("%Y-%m-%dT%H:%M:%S")
        response = await self._get(params)
        body = self.json_body(response)
        if not isinstance(body, list):
            raise PayloadError(f"{self.name}: an orders page is not a JSON list")
        orders = parse_woocommerce_payload(body, self.name, self.statuses)
        pages = _count_header(response, "X-WP-TotalPages", self.name)
        more = page < pages
        following = window.advance(orders, str(page + 1) if more else None, lookback=self.lookback)
        total = _count_header(response, "X-WP-Total", self.name)
        return OrderPage(orders=tuple(orders), cursor=following.dump(), more=more, total=total)

    def full_pass(self, cursor: str) -> str | None:
        start = Window.load(cursor, self.name).full_pass()
        return None if start is None else start.dump()

    def parse_push(self, topic: str, body: bytes) -> list[OrderRecord]:
        if topic not in ORDER_TOPICS:
            return []
        return parse_woocommerce_payload(load_json(body), self.name, self.statuses)

    def parse_deletions(self, topic: str, body: bytes) -> list[str]:
        # order.deleted names only the order's id; an order restored from the trash comes
        # back as order.restored with the whole order, newer than the deletion, and wins.
        return [deleted_id(body, self.name)] if topic == DELETE_TOPIC else []

    async def _get(self, params: dict[str, Any]) -> httpx.Response:
        key, secret = self.settings["key"], self.settings["secret"]
        extra: dict[str, Any] = {"auth": (key, secret)}
        if self.auth == "query":
            params = {**params, "consumer_key": key, "consumer_secret": secret}
            extra = {}
        try:
            response = await self.request("GET", self.endpoint, params=params, **extra)
        except CredentialsRefused as exc:
            raise SourceAuthError(
                f"{self.name}: consumer key or secret refused (HTTP {exc.status})"
            ) from None
        if response.status_code != 200:
            raise SourceError(f"{self.name}: HTTP {response.status_code} from {self.endpoint}")
        return response


def _count_header(response: httpx.Response, header: str, source: str) -> int:
    value = response.headers.get(header, "")
    if not value.isdigit():
        raise PayloadError(f"{source}: the orders page has no {header} header")
    return int(value)
