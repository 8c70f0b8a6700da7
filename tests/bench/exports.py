"""The ``csv_import`` benchmark: a big back-office export through ``import`` into the mirror.

A Taobao-style order report of ``rows`` orders (GBK, as the back office writes it) is read,
hashed, parsed, checked and saved batch by batch with its progress; against a raw sqlite3
``executemany`` upsert of the same order rows in the same run.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.clock import VirtualClock
from sync.connectors.csv_drop import import_export, open_export
from sync.store import Store
from sync.store.page import ORDER_FIELDS, order_values

HEADER = (
    "订单编号,买家会员名,总金额,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址,"
    "联系手机,订单创建时间,订单付款时间,宝贝标题,物流单号,物流公司,宝贝总数量\n"
)
STATUSES = ("买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "等待买家付款")


def write_export(path: Path, rows: int) -> None:
    lines = [HEADER]
    for n in range(rows):
        status = STATUSES[n % len(STATUSES)]
        shipped = status in STATUSES[1:3]
        minute = n % (60 * 24 * 20)
        created = f"2026-11-{1 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d}:07"
        paid = "" if status == STATUSES[3] else created.replace(":07", ":41")
        lines.append(
            f'="{3871204419000000000 + n}",buyer{n},{99 + n % 300}.00,{99 + n % 300}.00,{status},,'
            f"收货人{n % 97},浙江省 杭州市 西湖区 文三路 {n % 500}号,'138{n:08d},{created},{paid},"
            f"紫砂壶 {n % 40} 号,{'SF' + str(1400000000000 + n) if shipped else ''},"
            f"{'顺丰速运' if shipped else ''},1\n"
        )
    path.write_bytes("".join(lines).encode("gbk"))


async def csv_import(folder: Path, rows: int = 50_000) -> dict[str, Any]:
    """The figures of one run (``main`` prints them as ``BENCH {"name": "csv_import", …}``)."""
    export_path = folder / "ExportOrderList.csv"
    write_export(export_path, rows)
    data = export_path.read_bytes()

    start = time.perf_counter()
    parsed = [o for b in open_export(data, export_path.name, "taobao").batches() for o in b.orders]
    parse_seconds = time.perf_counter() - start

    store = await Store.open(folder / "csv.db")
    clock = VirtualClock(datetime(2026, 11, 21, tzinfo=UTC))
    start = time.perf_counter()
    export = open_export(data, export_path.name, "taobao")
    result = await import_export(
        store, export, clock, on_progress=lambda _p: clock.advance(timedelta(seconds=1))
    )
    ours = time.perf_counter() - start
    await store.close()
    assert result.rows == rows and result.quarantined == 0, result

    values = [order_values(o) for o in parsed]
    raw = sqlite3.connect(folder / "raw-csv.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute(f"CREATE TABLE orders ({', '.join(ORDER_FIELDS)}, UNIQUE (source, external_id))")
    marks = ", ".join("?" * len(ORDER_FIELDS))
    updates = ", ".join(f"{f} = excluded.{f}" for f in ORDER_FIELDS[2:])
    start = time.perf_counter()
    for first in range(0, len(values), 500):
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(
            f"INSERT INTO orders VALUES ({marks}) ON CONFLICT (source, external_id) "
            f"DO UPDATE SET {updates}",
            values[first : first + 500],
        )
        raw.execute("COMMIT")
    base = time.perf_counter() - start
    raw.close()
    ours_rate, raw_rate = rows / ours, rows / base
    return {
        "rows": rows,
        "file_mb": round(len(data) / 1e6, 1),
        "rows_per_s": round(ours_rate),
        "parse_rows_per_s": round(rows / parse_seconds),
        "raw_sqlite_rows_per_s": round(raw_rate),
        "ratio": round(ours_rate / raw_rate, 3),
        "seconds": round(ours, 1),
    }
