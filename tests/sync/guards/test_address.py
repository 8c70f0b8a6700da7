from __future__ import annotations

from datetime import timedelta

from sync.guards import Check
from tests.sync.guards.facts import NOW, checks, order, parcel


def test_a_complete_address_is_fine() -> None:
    assert Check.ADDRESS_PROBLEM not in checks(order())


def test_a_missing_phone_is_an_address_problem() -> None:
    assert "no phone" in checks(order(phone=""))[Check.ADDRESS_PROBLEM]


def test_a_missing_postcode_is_an_address_problem() -> None:
    assert "no postcode" in checks(order(postcode=""))[Check.ADDRESS_PROBLEM]


def test_a_postcode_the_source_never_gave_is_not_reported() -> None:
    assert Check.ADDRESS_PROBLEM not in checks(order(postcode=None))


def test_hong_kong_needs_no_postcode() -> None:
    assert Check.ADDRESS_PROBLEM not in checks(order(postcode="", country="HK"))


def test_a_chinese_address_without_district_is_an_address_problem() -> None:
    subject = order(country="CN", address="建国路88号", city="北京", district="")
    assert "no district" in checks(subject)[Check.ADDRESS_PROBLEM]


def test_a_chinese_district_written_in_the_address_counts() -> None:
    subject = order(country="CN", address="朝阳区建国路88号", city="北京", district="")
    assert Check.ADDRESS_PROBLEM not in checks(subject)


def test_a_po_box_is_a_problem_for_a_courier_that_cannot_deliver_there() -> None:
    label = parcel(
        "1Z999AA10123456784", carrier="ups", status="info_received", last_checkpoint_at=None
    )
    subject = order(address="P.O. Box 1234", parcels=(label,))
    assert "UPS cannot deliver" in checks(subject)[Check.ADDRESS_PROBLEM]


def test_a_po_box_is_fine_for_the_postal_service() -> None:
    label = parcel("9400100000000000000000", carrier="usps", status="info_received")
    subject = order(address="PO Box 1234", country="US", postcode="10001", parcels=(label,))
    assert Check.ADDRESS_PROBLEM not in checks(subject)


def test_a_po_box_before_any_label_is_not_reported() -> None:
    assert Check.ADDRESS_PROBLEM not in checks(order(address="Postfach 12 34", country="DE"))


def test_address_problems_stop_once_the_courier_has_the_parcel() -> None:
    assert Check.ADDRESS_PROBLEM not in checks(order(phone="", parcels=(parcel(),)))


def test_an_address_changed_after_the_label_was_printed_is_a_problem() -> None:
    label = parcel(shipped_at=NOW - timedelta(hours=5))
    subject = order(
        fulfillment_status="fulfilled",
        parcels=(label,),
        address_changed_at=NOW - timedelta(hours=1),
    )
    assert "changed after the label" in checks(subject)[Check.ADDRESS_PROBLEM]


def test_an_address_changed_before_the_label_is_fine() -> None:
    label = parcel(shipped_at=NOW - timedelta(hours=5))
    subject = order(
        fulfillment_status="fulfilled",
        parcels=(label,),
        address_changed_at=NOW - timedelta(hours=9),
    )
    assert Check.ADDRESS_PROBLEM not in checks(subject)
