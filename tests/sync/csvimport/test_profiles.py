"""Each shipped profile against a sample export laid out like its back office's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.connectors.csv_drop import Export, open_export, profiles_by_name
from sync.csvimport.profiles import SHIPPED, Column, ProfileKind, detect, profile_from_table
from sync.csvimport.statuses import Axes
from sync.domain import FulfillmentStatus, Lifecycle, OrderRecord, PaymentStatus
from sync.errors import ConfigError, PayloadError
from tests.sync.csvimport.workbook import write_xlsx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _export(name: str, profile: str = "auto") -> Export:
    return open_export((FIXTURES / name).read_bytes(), name, "drops", profile)


def _orders(name: str, profile: str = "auto") -> dict[str, OrderRecord]:
    return {o.number: o for o in _export(name, profile).orders()}


def _axes(order: OrderRecord) -> tuple[str, str, str]:
    return (order.payment_status, order.fulfillment_status, order.lifecycle)


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("taobao_orders.csv", "taobao"),
        ("jd_orders.csv", "jd"),
        ("douyin_orders.csv", "douyin"),
        ("shopify_orders_export.csv", "generic"),
        ("warehouse_stages.csv", "warehouse"),
    ],
)
def test_each_sample_export_is_recognised_by_its_profile(name: str, profile: str) -> None:
    assert _export(name).profile.name == profile


def test_taobao_statuses_map_to_the_three_axes_with_the_raw_text_kept() -> None:
    orders = _orders("taobao_orders.csv", "taobao")
    assert len(orders) == 8
    paid = orders["3871204419020561234"]
    assert _axes(paid) == ("paid", "unfulfilled", "open")
    assert paid.payment_raw == paid.fulfillment_raw == "买家已付款，等待卖家发货"
    assert _axes(orders["3871204419020561235"]) == ("paid", "fulfilled", "open")
    assert _axes(orders["3871204419020561236"]) == ("pending", "unfulfilled", "open")
    assert _axes(orders["3871204419020561237"]) == ("paid", "fulfilled", "closed")
    assert _axes(orders["3871204419020561240"]) == ("paid", "partially_fulfilled", "open")


def test_a_closed_taobao_order_was_voided_or_refunded_by_whether_it_was_paid() -> None:
    orders = _orders("taobao_orders.csv")
    assert _axes(orders["3871204419020561238"]) == ("voided", "unfulfilled", "cancelled")
    assert _axes(orders["3871204419020561239"]) == ("refunded", "unfulfilled", "cancelled")


def test_an_unknown_status_is_kept_raw_and_read_from_the_row() -> None:
    order = _orders("taobao_orders.csv")["3871204419020561241"]
    assert order.lifecycle_raw == "等待买家确认收货（定制）"
    assert _axes(order) == ("paid", "fulfilled", "open")  # paid time, tracking number


def test_taobao_rows_carry_customer_parcels_and_local_times_in_utc() -> None:
    order = _orders("taobao_orders.csv")["3871204419020561237"]
    assert (order.customer_name, order.phone) == ("陈阳", "13622223333")
    assert (order.province, order.city, order.country) == ("广东省", "深圳市", "CN")
    assert order.created_at == datetime(2026, 11, 12, 6, 20, tzinfo=UTC)
    assert order.paid_at == datetime(2026, 11, 12, 6, 21, 35, tzinfo=UTC)
    assert [(s.carrier, s.tracking_number) for s in order.shipments] == [
        ("zto", "ZTO75981234567"),
        ("zto", "ZTO75981234568"),
    ]
    assert (order.total, order.currency, order.channel) == ("520.00", "CNY", "taobao")


def test_jd_statuses_and_columns() -> None:
    orders = _orders("jd_orders.csv", "jd")
    assert _axes(orders["305511226481"]) == ("paid", "unfulfilled", "open")
    assert _axes(orders["305511226482"]) == ("paid", "fulfilled", "open")
    assert _axes(orders["305511226483"]) == ("paid", "fulfilled", "closed")
    assert _axes(orders["305511226484"]) == ("pending", "unfulfilled", "open")
    assert _axes(orders["305511226485"])[1:] == ("on_hold", "open")
    assert _axes(orders["305511226486"]) == ("refunded", "unfulfilled", "cancelled")
    parcel = orders["305511226482"].shipments[0]
    assert (parcel.carrier, parcel.tracking_number) == ("jd", "JDVA20456789012")
    assert orders["305511226483"].line_items[0].quantity == 2
    assert orders["305511226482"].total == "349.00"


def test_douyin_rows_of_one_order_become_one_order_with_its_items() -> None:
    orders = _orders("douyin_orders.csv", "douyin")
    assert len(orders) == 4
    two_items = orders["6931840022851234567"]
    assert [i.title for i in two_items.line_items] == ["云南普洱 熟茶 357g", "紫砂壶 西施壶 200ml"]
    assert two_items.total == "214.00"
    assert two_items.address == "云南省 昆明市 五华区 青年路 389号"
    assert _axes(two_items) == ("paid", "unfulfilled", "open")
    assert _axes(orders["6931840022851234570"]) == ("paid", "fulfilled", "open")
    assert _axes(orders["6931840022851234572"]) == ("paid", "fulfilled", "closed")
    assert _axes(orders["6931840022851234574"]) == ("voided", "unfulfilled", "cancelled")


def test_the_generic_profile_reads_shopifys_order_export() -> None:
    orders = _orders("shopify_orders_export.csv", "generic")
    first = orders["#1041"]
    assert first.external_id == "6120001041"
    assert [(i.title, i.quantity) for i in first.line_items] == [
        ("Sencha Tea 100g", 2),
        ("Cast Iron Teapot", 1),
    ]
    assert _axes(first) == ("paid", "fulfilled", "open")
    assert first.paid_at == datetime(2026, 11, 20, 8, 41, 7, tzinfo=UTC)
    assert (first.currency, first.total, first.tags) == ("EUR", "78.90", ("vip", "repeat"))
    assert _axes(orders["#1042"]) == ("pending", "unfulfilled", "open")
    assert _axes(orders["#1043"]) == ("refunded", "unfulfilled", "cancelled")


def test_the_warehouse_profile_reads_stage_times() -> None:
    batches = list(_export("warehouse_stages.csv", "warehouse").batches())
    stages = [s for b in batches for s in b.stages]
    problems = [p for b in batches for p in b.problems]
    first = stages[0]
    assert first.number == "3871204419020561234"
    assert first.picked_at == datetime(2026, 11, 20, 5, 5, 12, tzinfo=UTC)
    assert first.handed_over_at is None
    assert [(p.line, p.reason) for p in problems] == [
        (5, "打包时间: '昨天晚上' is not a date and time")
    ]


def test_an_xlsx_export_reads_like_its_csv(tmp_path: Path) -> None:
    lines = (FIXTURES / "jd_orders.csv").read_text(encoding="utf-8").splitlines()
    rows = [line.split(",") for line in lines]
    for row in rows[1:]:
        row[5] = datetime.strptime(row[5], "%Y-%m-%d %H:%M:%S")  # type: ignore[call-overload]
    book = write_xlsx(tmp_path / "订单导出.xlsx", rows)
    from_xlsx = open_export(book.read_bytes(), book.name, "drops", "jd").orders()
    from_csv = _export("jd_orders.csv", "jd").orders()
    assert [(o.number, o.created_at, _axes(o)) for o in from_xlsx] == [
        (o.number, o.created_at, _axes(o)) for o in from_csv
    ]


def test_no_profile_fits_a_header_without_an_order_number() -> None:
    with pytest.raises(PayloadError, match="no profile fits"):
        detect(("货品", "数量"), SHIPPED)


def test_a_named_profile_that_does_not_fit_says_which_column_it_missed() -> None:
    data = "货品,数量\n茶,1\n".encode()
    with pytest.raises(PayloadError, match="订单编号"):
        open_export(data, "x.csv", "drops", "taobao")


def test_a_shop_profile_extends_a_shipped_one() -> None:
    profile = profile_from_table(
        "profiles[0]",
        {
            "name": "myerp",
            "base": "taobao",
            "time_zone": "Asia/Hong_Kong",
            "columns": {"number": ["单号"], "packed_at": "打包时间"},
            "statuses": {"已揽件": "paid fulfilled open", "待审核": "- on_hold open"},
        },
        profiles_by_name(),
    )
    assert profile.kind is ProfileKind.ORDERS
    assert profile.columns[Column.NUMBER] == ("单号",)
    assert profile.columns[Column.STATUS] == ("订单状态", "交易状态")
    assert profile.statuses["待审核"] == Axes(None, FulfillmentStatus.ON_HOLD, Lifecycle.OPEN)
    text = "单号,订单状态,订单创建时间,打包时间\nA1,已揽件,2026-11-20 08:00,2026-11-20 09:00\n"
    export = open_export(text.encode(), "a.csv", "drops", "myerp", {"myerp": profile})
    (batch,) = export.batches()
    assert _axes(batch.orders[0]) == (
        PaymentStatus.PAID,
        FulfillmentStatus.FULFILLED,
        Lifecycle.OPEN,
    )
    assert batch.stages[0].packed_at == datetime(2026, 11, 20, 1, tzinfo=UTC)


def test_a_bad_shop_profile_lists_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        profile_from_table(
            "profiles[1]",
            {
                "name": "x",
                "base": "nope",
                "colour": "red",
                "time_zone": "Mars/Olympus",
                "columns": {"number": 3, "flavour": "味道"},
                "statuses": {"好": "paid shipped"},
            },
            profiles_by_name(),
        )
    problems = "\n".join(caught.value.problems)
    for key in ("colour", "base", "time_zone", "columns.number", "columns.flavour", "statuses"):
        assert f"profiles[1].{key}" in problems
