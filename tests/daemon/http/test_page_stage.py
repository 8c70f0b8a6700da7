"""Where an order stands on the progress strip."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from daemon.http.page_stage import (
    DELIVERED,
    IN_TRANSIT,
    NOT_STARTED,
    PACKED,
    PAID,
    SHIPPED,
    order_stage,
)
from sync.domain import OrderRow, ShipmentRow
from tests.conftest import T0

ORDER = OrderRow(
    id=1, source="shop", external_id="o1", number="#1001", channel="", payment_status="paid",
    fulfillment_status="unfulfilled", lifecycle="open", total="1", currency="CNY",
    customer_name="", phone="", email="", address="", city="", province="", country="",
    tags=(), created_at=T0, updated_at=T0, paid_at=T0, promised_at=None, version=1, change_seq=1,
)  # fmt: skip


def parcel(status: str) -> ShipmentRow:
    return ShipmentRow(
        id=1, order_id=1, external_id="f1", carrier="sf", carrier_raw="", tracking_number="SF1",
        tracking_url="", status=status, status_raw="", substatus_raw="", shipped_at=T0,
        last_checkpoint_at=None, delivered_at=None, tracked_by="", version=1, change_seq=1,
    )  # fmt: skip


def test_before_shipping_the_warehouse_stages_count() -> None:
    assert order_stage(ORDER, []).reached == PAID
    packed = replace(ORDER, packed_at=T0 + timedelta(hours=1))
    assert (order_stage(packed, []).word, order_stage(packed, []).reached) == ("packed", PACKED)
    handed = replace(ORDER, handed_over_at=T0 + timedelta(hours=2))
    assert order_stage(handed, []).reached == SHIPPED


def test_an_unpaid_order_has_not_started() -> None:
    stage = order_stage(replace(ORDER, payment_status="pending"), [])
    assert (stage.word, stage.reached) == ("awaiting_payment", NOT_STARTED)


def test_a_cancelled_order_says_so_whatever_its_parcels_do() -> None:
    stage = order_stage(replace(ORDER, lifecycle="cancelled"), [parcel("in_transit")])
    assert (stage.word, stage.trouble) == ("cancelled", True)


def test_an_order_stands_where_its_slowest_parcel_stands() -> None:
    stage = order_stage(ORDER, [parcel("delivered"), parcel("in_transit")])
    assert (stage.word, stage.reached) == ("in_transit", IN_TRANSIT)
    assert order_stage(ORDER, [parcel("delivered")]).reached == DELIVERED


def test_a_courier_exception_is_trouble_in_transit() -> None:
    stage = order_stage(ORDER, [parcel("exception")])
    assert (stage.word, stage.reached, stage.trouble) == ("exception", IN_TRANSIT, True)


def test_an_unmapped_status_reads_as_in_transit() -> None:
    assert order_stage(ORDER, [parcel("something_new")]).word == "in_transit"
