"""Importing export files into a real SQLite store: once each, nothing deleted, bad rows kept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.clock import VirtualClock
from sync.connectors.csv_drop import Progress, import_export, import_path, open_export
from sync.store import Store
from tests.conftest import T0
from tests.sync.csvimport.workbook import write_xlsx

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
TAOBAO = FIXTURES / "taobao_orders.csv"
HEADER = (
    "订单编号,订单状态,订单创建时间,订单付款时间,发货时间,总金额,收货人姓名,物流公司,物流单号\n"
)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


async def _snapshot(store: Store) -> list[tuple[object, ...]]:
    rows = await store.db.fetchall("SELECT * FROM orders ORDER BY id")
    events = await store.db.fetchall("SELECT * FROM events ORDER BY id")
    return [tuple(r) for r in rows] + [tuple(e) for e in events]


async def _status(store: Store, number: str) -> tuple[str, str, str]:
    order = await store.order_by_number(number)
    assert order is not None
    return (order.payment_status, order.fulfillment_status, order.lifecycle)


def _write(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


async def test_an_export_fills_the_mirror(store: Store, clock: VirtualClock) -> None:
    result = await import_path(store, TAOBAO, "taobao", clock)
    assert (result.rows, len(result.changed), result.quarantined) == (8, 8, 0)
    assert await store.order_count() == 8
    order = await store.order_by_number("3871204419020561235")
    assert order is not None and order.source == "taobao"
    assert order.paid_at == datetime(2026, 11, 19, 12, 2, 44, tzinfo=UTC)
    (parcel,) = (await store.shipments_of_orders([order.id]))[order.id]
    assert (parcel.carrier, parcel.tracking_number) == ("sf", "SF1428800061234")
    assert await store.find_orders("王芳")


async def test_the_same_file_dropped_twice_is_imported_once(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    before = await _snapshot(store)
    copy = tmp_path / "orders-again.csv"
    copy.write_bytes(TAOBAO.read_bytes())
    clock.advance(timedelta(hours=1))
    again = await import_path(store, copy, "taobao", clock)
    assert again.rows == 0 and again.changed == ()
    assert again.already is not None and again.already.file_name == TAOBAO.name
    assert await _snapshot(store) == before


async def test_the_file_record_holds_its_hash_and_counts(store: Store, clock: VirtualClock) -> None:
    export = open_export(TAOBAO.read_bytes(), TAOBAO.name, "taobao")
    await import_export(store, export, clock)
    record = await store.import_file("taobao", export.content_hash)
    assert record is not None and record.done
    assert (record.rows_total, record.rows_done, record.orders_changed) == (8, 8, 8)
    assert record.last_line == 9


async def test_bad_rows_are_quarantined_with_file_and_line(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "bad.csv",
        "1001,买家已付款,2026-11-20 08:00:00,2026-11-20 08:01:00,,99.00,甲,,\n"
        "1002,买家已付款,2026-11-20 08:00:00,2026-11-20 08:01:00,,九十九,乙,,\n"
        "1003,买家已付款,昨天,,,10.00,丙,,\n"
        ",买家已付款,2026-11-20 08:00:00,,,10.00,丁,,\n"
        "1005,交易成功,2026-11-20 08:00:00,2026-11-20 08:01:00,,10.00,戊,,\n",
    )
    result = await import_path(store, path, "taobao", clock)
    assert result.quarantined == 3
    assert await store.order_count() == 2
    quarantined = sorted(await store.quarantined(), key=lambda q: q.line)
    assert [q.where for q in quarantined] == ["bad.csv:3", "bad.csv:4", "bad.csv:5"]
    assert "九十九" in quarantined[0].reason
    assert "订单创建时间" in quarantined[1].reason
    assert quarantined[2].reason == "no order number"
    assert quarantined[0].cells["收货人姓名"] == "乙"
    assert await store.quarantine_counts() == {"taobao": 3}


async def test_a_shrunken_export_deletes_nothing(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    untouched = await store.order_by_number("3871204419020561237")
    smaller = _write(
        tmp_path,
        "today.csv",
        "3871204419020561234,卖家已发货,2026-11-20 09:12:45,2026-11-20 09:13:02,"
        "2026-11-20 15:00:00,199.00,王芳,顺丰速运,SF1428800069999\n",
    )
    result = await import_path(store, smaller, "taobao", clock)
    assert result.rows == 1
    assert await store.order_count() == 8
    assert await store.order_by_number("3871204419020561237") == untouched
    assert await _status(store, "3871204419020561234") == ("paid", "fulfilled", "open")


async def test_an_empty_export_deletes_nothing(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    before = await store.order_count()
    result = await import_path(store, _write(tmp_path, "empty.csv", ""), "taobao", clock)
    assert (result.rows, result.changed) == (0, ())
    assert await store.order_count() == before
    (latest, *_) = await store.imports()
    assert (latest.file_name, latest.done, latest.rows_total) == ("empty.csv", True, 0)


async def test_an_older_export_dropped_after_a_newer_one_changes_nothing(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    row = (
        "2001,{status},2026-11-20 08:00:00,2026-11-20 08:01:00,{shipped},50.00,甲,{carrier},{no}\n"
    )
    newer = _write(
        tmp_path,
        "newer.csv",
        row.format(status="交易成功", shipped="2026-11-20 12:00:00", carrier="中通", no="ZTO1")
        + row.format(status="交易关闭", shipped="", carrier="", no="").replace("2001", "2002"),
    )
    older = _write(
        tmp_path,
        "older.csv",
        row.format(status="卖家已发货", shipped="2026-11-20 12:00:00", carrier="中通", no="ZTO1")
        + row.format(status="买家已付款", shipped="", carrier="", no="").replace("2001", "2002"),
    )
    await import_path(store, newer, "taobao", clock)
    before = await _snapshot(store)
    result = await import_path(store, older, "taobao", clock)
    assert result.changed == ()
    assert await _snapshot(store) == before
    assert await _status(store, "2001") == ("paid", "fulfilled", "closed")
    assert await _status(store, "2002") == ("refunded", "unfulfilled", "cancelled")


async def test_stage_times_land_on_the_orders_they_name(store: Store, clock: VirtualClock) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    result = await import_path(store, FIXTURES / "warehouse_stages.csv", "wms", clock)
    order = await store.order_by_number("3871204419020561240")
    assert order is not None
    assert order.reserved_at == datetime(2026, 11, 17, 3, 30, tzinfo=UTC)
    assert order.picked_at == datetime(2026, 11, 17, 7, tzinfo=UTC)
    assert order.packed_at == datetime(2026, 11, 17, 7, 30, tzinfo=UTC)
    assert order.handed_over_at == datetime(2026, 11, 17, 10, 10, tzinfo=UTC)
    assert order.source == "taobao"  # matched by number; the stage source owns no orders
    stages = [e for e in await store.events(order.id) if e.kind == "stage"]
    assert [(e.field, e.actor) for e in stages] == [
        ("reserved_at", "wms"),
        ("picked_at", "wms"),
        ("packed_at", "wms"),
        ("handed_over_at", "wms"),
    ]
    assert sorted(q.reason for q in await store.quarantined(source="wms")) == [
        "no order numbered 3871204419020569999 (import the orders first)",
        "打包时间: '昨天晚上' is not a date and time",
    ]
    assert len(result.changed) == 2
    assert await store.order_count() == 8


async def test_stage_times_wake_the_rules_through_change_seq(
    store: Store, clock: VirtualClock
) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    seq = await store.change_seq()
    await import_path(store, FIXTURES / "warehouse_stages.csv", "wms", clock)
    ids, _ = await store.changed_order_ids(seq)
    order = await store.order_by_number("3871204419020561234")
    assert order is not None and order.id in ids


async def test_an_interrupted_import_resumes_after_its_last_committed_line(
    store: Store, clock: VirtualClock
) -> None:
    export = open_export(TAOBAO.read_bytes(), TAOBAO.name, "taobao")

    def crash_after_first_batch(progress: Progress) -> None:
        if progress.rows_done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await import_export(store, export, clock, on_progress=crash_after_first_batch, batch_rows=3)
    partial = await store.import_file("taobao", export.content_hash)
    assert partial is not None and not partial.done
    assert (partial.rows_done, partial.last_line) == (3, 4)
    assert await store.order_count() == 3

    seen: list[int] = []
    result = await import_export(
        store, export, clock, on_progress=lambda p: seen.append(p.rows_done), batch_rows=3
    )
    assert result.rows == 5 and seen == [6, 8]
    finished = await store.import_file("taobao", export.content_hash)
    assert finished is not None and finished.done and finished.rows_done == 8
    assert await store.order_count() == 8
    assert await store.db.scalar("SELECT count(*) FROM events WHERE kind = 'created'") == 8


async def test_import_progress_is_kept_on_the_source(store: Store, clock: VirtualClock) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    source = await store.source("taobao")
    assert source is not None
    assert (source.kind, source.rows_synced, source.last_error) == ("csv", 8, "")
    row = await store.db.fetchone("SELECT run_rows, run_total FROM sources WHERE name = 'taobao'")
    assert row is not None and (row["run_rows"], row["run_total"]) == (8, 8)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "xlsx"])
async def test_the_same_export_saved_another_way_changes_nothing(
    store: Store, clock: VirtualClock, tmp_path: Path, encoding: str
) -> None:
    await import_path(store, TAOBAO, "taobao", clock)
    before = await _snapshot(store)
    text = TAOBAO.read_text(encoding="utf-8")
    if encoding == "xlsx":
        rows = list(csv.reader(io.StringIO(text)))
        again = write_xlsx(tmp_path / "orders.xlsx", rows)
    else:
        again = tmp_path / f"orders-{encoding}.csv"
        again.write_bytes(text.encode(encoding))
    result = await import_path(store, again, "taobao", clock)
    assert (result.rows, result.changed, result.quarantined) == (8, (), 0)
    assert await _snapshot(store) == before
