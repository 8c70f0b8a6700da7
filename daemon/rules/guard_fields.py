"""The order guards in rules: a ``guard.<check>`` true/false field for each check (the
``[guards]`` table that tunes the checks is read by :mod:`daemon.rules.guard_reader`).

A field is true while the check's flag is up on the order and no agent dismissed it, so a rule
like ``fires_when = "guard.merge_suggested"`` escalates what the console already shows.
"""

from __future__ import annotations

from sync.guards import Check

GUARD_FIELDS: tuple[tuple[Check, str], ...] = (
    (Check.MERGE_SUGGESTED, "the same customer has another unshipped order within a day"),
    (Check.COURIER_MOVING_UNFULFILLED, "the courier has the parcel; the shop shows it unshipped"),
    (Check.FULFILLED_WITHOUT_TRACKING, "fulfilled with no tracking number for too long"),
    (Check.LABEL_NOT_SCANNED, "a label was made and the courier never scanned it"),
    (Check.NOT_RELEASED, "paid but not released to the warehouse for too long"),
    (Check.DUPLICATE_SHIPMENT, "a second parcel, or the same SKU sent to this customer again"),
    (Check.ADDRESS_PROBLEM, "phone, district or postcode missing, PO box, or a late change"),
    (Check.CONFLICTING_EDIT, "several actors changed the order's status within a day"),
)
