"""``make bench``: each benchmark prints one line ``BENCH {json}``.

Every figure is measured in this run against a raw-SQLite baseline on the same rows, so ratios
stay meaningful on any machine. ``BENCH_ORDERS`` sets the console database size (default 200000;
the design target is 1000000).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from daemon.engine import RulesEngine
from daemon.rules.loader import load_rules
from sync.clock import VirtualClock
from sync.domain import FulfillmentStatus, Lifecycle, LineItem, OrderRecord, PaymentStatus
from sync.store import Store
from tests.bench.agents import agent_writes
from tests.bench.console import console_benches
from tests.bench.exports import csv_import
from tests.bench.guards import guards_incremental
from tests.bench.reports import lookup_writes, report_weekly, rules_suggest
from tests.bench.rules import main as rules_engine
from tests.bench.tracking import ingest_checkpoints
from tests.bench.tracking_page import tracking_page
from tests.bench.upkeep import upkeep
from tests.bench.webhooks import webhook_ingest
from tests.tui.seed import T0, build_big

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_ORDERS = int(os.environ.get("BENCH_CONSOLE_ORDERS", "1000000"))
"""The console's benchmarks (open, find, refresh) run on a database this big, the design target."""


def report(name: str, **figures: Any) -> None:
    print("BENCH " + json.dumps({"name": name, **figures}, sort_keys=True), flush=True)


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


def raw_timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


async def lookup(path: Path, orders: int) -> None:
    """A global look-up by the last four digits of a phone."""
    store = await Store.open(path)
    ours = await timed(lambda: store.find_orders("4321"))
    await store.close()
    raw = sqlite3.connect(path)
    base = raw_timed(
        lambda: raw.execute(
            "SELECT rowid FROM order_search WHERE order_search MATCH '\"4321\"*' LIMIT 20"
        ).fetchall()
    )
    raw.close()
    report(
        "lookup_phone_last4",
        orders=orders,
        seconds=round(ours, 5),
        baseline_seconds=round(base, 5),
        ratio=round(ours / max(base, 1e-6), 2),
    )


def _record(n: int) -> OrderRecord:
    created = T0 - timedelta(minutes=n)
    return OrderRecord(
        source="shop",
        external_id=f"o{n}",
        number=f"#{n}",
        updated_at=created,
        created_at=created,
        payment_status=PaymentStatus.PAID,
        fulfillment_status=FulfillmentStatus.UNFULFILLED,
        lifecycle=Lifecycle.OPEN,
        customer_name="李娜",
        phone=f"+86 139 {n:08d}",
        email=f"c{n}@example.com",
        paid_at=created,
        line_items=(LineItem(external_id=f"li{n}", title="Tea", quantity=1),),
        raw={"n": n},
    )


async def sync_upsert(folder: Path, count: int = 5000, page: int = 100) -> None:
    """Pages of orders through the store's upserts, against a bare executemany of the rows."""
    records = [_record(n) for n in range(count)]
    store = await Store.open(folder / "sync.db")

    async def pages() -> None:
        for start in range(0, count, page):
            await store.save_order_page("shop", "shopify", records[start : start + page], "c", T0)

    ours = await timed(pages)
    await store.close()
    raw = sqlite3.connect(folder / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute(
        "CREATE TABLE o (source, external_id, number, name, phone, email, created, raw, "
        "UNIQUE (source, external_id))"
    )

    def baseline() -> None:
        for start in range(0, count, page):
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(
                "INSERT OR REPLACE INTO o VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.source,
                        r.external_id,
                        r.number,
                        r.customer_name,
                        r.phone,
                        r.email,
                        r.created_at.isoformat(),
                        json.dumps(r.raw),
                    )
                    for r in records[start : start + page]
                ],
            )
            raw.execute("COMMIT")

    base = raw_timed(baseline)
    raw.close()
    report(
        "sync_upsert",
        orders=count,
        page=page,
        orders_per_second=round(count / ours),
        seconds=round(ours, 3),
        baseline_seconds=round(base, 3),
        ratio=round(ours / base, 2),
    )


async def rules_replan(folder: Path, count: int = 5000) -> None:
    """A full re-plan (what a rules reload costs) of ``count`` open orders."""
    store = await Store.open(folder / "sync.db")
    engine = RulesEngine(
        store, VirtualClock(T0 + timedelta(hours=1)), load_rules(ROOT / "rules.toml")
    )
    first = await timed(engine.replan_all)
    again = await timed(engine.replan_all)
    await store.close()
    report(
        "rules_replan",
        orders=count,
        first_seconds=round(first, 3),
        orders_per_second=round(count / first),
        unchanged_seconds=round(again, 3),
    )


async def ingest_orders(folder: Path, count: int = 100_000) -> None:
    """Orders from the simulator (its own process) over loopback HTTP into the mirror, timeline
    and timers included; against a raw executemany upsert of the same rows in this run.

    The simulator serves pages drawn before the clock starts (:mod:`tests.bench.simshop`), in
    Shopify's wire format. As the daemon does once started, the objects alive before the sync
    (modules, rules) are frozen out of the garbage collector's full passes while it runs.
    """
    import gc
    import resource
    import subprocess
    import sys

    import httpx

    from daemon.simulator.app import DEFAULT_TOKEN
    from sync.connectors import ORDER_SOURCES
    from sync.engine import sync_orders
    from sync.store.page import ORDER_FIELDS, order_values

    sim = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.simshop", str(count)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        clock = VirtualClock(T0)
        store = await Store.open(folder / "ingest.db")
        engine = RulesEngine(store, clock, load_rules(ROOT / "rules.toml"))
        settings = {"url": url, "token": DEFAULT_TOKEN, "page_size": "250"}
        async with httpx.AsyncClient(timeout=60) as client:
            source = ORDER_SOURCES["shopify"]("shop", client, settings)
            gc.freeze()
            start = time.perf_counter()
            await sync_orders(store, source, clock)
            synced = time.perf_counter() - start
            await engine.replan_changed()
            ours = time.perf_counter() - start
            gc.unfreeze()
            peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows = [order_values(r) for r in await _all_records(source)]
        await store.close()
    finally:
        sim.kill()
        sim.wait()
    raw = sqlite3.connect(folder / "raw-ingest.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute(f"CREATE TABLE orders ({', '.join(ORDER_FIELDS)}, UNIQUE (source, external_id))")
    marks = ", ".join("?" * len(ORDER_FIELDS))
    updates = ", ".join(f"{f} = excluded.{f}" for f in ORDER_FIELDS[2:])

    def baseline() -> None:
        for first in range(0, len(rows), 250):
            raw.execute("BEGIN IMMEDIATE")
            raw.executemany(
                f"INSERT INTO orders VALUES ({marks}) ON CONFLICT (source, external_id) "
                f"DO UPDATE SET {updates}",
                rows[first : first + 250],
            )
            raw.execute("COMMIT")

    base = raw_timed(baseline)
    raw.close()
    ours_rate, raw_rate = count / ours, len(rows) / base
    report(
        "ingest_orders",
        orders=count,
        orders_per_s=round(ours_rate),
        raw_sqlite_rows_per_s=round(raw_rate),
        ratio=round(ours_rate / raw_rate, 3),
        peak_rss_mb=round(peak_rss_mb, 1),
        sync_seconds=round(synced, 1),
        timers_seconds=round(ours - synced, 1),
    )


async def _all_records(source: Any) -> list[Any]:
    records: list[Any] = []
    cursor = ""
    while True:
        page = await source.fetch_page(cursor)
        records.extend(page.orders)
        cursor = page.cursor
        if not page.more:
            return records


async def main() -> None:
    orders = int(os.environ.get("BENCH_ORDERS", "200000"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await ingest_orders(folder)
        await sync_upsert(folder)
        await rules_replan(folder)
        await rules_engine(folder, report)
        report("csv_import", **await csv_import(folder))
        await ingest_checkpoints(folder, report)
        await agent_writes(folder, report)
        report("tracking_page", **await tracking_page(folder))
        report("webhook_ingest", **await webhook_ingest(folder))
        await report_weekly(folder, 1_000_000, report)
        await lookup_writes(folder, report)
        await rules_suggest(folder, 100_000, report)
        big = folder / "big.db"
        await asyncio.to_thread(build_big, big, orders)
        console = big
        if orders != CONSOLE_ORDERS:
            console = folder / "console.db"
            await asyncio.to_thread(build_big, console, CONSOLE_ORDERS)
        await console_benches(console, CONSOLE_ORDERS, report)
        await lookup(big, orders)
        await upkeep(big, orders, report)
        await guards_incremental(folder, report)


if __name__ == "__main__":
    asyncio.run(main())
