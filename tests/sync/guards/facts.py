"""Orders and parcels for the guard tests: sensible defaults, changed by keyword."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.guards import Check, GuardSettings, OrderFacts, ParcelFacts, evaluate

NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)


def order(id: int = 1, **changes: Any) -> OrderFacts:
    base = OrderFacts(
        id=id,
        number=f"#{1000 + id}",
        created_at=NOW - timedelta(hours=2),
        payment_status="paid",
        fulfillment_status="unfulfilled",
        lifecycle="open",
        customer_name="Ada Lovelace",
        phone="+44 20 7946 0000",
        email="ada@example.com",
        address="12 St James's Square",
        city="London",
        country="GB",
        postcode="SW1Y 4JH",
        paid_at=NOW - timedelta(hours=2),
        reserved_at=NOW - timedelta(hours=1),
    )
    return replace(base, **changes)


def parcel(number: str = "SF1234567890", **changes: Any) -> ParcelFacts:
    base = ParcelFacts(
        tracking_number=number,
        carrier="sf",
        status="in_transit",
        shipped_at=NOW - timedelta(hours=30),
        last_checkpoint_at=NOW - timedelta(hours=3),
    )
    return replace(base, **changes)


def checks(
    subject: OrderFacts,
    neighbours: tuple[OrderFacts, ...] = (),
    settings: GuardSettings | None = None,
    now: datetime = NOW,
) -> dict[Check, str]:
    """The checks holding on ``subject`` at ``now``, with their detail."""
    outcome = evaluate([subject], {subject.id: neighbours}, settings or GuardSettings(), now)
    return {finding.check: finding.detail for finding in outcome.findings.get(subject.id, ())}
