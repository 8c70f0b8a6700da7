"""The fields a rule can read, in one table: path, type, where it comes from, what it means.

Expressions (``order.payment_status == 'paid'``) and templates (``{order.number}``) both resolve
names here, so a field the table does not list is a load error, never a runtime surprise. Values
at run time are plain Python: numbers are ``Decimal``, times are aware UTC ``datetime``, lists are
tuples, and a value the store does not have is ``None``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from daemon.rules.guard_fields import GUARD_FIELDS
from daemon.rules.subject import Subject
from sync.domain import (
    TERMINAL_SHIPMENT_STATUSES,
    FulfillmentStatus,
    Lifecycle,
    PaymentStatus,
    ShipmentRow,
    ShipmentStatus,
    SubjectKind,
)
from sync.store import SourceHealth

Scalar = Decimal | str | bool | datetime | timedelta
Value = Scalar | tuple[Scalar, ...] | None


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "true/false"
    TIME = "time"
    DURATION = "duration"
    LIST = "list"


@dataclass(frozen=True, slots=True)
class Type:
    """A value's type. ``vocabulary`` closes a text type (a status); ``item`` types a list."""

    kind: Kind
    item: Kind | None = None
    vocabulary: frozenset[str] = frozenset()
    label: str = ""

    def __str__(self) -> str:
        if self.label:
            return self.label
        if self.kind is Kind.LIST and self.item is not None:
            return f"list of {self.item}"
        return str(self.kind)


NUMBER = Type(Kind.NUMBER)
TEXT = Type(Kind.TEXT)
BOOL = Type(Kind.BOOL)
TIME = Type(Kind.TIME)
DURATION = Type(Kind.DURATION)
TEXT_LIST = Type(Kind.LIST, item=Kind.TEXT)


def _status(label: str, values: Iterable[str]) -> Type:
    return Type(Kind.TEXT, vocabulary=frozenset(values), label=label)


@dataclass(frozen=True, slots=True)
class Field:
    """One readable field. ``scope`` is the only subject kind that has it (None: every rule)."""

    path: str
    type: Type
    get: Callable[[Subject], Value]
    help: str
    scope: SubjectKind | None = None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parcel(read: Callable[[ShipmentRow], Value]) -> Callable[[Subject], Value]:
    def get(subject: Subject) -> Value:
        return None if subject.shipment is None else read(subject.shipment)

    return get


_ORDER_FIELDS = [
    Field("order.number", TEXT, lambda s: s.order.number, "the shop's order number"),
    Field("order.source", TEXT, lambda s: s.order.source, "the source it was mirrored from"),
    Field("order.channel", TEXT, lambda s: s.order.channel, "sales channel (web, pos, ...)"),
    Field(
        "order.payment_status",
        _status("payment status", PaymentStatus),
        lambda s: s.order.payment_status,
        "normalized payment status",
    ),
    Field(
        "order.fulfillment_status",
        _status("fulfillment status", FulfillmentStatus),
        lambda s: s.order.fulfillment_status,
        "normalized fulfillment status",
    ),
    Field(
        "order.lifecycle",
        _status("order lifecycle", Lifecycle),
        lambda s: s.order.lifecycle,
        "open, closed, cancelled or deleted",
    ),
    Field("order.total", NUMBER, lambda s: _number(s.order.total), "gross total"),
    Field("order.currency", TEXT, lambda s: s.order.currency, "ISO currency code"),
    Field("order.country", TEXT, lambda s: s.order.country, "shipping country code"),
    Field("order.province", TEXT, lambda s: s.order.province, "shipping province or state"),
    Field("order.city", TEXT, lambda s: s.order.city, "shipping city"),
    Field("order.tags", TEXT_LIST, lambda s: s.order.tags, "the shop's tags on the order"),
    Field("order.vip", BOOL, lambda s: s.order.vip, "tagged vip (any case)"),
    Field("order.created_at", TIME, lambda s: s.order.created_at, "when it was placed"),
    Field("order.updated_at", TIME, lambda s: s.order.updated_at, "last change at the source"),
    Field("order.paid_at", TIME, lambda s: s.order.paid_at, "when payment was captured"),
    Field("order.promised_at", TIME, lambda s: s.order.promised_at, "promised delivery time"),
    Field(
        "order.reserved_at",
        TIME,
        lambda s: s.order.reserved_at,
        "stock reserved in the warehouse (from a warehouse export)",
    ),
    Field("order.picked_at", TIME, lambda s: s.order.picked_at, "picked in the warehouse"),
    Field("order.packed_at", TIME, lambda s: s.order.packed_at, "packed in the warehouse"),
    Field(
        "order.handed_over_at",
        TIME,
        lambda s: s.order.handed_over_at,
        "handed from the warehouse to the courier",
    ),
    Field(
        "order.parcels",
        NUMBER,
        lambda s: Decimal(len(s.shipments)),
        "how many parcels it has",
    ),
    Field("customer.name", TEXT, lambda s: s.order.customer_name, "the customer's name"),
    Field("customer.email", TEXT, lambda s: s.order.email, "the customer's e-mail"),
    Field("customer.vip", BOOL, lambda s: s.order.vip, "same as order.vip"),
]

_SHIPMENT = SubjectKind.SHIPMENT

_SHIPMENT_FIELDS = [
    Field(
        "shipment.status",
        _status("shipment status", ShipmentStatus),
        _parcel(lambda p: p.status),
        "the courier's aggregate status",
        _SHIPMENT,
    ),
    Field(
        "shipment.status_raw",
        TEXT,
        _parcel(lambda p: p.status_raw),
        "the status as the provider spelt it",
        _SHIPMENT,
    ),
    Field("shipment.carrier", TEXT, _parcel(lambda p: p.carrier), "carrier code", _SHIPMENT),
    Field(
        "shipment.tracking_number",
        TEXT,
        _parcel(lambda p: p.tracking_number),
        "tracking number",
        _SHIPMENT,
    ),
    Field(
        "shipment.tracked_by",
        TEXT,
        _parcel(lambda p: p.tracked_by),
        "tracking provider",
        _SHIPMENT,
    ),
    Field(
        "shipment.terminal",
        BOOL,
        _parcel(lambda p: p.status in TERMINAL_SHIPMENT_STATUSES),
        "delivered, returned, expired or cancelled",
        _SHIPMENT,
    ),
    Field(
        "shipment.shipped_at",
        TIME,
        _parcel(lambda p: p.shipped_at),
        "handed to the courier",
        _SHIPMENT,
    ),
    Field(
        "shipment.last_checkpoint_at",
        TIME,
        _parcel(lambda p: p.last_checkpoint_at),
        "time of the latest courier scan",
        _SHIPMENT,
    ),
    Field(
        "shipment.delivered_at",
        TIME,
        _parcel(lambda p: p.delivered_at),
        "when it was delivered",
        _SHIPMENT,
    ),
]

_SOURCE = SubjectKind.SOURCE


def _feed(read: Callable[[SourceHealth], Value]) -> Callable[[Subject], Value]:
    def get(subject: Subject) -> Value:
        return None if subject.source is None else read(subject.source)

    return get


def _age(subject: Subject) -> Value:
    source = subject.source
    if source is None or subject.now is None or source.last_success_at is None:
        return None
    return subject.now - source.last_success_at


def _error_age(subject: Subject) -> Value:
    source = subject.source
    if source is None or subject.now is None or not source.last_error:
        return None
    if source.last_error_at is None:
        return None
    return subject.now - source.last_error_at


_SOURCE_FIELDS = [
    Field("source.name", TEXT, _feed(lambda f: f.name), "the source's name in the config", _SOURCE),
    Field("source.kind", TEXT, _feed(lambda f: f.kind), "shopify, 17track, ...", _SOURCE),
    Field(
        "source.last_success_at",
        TIME,
        _feed(lambda f: f.last_success_at),
        "when it last answered",
        _SOURCE,
    ),
    Field(
        "source.last_attempt_at",
        TIME,
        _feed(lambda f: f.last_attempt_at),
        "when it was last asked",
        _SOURCE,
    ),
    Field("source.age", DURATION, _age, "time since it last answered", _SOURCE),
    Field(
        "source.last_error",
        TEXT,
        _feed(lambda f: f.last_error),
        "its last error ('' once it answers again)",
        _SOURCE,
    ),
    Field(
        "source.failing",
        BOOL,
        _feed(lambda f: bool(f.last_error)),
        "its last attempt failed",
        _SOURCE,
    ),
    Field(
        "source.failing_for",
        DURATION,
        _error_age,
        "time since its last error, while it is failing",
        _SOURCE,
    ),
    Field(
        "source.breaker",
        _status("breaker state", ("closed", "open", "half_open")),
        _feed(lambda f: f.breaker),
        "its circuit breaker: closed, open or half_open",
        _SOURCE,
    ),
    Field(
        "source.carriers",
        TEXT_LIST,
        _feed(lambda f: f.carriers),
        "the carriers a tracking feed follows (empty: any)",
        _SOURCE,
    ),
]


def _guard(check: str) -> Callable[[Subject], Value]:
    return lambda subject: check in subject.guards


_GUARD_FIELDS = [Field(f"guard.{check}", BOOL, _guard(check), text) for check, text in GUARD_FIELDS]

FIELDS: dict[str, Field] = {
    field.path: field for field in _ORDER_FIELDS + _SHIPMENT_FIELDS + _SOURCE_FIELDS + _GUARD_FIELDS
}


class FieldError(LookupError):
    """A name that is not a field a rule about this subject can read; ``str()`` says why."""


def resolve_field(path: str, subject: SubjectKind) -> Field:
    """The field ``path`` names for a rule about ``subject``, or :class:`FieldError`."""
    field = FIELDS.get(path)
    if field is None:
        close = difflib.get_close_matches(path, FIELDS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise FieldError(f"unknown field {path!r}{hint}")
    if field.scope is not None and field.scope != subject:
        raise FieldError(f"{path} is only available in {field.scope} rules")
    if field.scope is None and subject is SubjectKind.SOURCE:
        raise FieldError(f"{path} is not available in source rules (they read source.* only)")
    return field
