"""What a rule looks at: one order, or one parcel of an order, as the store holds them.

A :class:`Subject` is the evaluation context of every rule expression and template. An order rule
gets one subject per order; a shipment rule gets one per parcel, with the parcel's order beside it
(so ``order.*`` fields work in shipment rules too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    OrderRow,
    PaymentStatus,
    ShipmentRow,
    ShipmentStatus,
    SubjectKind,
)
from sync.store import SourceHealth


@dataclass(frozen=True, slots=True)
class Subject:
    """An order, and the parcel a shipment rule is about (None for order rules).

    ``shipments`` holds every parcel of the order, for fields that summarise them. A rule about
    a source (a tracking feed) gets a subject with ``source`` set, a blank order, and ``now``, so
    fields like ``source.age`` can be computed.
    """

    order: OrderRow
    shipment: ShipmentRow | None = None
    shipments: tuple[ShipmentRow, ...] = ()
    source: SourceHealth | None = None
    now: datetime | None = None
    guards: frozenset[str] = frozenset()
    """The order's guard checks that are up and not dismissed (``guard.*`` fields)."""
    origin: str = ""
    """Where the parcel was first scanned ("" before then): its route's start, for learned
    timeouts (:mod:`daemon.rules.learned`)."""

    @property
    def kind(self) -> SubjectKind:
        if self.source is not None:
            return SubjectKind.SOURCE
        return SubjectKind.ORDER if self.shipment is None else SubjectKind.SHIPMENT

    @property
    def subject_id(self) -> int:
        """The id of the row a timer for this subject hangs on (0 for a source)."""
        if self.source is not None:
            return 0
        return self.order.id if self.shipment is None else self.shipment.id

    @property
    def key(self) -> str:
        """How people name the subject: order number, tracking number, or source name."""
        if self.source is not None:
            return self.source.name
        if self.shipment is not None:
            return self.shipment.tracking_number or self.shipment.external_id
        return self.order.number


def source_subject(source: SourceHealth, now: datetime) -> Subject:
    """The subject of a rule about ``source`` at ``now``."""
    return Subject(_BLANK_ORDER, source=source, now=now)


def subjects_of(
    order: OrderRow,
    shipments: tuple[ShipmentRow, ...] = (),
    guards: frozenset[str] = frozenset(),
    origins: Mapping[int, str] | None = None,
) -> list[Subject]:
    """The order itself, then each of its parcels: everything a sync of this order may re-plan.
    ``origins`` gives each parcel's first-scan place, by parcel id."""
    found = [Subject(order, None, shipments, guards=guards)]
    found.extend(
        Subject(order, parcel, shipments, guards=guards, origin=(origins or {}).get(parcel.id, ""))
        for parcel in shipments
    )
    return found


_SAMPLE_PAID = datetime(2025, 3, 27, 9, 30, tzinfo=UTC)


def sample_order() -> OrderRow:
    """A plausible paid, unfulfilled order: templates are rendered against it at load time."""
    return OrderRow(
        id=1,
        source="sample",
        external_id="sample-1001",
        number="1001",
        channel="web",
        payment_status=PaymentStatus.PAID,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        lifecycle=Lifecycle.OPEN,
        total="80.00",
        currency="EUR",
        customer_name="Ada Example",
        phone="",
        email="ada@example.com",
        address="1 Sample Street",
        city="Berlin",
        province="",
        country="DE",
        tags=("vip",),
        created_at=_SAMPLE_PAID - timedelta(minutes=5),
        updated_at=_SAMPLE_PAID,
        paid_at=_SAMPLE_PAID,
        promised_at=_SAMPLE_PAID + timedelta(days=2),
        version=1,
        change_seq=1,
    )


_BLANK_ORDER = replace(
    sample_order(),
    id=0,
    source="",
    external_id="",
    number="",
    customer_name="",
    email="",
    address="",
    city="",
    country="",
    tags=(),
)


def sample_source() -> SourceHealth:
    """A plausible tracking feed that last answered two hours ago."""
    return SourceHealth(
        name="17track",
        kind="17track",
        last_attempt_at=_SAMPLE_PAID + timedelta(hours=1),
        last_success_at=_SAMPLE_PAID,
        last_error="17track: server error HTTP 503",
        last_error_at=_SAMPLE_PAID + timedelta(hours=1),
    )


def sample_shipment() -> ShipmentRow:
    """A plausible parcel of :func:`sample_order`, in transit."""
    return ShipmentRow(
        id=1,
        order_id=1,
        external_id="sample-parcel-1",
        carrier="dhl",
        carrier_raw="DHL",
        tracking_number="JJD000000001",
        tracking_url="",
        status=ShipmentStatus.IN_TRANSIT,
        status_raw="transit",
        substatus_raw="",
        shipped_at=_SAMPLE_PAID + timedelta(hours=3),
        last_checkpoint_at=_SAMPLE_PAID + timedelta(hours=8),
        delivered_at=None,
        tracked_by="sample",
        version=1,
        change_seq=1,
    )


def sample_subject(kind: SubjectKind) -> Subject:
    """A sample subject of ``kind``, for dry-running templates and expressions."""
    parcel = sample_shipment()
    if kind == SubjectKind.SOURCE:
        return source_subject(sample_source(), _SAMPLE_PAID + timedelta(hours=3))
    if kind == SubjectKind.ORDER:
        return Subject(sample_order(), None, (parcel,))
    return Subject(sample_order(), parcel, (parcel,))
