"""Benchmark of the order guards: one incremental pass after a sync changed 10 000 of a million
orders, neighbours of the same customers included.

The mirror is written straight into SQLite (orders, parcels, line items and the customer keys a
previous pass left) and kept in the temp folder between runs; each run works on a copy. A third
of the customers have two or three orders, so merge suggestions and repeat SKUs have neighbours
to find. The baseline is reading the changed orders' rows with raw SQLite.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.guards import CHECKED_SEQ, GuardRunner, keys_of
from sync.clock import VirtualClock
from sync.guards import GuardSettings, OrderFacts
from sync.store import Store
from sync.store.migrations import MIGRATIONS

NOW = datetime(2027, 4, 14, 8, 0, tzinfo=UTC)
VERSION = 1
Report = Callable[..., None]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(orders: int) -> tuple[list[tuple[Any, ...]], ...]:
    rng = random.Random(10)
    order_rows, parcels, items, keys = [], [], [], []
    customers = orders * 2 // 3
    for n in range(1, orders + 1):
        created = NOW - timedelta(seconds=30 * n)
        who = n % customers
        phone = f"+86 139{who:08d}"
        name, address = f"客户{who}", f"朝阳区建国路{who}号"
        open_order = n < 40_000
        fulfillment = "unfulfilled" if open_order and n % 2 else "fulfilled"
        order_rows.append(
            (n, f"o{n}", f"#{n}", fulfillment, "open" if open_order else "closed", name, phone,
             f"c{who}@example.com", address, "北京", "CN", "100020", _stamp(created),
             _stamp(created), _stamp(created))
        )  # fmt: skip
        if fulfillment == "fulfilled":
            parcels.append(
                (n, n, f"f{n}", "sf", f"SF{n:012d}", "delivered",
                 _stamp(created + timedelta(hours=3)), _stamp(created + timedelta(hours=30)))
            )  # fmt: skip
        items.append((n, f"li{n}", f"SKU-{rng.randrange(2000)}", "Tea", 1))
        facts = OrderFacts(n, f"#{n}", created, "paid", fulfillment, "open", name, phone,
                           f"c{who}@example.com", address, "北京", "", "CN")  # fmt: skip
        keys.extend((key, n) for key in keys_of(facts))
    return order_rows, parcels, items, keys


def build(path: Path, orders: int) -> None:
    async def migrate() -> None:
        await (await Store.open(path)).close()

    asyncio.run(migrate())
    order_rows, parcels, items, keys = _rows(orders)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous = OFF")
        with con:
            con.executemany(
                "INSERT INTO orders (id, source, external_id, number, payment_status, "
                "fulfillment_status, lifecycle, customer_name, phone, email, address, city, "
                "country, postcode, created_at, updated_at, paid_at, change_seq) "
                "VALUES (?, 'bench', ?, ?, 'paid', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                order_rows,
            )
            con.executemany(
                "INSERT INTO shipments (id, order_id, source, external_id, carrier, "
                "tracking_number, status, shipped_at, last_checkpoint_at, change_seq) "
                "VALUES (?, ?, 'bench', ?, ?, ?, ?, ?, ?, 1)",
                parcels,
            )
            con.executemany(
                "INSERT INTO line_items (order_id, external_id, sku, title, quantity) "
                "VALUES (?, ?, ?, ?, ?)",
                items,
            )
            con.executemany("INSERT OR IGNORE INTO customer_keys VALUES (?, ?)", keys)
            con.execute("UPDATE change_counter SET value = 1")
            con.execute(
                "INSERT INTO daemon_state (key, value, updated_at) VALUES (?, '1', ?)",
                (CHECKED_SEQ, _stamp(NOW)),
            )
    finally:
        con.close()


def cached(orders: int) -> Path:
    """The benchmark's mirror, built once and kept in the temp folder (per schema)."""
    schema = hashlib.sha1(repr(MIGRATIONS).encode()).hexdigest()[:8]
    name = f"orderwatch-bench-guards-{orders}-v{VERSION}-{schema}.db"
    path = Path(tempfile.gettempdir()) / name
    if not path.is_file():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, orders)
        partial.rename(path)
    return path


def _change(path: Path, changed: int, orders: int) -> list[int]:
    """A sync that touched ``changed`` orders (half of them open ones), a page of 250 a
    transaction, as the sync engine writes them."""
    rng = random.Random(11)
    ids = sorted(
        set(rng.sample(range(1, 40_000), changed // 2))
        | set(rng.sample(range(40_000, orders + 1), changed - changed // 2))
    )
    con = sqlite3.connect(path)
    try:
        with con:
            pages = [(2 + index // 250, order_id) for index, order_id in enumerate(ids)]
            con.executemany("UPDATE orders SET change_seq = ? WHERE id = ?", pages)
            con.execute("UPDATE change_counter SET value = ?", (pages[-1][0],))
    finally:
        con.close()
    return ids


def _baseline_ms(path: Path, ids: list[int]) -> float:
    con = sqlite3.connect(path)
    try:
        start = time.perf_counter()
        con.execute(
            "SELECT * FROM orders WHERE id IN (SELECT value FROM json_each(?))", (str(ids),)
        ).fetchall()
        return (time.perf_counter() - start) * 1000
    finally:
        con.close()


async def guards_incremental(folder: Path, report: Report, orders: int = 1_000_000) -> None:
    changed = 10_000
    source = await asyncio.to_thread(cached, orders)
    path = folder / "guards.db"
    await asyncio.to_thread(shutil.copyfile, source, path)
    ids = _change(path, changed, orders)
    raw_ms = _baseline_ms(path, ids)
    store = await Store.open(path)
    try:
        runner = GuardRunner(store, VirtualClock(NOW), GuardSettings)
        start = time.perf_counter()
        moved = await runner.check_changed()
        ms = (time.perf_counter() - start) * 1000
        flags = int(await store.db.scalar("SELECT count(*) FROM guard_flags"))
    finally:
        await store.close()
    report(
        "guards_incremental",
        orders=orders,
        changed=changed,
        ms=round(ms, 1),
        raw_read_ms=round(raw_ms, 1),
        flags_moved=moved,
        flags=flags,
    )
    path.unlink(missing_ok=True)
