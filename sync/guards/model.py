"""The guards' vocabulary: the checks, what they read about an order, and what they find."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Check(StrEnum):
    """Every guard check, by the name rules use (``guard.<name>``) and the console shows."""

    MERGE_SUGGESTED = "merge_suggested"
    COURIER_MOVING_UNFULFILLED = "courier_moving_unfulfilled"
    FULFILLED_WITHOUT_TRACKING = "fulfilled_without_tracking"
    LABEL_NOT_SCANNED = "label_not_scanned"
    NOT_RELEASED = "not_released"
    DUPLICATE_SHIPMENT = "duplicate_shipment"
    ADDRESS_PROBLEM = "address_problem"
    CONFLICTING_EDIT = "conflicting_edit"


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    """One parcel of an order: shipped_at is when its label was made (the fulfillment)."""

    tracking_number: str
    carrier: str
    status: str
    shipped_at: datetime | None = None
    last_checkpoint_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the checks read about one order. ``postcode`` and ``district`` are None when the
    source never said (older rows); '' when it said nothing."""

    id: int
    number: str
    created_at: datetime
    payment_status: str
    fulfillment_status: str
    lifecycle: str
    customer_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    country: str = ""
    postcode: str | None = None
    district: str | None = None
    tags: tuple[str, ...] = ()
    paid_at: datetime | None = None
    reserved_at: datetime | None = None
    fulfilled_at: datetime | None = None
    """When the shop marked it fulfilled (from the timeline), if it did."""
    address_changed_at: datetime | None = None
    """The last time the shipping address changed after the order was first mirrored."""
    skus: tuple[str, ...] = ()
    parcels: tuple[ParcelFacts, ...] = ()
    conflict: str = ""
    """The detail of an open conflicting-edits flag ('' when there is none)."""
    conflict_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.lifecycle not in {"cancelled", "deleted"}

    @property
    def unshipped(self) -> bool:
        return (
            self.active
            and self.fulfillment_status in WAITING_STATUSES
            and not any(p.tracking_number for p in self.parcels)
        )

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.tracking_number for p in self.parcels if p.tracking_number))


WAITING_STATUSES = frozenset({"unfulfilled", "in_progress", "on_hold", "scheduled"})


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """The ``[guards]`` table of rules.toml: how long each check waits, and who is exempt."""

    fulfilled_without_tracking_after: timedelta = timedelta(hours=12)
    label_not_scanned_after: timedelta = timedelta(hours=48)
    not_released_after: timedelta = timedelta(hours=24)
    merge_within: timedelta = timedelta(hours=24)
    same_sku_within: timedelta = timedelta(days=14)
    split_tags: tuple[str, ...] = ("split", "split-shipment", "分批发货")
    """Tags by which an order declares it ships in several parcels."""
    link_prefixes: tuple[str, ...] = ("main:", "gift-for:")
    """Tag prefixes linking an order (a gift, an add-on) to its main order: ``main:1001``."""
    off: frozenset[str] = frozenset()
    """Checks the shop switched off."""


@dataclass(frozen=True, slots=True)
class Finding:
    check: Check
    detail: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """The checks that hold on each order looked at, and when each must be looked at again."""

    findings: dict[int, tuple[Finding, ...]] = field(default_factory=dict)
    recheck: dict[int, datetime] = field(default_factory=dict)
