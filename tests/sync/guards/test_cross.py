from __future__ import annotations

from datetime import timedelta

from sync.guards import Check, GuardSettings, evaluate
from tests.sync.guards.facts import NOW, checks, order, parcel


def test_a_moving_parcel_on_an_unfulfilled_order_is_a_disagreement() -> None:
    found = checks(order(parcels=(parcel(status="in_transit"),)))
    assert "SF1234567890" in found[Check.COURIER_MOVING_UNFULFILLED]


def test_a_delivered_parcel_on_an_unfulfilled_order_is_a_disagreement() -> None:
    assert Check.COURIER_MOVING_UNFULFILLED in checks(order(parcels=(parcel(status="delivered"),)))


def test_a_moving_parcel_on_a_fulfilled_order_is_no_disagreement() -> None:
    subject = order(fulfillment_status="fulfilled", parcels=(parcel(),))
    assert Check.COURIER_MOVING_UNFULFILLED not in checks(subject)


def test_a_parcel_not_yet_scanned_on_an_unfulfilled_order_is_no_disagreement() -> None:
    subject = order(parcels=(parcel(status="info_received", last_checkpoint_at=None),))
    assert Check.COURIER_MOVING_UNFULFILLED not in checks(subject)


def test_fulfilled_without_tracking_holds_after_the_wait() -> None:
    subject = order(fulfillment_status="fulfilled", fulfilled_at=NOW - timedelta(hours=13))
    assert Check.FULFILLED_WITHOUT_TRACKING in checks(subject)


def test_fulfilled_without_tracking_waits_and_asks_to_be_rechecked() -> None:
    subject = order(fulfillment_status="fulfilled", fulfilled_at=NOW - timedelta(hours=2))
    outcome = evaluate([subject], {}, GuardSettings(), NOW)
    assert subject.id not in outcome.findings
    assert outcome.recheck[subject.id] == NOW + timedelta(hours=10)


def test_fulfilled_with_a_tracking_number_is_fine() -> None:
    subject = order(
        fulfillment_status="fulfilled",
        fulfilled_at=NOW - timedelta(days=3),
        parcels=(parcel(),),
    )
    assert Check.FULFILLED_WITHOUT_TRACKING not in checks(subject)


def test_a_label_never_scanned_holds_after_the_wait() -> None:
    label = parcel(
        status="info_received", last_checkpoint_at=None, shipped_at=NOW - timedelta(hours=50)
    )
    subject = order(fulfillment_status="fulfilled", parcels=(label,))
    assert "no courier scan" in checks(subject)[Check.LABEL_NOT_SCANNED]
    assert Check.LABEL_NOT_SCANNED not in checks(subject, now=NOW - timedelta(hours=20))


def test_a_scanned_label_is_fine() -> None:
    subject = order(fulfillment_status="fulfilled", parcels=(parcel(),))
    assert Check.LABEL_NOT_SCANNED not in checks(subject)


def test_paid_and_not_released_holds_after_the_wait() -> None:
    subject = order(reserved_at=None, paid_at=NOW - timedelta(hours=25))
    assert Check.NOT_RELEASED in checks(subject)


def test_a_reserved_order_is_released() -> None:
    subject = order(paid_at=NOW - timedelta(hours=25), reserved_at=NOW - timedelta(hours=24))
    assert Check.NOT_RELEASED not in checks(subject)


def test_the_wait_follows_the_settings() -> None:
    subject = order(reserved_at=None, paid_at=NOW - timedelta(hours=3))
    quick = GuardSettings(not_released_after=timedelta(hours=2))
    assert Check.NOT_RELEASED in checks(subject, settings=quick)
    assert Check.NOT_RELEASED not in checks(subject)


def test_a_check_switched_off_never_holds() -> None:
    subject = order(parcels=(parcel(),))
    off = GuardSettings(off=frozenset({"courier_moving_unfulfilled"}))
    assert Check.COURIER_MOVING_UNFULFILLED not in checks(subject, settings=off)


def test_a_cancelled_order_trips_nothing() -> None:
    subject = order(lifecycle="cancelled", reserved_at=None, parcels=(parcel(),), phone="")
    assert checks(subject) == {}


def test_an_open_conflicting_edits_flag_is_surfaced() -> None:
    subject = order(conflict="status changed by shopify, warehouse, anna within 24h")
    assert "anna" in checks(subject)[Check.CONFLICTING_EDIT]
    assert Check.CONFLICTING_EDIT not in checks(order())
