"""Domain records and status vocabularies, in the shop's own words.

Connectors turn vendor payloads into the ``*Record`` types below; the store writes them and hands
back ``*Row`` types. Raw vendor values always travel next to the normalized ones, so a mapping can
be fixed later without fetching again. All instants are timezone-aware UTC ``datetime`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"
    EXPIRED = "expired"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    SCHEDULED = "scheduled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    NOT_REQUIRED = "not_required"
    RESTOCKED = "restocked"


class Lifecycle(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DELETED = "deleted"


class ShipmentStatus(StrEnum):
    PENDING = "pending"
    NOT_FOUND = "not_found"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILED = "delivery_failed"
    DELAYED = "delayed"
    EXCEPTION = "exception"
    REFUSED = "refused"
    RETURNING = "returning"
    RETURNED = "returned"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_SHIPMENT_STATUSES


TERMINAL_SHIPMENT_STATUSES = frozenset(
    {
        ShipmentStatus.RETURNED,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.EXPIRED,
        ShipmentStatus.CANCELLED,
    }
)


class EscalationState(StrEnum):
    WARNING = "warning"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class TimerState(StrEnum):
    PENDING = "pending"
    PAUSED = "paused"
    WARNING = "warning"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class SubjectKind(StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    SOURCE = "source"


def utc(instant: datetime) -> datetime:
    """``instant`` in UTC; refuses a zone-less value rather than guessing its zone."""
    if instant.tzinfo is None:
        raise ValueError(f"zone-less time {instant.isoformat()} cannot be stored as an instant")
    return instant.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class LineItem:
    external_id: str
    title: str
    quantity: int
    sku: str = ""
    price: str = "0"


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """A parcel as the shop platform knows it (a fulfillment with a tracking number)."""

    external_id: str
    tracking_number: str
    carrier: str
    carrier_raw: str = ""
    tracking_url: str = ""
    shipped_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order as a source reports it, normalized to the three status axes."""

    source: str
    external_id: str
    number: str
    updated_at: datetime
    created_at: datetime
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    lifecycle: Lifecycle
    payment_raw: str = ""
    fulfillment_raw: str = ""
    lifecycle_raw: str = ""
    channel: str = ""
    currency: str = ""
    total: str = "0"
    customer_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    country: str = ""
    postcode: str | None = None
    """None when the source has no such field (a guard never reports it missing then)."""
    district: str | None = None
    tags: tuple[str, ...] = ()
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    promised_at: datetime | None = None
    line_items: tuple[LineItem, ...] = ()
    shipments: tuple[ShipmentRecord, ...] = ()
    raw: JSON = field(default_factory=dict)
    raw_text: str | None = field(default=None, compare=False, repr=False)
    """``raw`` as the source sent it, when known: it is stored as is, not encoded again."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One courier scan. ``at`` is None when the provider gave no zone and none could be assumed."""

    at: datetime | None
    at_raw: str
    description: str
    location: str = ""
    status: ShipmentStatus = ShipmentStatus.UNKNOWN
    status_raw: str = ""
    zoneless: bool = False


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """A parcel's track as a tracking provider reports it."""

    provider: str
    tracking_number: str
    carrier: str
    status: ShipmentStatus
    status_raw: str
    substatus_raw: str = ""
    checkpoints: tuple[Checkpoint, ...] = ()
    """Oldest first, by absolute time."""
    raw: JSON = field(default_factory=dict)
    eta: datetime | None = None
    """The delivery the provider expects (its latest estimate), when it gives one."""
    signed_by: str = ""
    provider_ref: str = ""
    """The provider's own id for the parcel (AfterShip's tracking id), when it has one."""

    @property
    def last_event_at(self) -> datetime | None:
        """The latest checkpoint instant (zone-less scans without an instant are left out)."""
        instants = [c.at for c in self.checkpoints if c.at is not None]
        return max(instants) if instants else None


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order as the store holds it."""

    id: int
    source: str
    external_id: str
    number: str
    channel: str
    payment_status: str
    fulfillment_status: str
    lifecycle: str
    total: str
    currency: str
    customer_name: str
    phone: str
    email: str
    address: str
    city: str
    province: str
    country: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    promised_at: datetime | None
    version: int
    change_seq: int
    payment_raw: str = ""
    fulfillment_raw: str = ""
    lifecycle_raw: str = ""
    reserved_at: datetime | None = None
    """Warehouse stages, from ERP/warehouse exports: stock reserved, picked, packed, handed over."""
    picked_at: datetime | None = None
    packed_at: datetime | None = None
    handed_over_at: datetime | None = None

    @property
    def vip(self) -> bool:
        return any(tag.lower() == "vip" for tag in self.tags)


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    id: int
    order_id: int
    external_id: str
    carrier: str
    carrier_raw: str
    tracking_number: str
    tracking_url: str
    status: str
    status_raw: str
    substatus_raw: str
    shipped_at: datetime | None
    last_checkpoint_at: datetime | None
    delivered_at: datetime | None
    tracked_by: str
    version: int
    change_seq: int
    eta: datetime | None = None
    signed_by: str = ""
    unfollowable: str = ""
    """Why no tracking service follows this parcel any more; empty while one does."""


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    id: int
    shipment_id: int
    at: datetime | None
    at_raw: str
    zoneless: bool
    description: str
    location: str
    status: str
    status_raw: str


@dataclass(frozen=True, slots=True)
class EventRow:
    """One line of the append-only timeline (the audit log)."""

    id: int
    at: datetime
    actor: str
    order_id: int | None
    subject_kind: str
    subject_id: int | None
    kind: str
    field: str
    from_value: str
    to_value: str
    detail: str


@dataclass(frozen=True, slots=True)
class EscalationRow:
    id: int
    rule_id: str
    subject_kind: str
    subject_id: int
    order_id: int | None
    """None for an escalation about a source (a stale tracking feed): see ``source``."""
    order_number: str
    """'' for an escalation about a source."""
    severity: str
    summary: str
    state: str
    level: int
    opened_at: datetime
    deadline_at: datetime
    acked_at: datetime | None
    acked_by: str
    assignee: str
    snoozed_until: datetime | None
    resolved_at: datetime | None
    resolution: str
    version: int
    change_seq: int
    resolved_by: str = ""
    policy: str = ""
    """The escalation policy it follows ('' when none); its ladder is frozen as it started."""
    policy_version: str = ""
    ladder_round: int = 1
    """How many times its ladder started (again): an expired acknowledgement, a reopen."""
    repeat_no: int = 0
    level_started_at: datetime | None = None
    next_step_at: datetime | None = None
    delivery_error: str = ""
    """The last notification about it that could not be delivered ('' when none failed)."""
    first_acked_at: datetime | None = None
    first_acked_by: str = ""
    first_ack_level: int | None = None
    source: str = ""
    """The source (a tracking feed such as ``17track``) an escalation about no order is about."""

    @property
    def open(self) -> bool:
        return self.state != EscalationState.RESOLVED

    @property
    def about(self) -> str:
        """What it is about, as agents name it: the order number, or the feed's name."""
        return self.order_number if self.order_id is not None else self.source

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now


@dataclass(frozen=True, slots=True)
class SourceRow:
    name: str
    kind: str
    cursor: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    rows_synced: int


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    rule_id: str
    subject_kind: str
    subject_id: int
    order_id: int
    started_at: datetime
    deadline_at: datetime
    warn_at: datetime | None
    next_at: datetime | None
    state: str
    rules_version: str
    escalation_id: int | None
    timeout_seconds: int = 0
    clock: str = "wall"
    override: str = ""
    modifiers: str = ""
    paused_seconds: int = 0
    paused_since: datetime | None = None
    muted_by: str = ""
    last_true_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """An order source's circuit breaker and the run it is in (or last finished).

    ``run_total`` is what the source said the run would bring, when it says; ``rate`` and
    ``seconds_left`` are worked out from the rows done since ``run_started_at``.
    """

    name: str
    kind: str
    breaker_state: str
    breaker_changed_at: datetime | None
    run_started_at: datetime | None
    run_finished_at: datetime | None
    run_rows: int
    run_total: int | None
    run_full: bool
    reconciled_at: datetime | None

    @property
    def running(self) -> bool:
        return self.run_started_at is not None and self.run_finished_at is None

    def rate(self, now: datetime) -> float | None:
        """Rows a second so far in this run."""
        if self.run_started_at is None:
            return None
        end = self.run_finished_at or now
        seconds = (end - self.run_started_at).total_seconds()
        return self.run_rows / seconds if seconds > 0 and self.run_rows else None

    def seconds_left(self, now: datetime) -> float | None:
        rate = self.rate(now)
        if not self.running or rate is None or self.run_total is None:
            return None
        return max(0.0, (self.run_total - self.run_rows) / rate)


@dataclass(frozen=True, slots=True)
class WebhookRow:
    """A webhook delivery waiting in the inbox."""

    id: int
    source: str
    delivery_id: str
    topic: str
    body: bytes
    received_at: datetime
    attempts: int
