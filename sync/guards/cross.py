"""One order against its parcels and the clock: the shop and the courier disagreeing, or an
order left waiting too long at one stage.

Each check gives the instant it started to hold. A check that waits N hours may hold only in
the future: it is then not found yet, but its instant is when the order must be looked at again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sync.guards.model import Check, GuardSettings, OrderFacts

MOVING = frozenset(
    {
        "in_transit",
        "out_for_delivery",
        "available_for_pickup",
        "delivery_failed",
        "delayed",
        "delivered",
    }
)
NOT_SCANNED = frozenset({"pending", "not_found", "info_received", "unknown"})
UNFULFILLED = frozenset({"unfulfilled", "on_hold", "scheduled"})

Candidate = tuple[Check, str, datetime]


def cross_checks(order: OrderFacts, settings: GuardSettings) -> Iterator[Candidate]:
    """Every disagreement or wait that holds on ``order`` (now or later), with its start."""
    if not order.active:
        return
    yield from _moving_unfulfilled(order)
    yield from _fulfilled_without_tracking(order, settings)
    yield from _label_not_scanned(order, settings)
    yield from _not_released(order, settings)


def _moving_unfulfilled(order: OrderFacts) -> Iterator[Candidate]:
    if order.fulfillment_status not in UNFULFILLED:
        return
    for parcel in order.parcels:
        if parcel.status in MOVING:
            since = parcel.last_checkpoint_at or parcel.shipped_at or order.created_at
            status = parcel.status.replace("_", " ")
            yield (
                Check.COURIER_MOVING_UNFULFILLED,
                f"courier shows {parcel.tracking_number} {status}; the shop shows it unshipped",
                since,
            )
            return


def _fulfilled_without_tracking(order: OrderFacts, settings: GuardSettings) -> Iterator[Candidate]:
    if order.fulfillment_status != "fulfilled" or order.tracking_numbers:
        return
    start = order.fulfilled_at or order.created_at
    wait = settings.fulfilled_without_tracking_after
    yield (
        Check.FULFILLED_WITHOUT_TRACKING,
        f"fulfilled with no tracking number for {_span(wait)}",
        start + wait,
    )


def _label_not_scanned(order: OrderFacts, settings: GuardSettings) -> Iterator[Candidate]:
    wait = settings.label_not_scanned_after
    waiting = [
        p
        for p in order.parcels
        if p.tracking_number
        and p.status in NOT_SCANNED
        and p.last_checkpoint_at is None
        and p.shipped_at is not None
    ]
    if not waiting:
        return
    first = min(waiting, key=lambda p: p.shipped_at or order.created_at)
    assert first.shipped_at is not None
    yield (
        Check.LABEL_NOT_SCANNED,
        f"label {first.tracking_number} made, no courier scan for {_span(wait)}",
        first.shipped_at + wait,
    )


def _not_released(order: OrderFacts, settings: GuardSettings) -> Iterator[Candidate]:
    if order.paid_at is None or order.payment_status not in {"paid", "partially_refunded"}:
        return
    if order.fulfillment_status != "unfulfilled" or order.reserved_at is not None:
        return
    if order.parcels:
        return
    wait = settings.not_released_after
    yield (
        Check.NOT_RELEASED,
        f"paid, not released to the warehouse for {_span(wait)}",
        order.paid_at + wait,
    )


def _span(wait: timedelta) -> str:
    hours = wait.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} h"
