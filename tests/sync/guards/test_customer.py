from __future__ import annotations

from datetime import timedelta

from sync.guards import Check, GuardSettings
from tests.sync.guards.facts import NOW, checks, order, parcel


def test_two_unshipped_orders_of_one_customer_within_a_day_suggest_a_merge() -> None:
    first = order(1, created_at=NOW - timedelta(hours=20))
    second = order(2, created_at=NOW - timedelta(hours=1))
    assert "#1001" in checks(second, (first,))[Check.MERGE_SUGGESTED]
    assert "#1002" in checks(first, (second,))[Check.MERGE_SUGGESTED]


def test_orders_more_than_a_day_apart_are_not_merged() -> None:
    first = order(1, created_at=NOW - timedelta(hours=30))
    assert Check.MERGE_SUGGESTED not in checks(order(2), (first,))


def test_an_order_already_shipped_is_not_merged() -> None:
    shipped = order(1, fulfillment_status="fulfilled", parcels=(parcel(),))
    assert Check.MERGE_SUGGESTED not in checks(order(2), (shipped,))


def test_a_cancelled_order_is_not_merged() -> None:
    assert Check.MERGE_SUGGESTED not in checks(order(2), (order(1, lifecycle="cancelled"),))


def test_a_gift_linked_to_its_main_order_is_not_a_merge_suggestion() -> None:
    main = order(1)
    gift = order(2, tags=("gift", "main:1001"))
    assert Check.MERGE_SUGGESTED not in checks(gift, (main,))
    assert Check.MERGE_SUGGESTED not in checks(main, (gift,))


def test_two_add_ons_of_one_main_order_are_not_merged_with_each_other() -> None:
    one = order(2, tags=("gift-for:#1001",))
    two = order(3, tags=("main:1001",))
    assert Check.MERGE_SUGGESTED not in checks(one, (two,))


def test_a_second_tracking_number_is_a_duplicate_shipment() -> None:
    subject = order(fulfillment_status="fulfilled", parcels=(parcel("SF111"), parcel("SF222")))
    assert "SF111, SF222" in checks(subject)[Check.DUPLICATE_SHIPMENT]


def test_the_same_tracking_number_twice_is_one_parcel() -> None:
    subject = order(fulfillment_status="fulfilled", parcels=(parcel("SF111"), parcel("SF111")))
    assert Check.DUPLICATE_SHIPMENT not in checks(subject)


def test_declared_split_shipments_may_have_several_tracking_numbers() -> None:
    subject = order(
        fulfillment_status="partially_fulfilled",
        tags=("Split-Shipment",),
        parcels=(parcel("SF111"), parcel("SF222")),
    )
    assert Check.DUPLICATE_SHIPMENT not in checks(subject)


def test_the_shops_own_split_tag_is_honoured() -> None:
    subject = order(tags=("分批发货",), parcels=(parcel("SF111"), parcel("SF222")))
    assert Check.DUPLICATE_SHIPMENT not in checks(subject)
    custom = GuardSettings(split_tags=("two-boxes",))
    assert Check.DUPLICATE_SHIPMENT in checks(subject, settings=custom)


def test_the_same_sku_sent_again_within_the_window_is_a_duplicate_shipment() -> None:
    sent = order(
        1,
        created_at=NOW - timedelta(days=5),
        fulfillment_status="fulfilled",
        skus=("MUG-01", "TEA-02"),
        parcels=(parcel(shipped_at=NOW - timedelta(days=4)),),
    )
    again = order(2, skus=("MUG-01",))
    assert "MUG-01 already sent" in checks(again, (sent,))[Check.DUPLICATE_SHIPMENT]


def test_the_same_sku_sent_long_ago_is_a_new_purchase() -> None:
    sent = order(
        1,
        created_at=NOW - timedelta(days=40),
        skus=("MUG-01",),
        fulfillment_status="fulfilled",
        parcels=(parcel(shipped_at=NOW - timedelta(days=39)),),
    )
    assert Check.DUPLICATE_SHIPMENT not in checks(order(2, skus=("MUG-01",)), (sent,))


def test_a_different_sku_is_not_a_duplicate() -> None:
    sent = order(1, skus=("MUG-01",), fulfillment_status="fulfilled", parcels=(parcel(),))
    assert Check.DUPLICATE_SHIPMENT not in checks(order(2, skus=("TEA-02",)), (sent,))


def test_a_gift_of_the_same_sku_linked_to_the_main_order_is_not_a_duplicate() -> None:
    main = order(1, skus=("MUG-01",), fulfillment_status="fulfilled", parcels=(parcel(),))
    gift = order(2, skus=("MUG-01",), tags=("gift", "main:#1001"))
    assert Check.DUPLICATE_SHIPMENT not in checks(gift, (main,))
