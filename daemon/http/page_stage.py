"""Where an order stands, for a customer: one stage word and a place on the progress strip.

The strip is paid → packed → shipped → in transit → out for delivery → delivered. An order with
several parcels stands where its slowest parcel stands. Troubles (a courier exception, a failed
delivery, a return) keep the place reached and say what went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sync.domain import FulfillmentStatus, Lifecycle, OrderRow, PaymentStatus, ShipmentRow

STEPS = ("paid", "packed", "shipped", "in_transit", "out_for_delivery", "delivered")
PAID, PACKED, SHIPPED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED = range(len(STEPS))
NOT_STARTED = -1

_PAID = {PaymentStatus.PAID, PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_REFUNDED}


@dataclass(frozen=True, slots=True)
class Stage:
    word: str
    """The key of the stage's sentence in :mod:`daemon.http.page_words`."""
    reached: int
    """Index in :data:`STEPS` of the last step done; -1 before payment."""
    trouble: bool = False


# Shipment status → (stage word, step reached, trouble).
_PARCEL: dict[str, tuple[str, int, bool]] = {
    "pending": ("shipped", SHIPPED, False),
    "info_received": ("shipped", SHIPPED, False),
    "not_found": ("shipped", SHIPPED, False),
    "in_transit": ("in_transit", IN_TRANSIT, False),
    "unknown": ("in_transit", IN_TRANSIT, False),
    "delayed": ("delayed", IN_TRANSIT, True),
    "exception": ("exception", IN_TRANSIT, True),
    "expired": ("no_updates", IN_TRANSIT, True),
    "out_for_delivery": ("out_for_delivery", OUT_FOR_DELIVERY, False),
    "available_for_pickup": ("pickup", OUT_FOR_DELIVERY, False),
    "delivery_failed": ("delivery_failed", OUT_FOR_DELIVERY, True),
    "refused": ("returning", OUT_FOR_DELIVERY, True),
    "returning": ("returning", IN_TRANSIT, True),
    "returned": ("returned", IN_TRANSIT, True),
    "delivered": ("delivered", DELIVERED, False),
    "cancelled": ("cancelled", NOT_STARTED, True),
}


def parcel_stage(shipment: ShipmentRow) -> Stage:
    word, reached, trouble = _PARCEL.get(shipment.status, _PARCEL["unknown"])
    return Stage(word, reached, trouble)


def order_stage(order: OrderRow, shipments: Sequence[ShipmentRow]) -> Stage:
    if order.lifecycle in {Lifecycle.CANCELLED, Lifecycle.DELETED}:
        return Stage("cancelled", NOT_STARTED, True)
    if shipments:
        return min(
            (parcel_stage(s) for s in shipments), key=lambda stage: (stage.reached, -stage.trouble)
        )
    if order.payment_status in {PaymentStatus.REFUNDED, PaymentStatus.VOIDED}:
        return Stage("refunded", NOT_STARTED, True)
    if order.payment_status not in _PAID:
        return Stage("awaiting_payment", NOT_STARTED)
    if order.fulfillment_status == FulfillmentStatus.NOT_REQUIRED:
        return Stage("no_shipping", PAID)
    if order.fulfillment_status == FulfillmentStatus.FULFILLED or order.handed_over_at:
        return Stage("shipped", SHIPPED)
    if order.packed_at is not None:
        return Stage("packed", PACKED)
    return Stage("paid", PAID)
