"""The weekly report on a million orders (the design target: at most 5 s), and ``rules suggest``
replaying 30 days of orders through the rules planner.

The shop has taken orders for 100 days; a twentieth of them broke a rule and most of those were
resolved with a delay reason; four in five have a parcel with three scans; agents looked up one
order in ten. The report covers the last whole week, which holds about 70 000 of the orders, with
one rule on a 10% trial compared against the rest.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from daemon.reports.html import as_html
from sync.reports.model import PeriodKind, build_report
from sync.store import LookupKind, Store
from sync.store.lookups import LOOKUP_STAGE_SQL

DAYS = 100
START = datetime(2026, 8, 1, tzinfo=UTC)
REASONS = ("customs", "stock_shortage", "packing_delay", "courier_not_collected")
STAGES = ("unfulfilled", "fulfilled", "fulfilled", "fulfilled", "in_progress")
CHANNELS = ("web", "pos", "app")


def _at(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _orders(n: int) -> Iterator[tuple[Any, ...]]:
    step = DAYS * 86400 / n
    for i in range(1, n + 1):
        created = _at(START + timedelta(seconds=i * step))
        yield (i, "shop", str(i), f"#{i}", CHANNELS[i % 3], "paid", STAGES[i % 5], "open",
               created, created)  # fmt: skip


def _parcels(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        if i % 5:
            status = "delivered" if i % 7 else "in_transit"
            yield (i, i, "shop", str(i), ("sf", "zto", "yto")[i % 3], f"T{i}", status)


def _scans(n: int) -> Iterator[tuple[Any, ...]]:
    step = DAYS * 86400 / n
    for i in range(1, n + 1):
        if i % 5:
            base = START + timedelta(seconds=i * step)
            for k, hours in enumerate((4, 20 + i % 17, 50 + i % 31)):
                place = ("Shenzhen", "Wuhan", ("Beijing", "Shanghai", "Chengdu")[i % 3])[k]
                yield (i, _at(base + timedelta(hours=hours)), "", place, place, str(k))


def _escalations(n: int) -> Iterator[tuple[Any, ...]]:
    step = DAYS * 86400 / n
    for i in range(20, n + 1, 20):
        opened = START + timedelta(seconds=i * step, hours=24)
        acked = opened + timedelta(minutes=5 + i % 90)
        done = acked + timedelta(minutes=30 + i % 600) if i % 3 else None
        yield (i, "paid_not_shipped" if i % 40 else "late_tracking", "order", i, i, "warning",
               "late", "resolved" if done else "acknowledged", "v1", _at(opened), _at(opened),
               _at(acked), ("anna", "bo", "li")[i % 3], 1, _at(done) if done else None,
               ("anna", "bo", "li")[i % 3] if done else "", REASONS[i % 4] if done else "",
               1 if done else None)  # fmt: skip


def _lookups(n: int) -> Iterator[tuple[Any, ...]]:
    step = DAYS * 86400 / n
    for i in range(1, n + 1, 10):
        at = _at(START + timedelta(seconds=i * step, hours=30))
        yield (at, ("anna", "bo", "li")[i % 3], ("find", "open")[i % 2], i, STAGES[i % 5])


def build(path: Path, n: int) -> None:
    async def migrate() -> None:
        await (await Store.open(path)).close()

    asyncio.run(migrate())
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous = OFF")
        with con:
            con.executemany(
                "INSERT INTO orders (id, source, external_id, number, channel, payment_status, "
                "fulfillment_status, lifecycle, created_at, updated_at, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                _orders(n),
            )
            con.executemany(
                "INSERT INTO shipments (id, order_id, source, external_id, carrier, "
                "tracking_number, status, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                _parcels(n),
            )
            con.executemany(
                "INSERT INTO checkpoints (shipment_id, at, at_raw, description, location, "
                "dedup_key) VALUES (?, ?, ?, ?, ?, ?)",
                _scans(n),
            )
            con.executemany(
                "INSERT INTO escalations (id, rule_id, subject_kind, subject_id, order_id, "
                "severity, summary, state, rules_version, opened_at, deadline_at, "
                "first_acked_at, first_acked_by, first_ack_level, resolved_at, resolved_by, "
                "resolution, resolved_level, timer_id, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
                _escalations(n),
            )
            con.executemany(
                "INSERT INTO lookups (at, agent, kind, order_id, stage) VALUES (?, ?, ?, ?, ?)",
                _lookups(n),
            )
    finally:
        con.close()


async def report_weekly(folder: Path, orders: int, report: Callable[..., None]) -> None:
    path = folder / "report.db"
    began = time.perf_counter()
    await asyncio.to_thread(build, path, orders)
    built = time.perf_counter() - began
    store = await Store.open(path)
    try:
        first = date(2026, 10, 5)
        began = time.perf_counter()
        figures = await build_report(
            store,
            PeriodKind.WEEKLY,
            first,
            first + timedelta(days=7),
            ZoneInfo("Asia/Shanghai"),
            rollouts={"paid_not_shipped": Decimal(10)},
        )
        as_html(figures)
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    report(
        "report_weekly",
        orders=orders,
        seconds=round(seconds, 2),
        build_seconds=round(built, 1),
        escalations=sum(r["escalations"] for r in figures["breaches"]),
        target_seconds=5,
    )


def build_history(path: Path, n: int) -> None:
    """``n`` paid orders over 30 days, each fulfilled 1 to 40 hours after payment (one in ten
    still waiting), with the status change on the timeline as a sync writes it."""

    async def migrate() -> None:
        await (await Store.open(path)).close()

    asyncio.run(migrate())
    step = 30 * 86400 / n
    orders, events = [], []
    for i in range(1, n + 1):
        paid = START + timedelta(seconds=i * step)
        shipped = i % 10 != 0
        orders.append(
            (i, "shop", str(i), f"#{i}", "web", "paid",
             "fulfilled" if shipped else "unfulfilled", "open", _at(paid), _at(paid), _at(paid))
        )  # fmt: skip
        if shipped:
            at = _at(paid + timedelta(hours=1 + i % 40))
            events.append((at, "shop", i, "order", i, "status", "fulfillment_status",
                           "unfulfilled", "fulfilled"))  # fmt: skip
    con = sqlite3.connect(path)
    try:
        with con:
            con.executemany(
                "INSERT INTO orders (id, source, external_id, number, channel, payment_status, "
                "fulfillment_status, lifecycle, created_at, updated_at, paid_at, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                orders,
            )
            con.executemany(
                "INSERT INTO events (at, actor, order_id, subject_kind, subject_id, kind, field, "
                "from_value, to_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                events,
            )
    finally:
        con.close()


async def rules_suggest(folder: Path, orders: int, report: Callable[..., None]) -> None:
    """``rules suggest`` over 30 days of ``orders`` against the shipped rules.toml."""
    from daemon.reports.suggest import collect_runs, suggestions
    from daemon.rules.loader import load_rules

    path = folder / "history.db"
    await asyncio.to_thread(build_history, path, orders)
    rules = load_rules(Path(__file__).resolve().parents[2] / "rules.toml")
    store = await Store.open(path)
    try:
        began = time.perf_counter()
        runs = await collect_runs(store, rules, START, START + timedelta(days=30))
        suggestions(rules, runs, 30)
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    report(
        "rules_suggest",
        orders=orders,
        rules=len(runs),
        runs=sum(len(found) for found in runs.values()),
        seconds=round(seconds, 2),
    )


async def lookup_writes(folder: Path, report: Callable[..., None], count: int = 300) -> None:
    """The console noting agents' look-ups on the report's million-order database: one row per
    look-up with the order's stage, through a durable store as the console writes them, against
    raw SQLite committing the same statement once per row."""
    path = folder / "report.db"
    store = await Store.open(path, durable=True)
    try:
        at = START + timedelta(days=DAYS)
        began = time.perf_counter()
        for n in range(count):
            await store.record_lookup("anna", LookupKind.OPEN, 1 + n * 997, at)
        ours = time.perf_counter() - began
    finally:
        await store.close()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous = FULL")
        began = time.perf_counter()
        for n in range(count):
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                f"INSERT INTO lookups (at, agent, kind, order_id, stage) "
                f"SELECT ?, 'anna', 'open', o.id, {LOOKUP_STAGE_SQL} FROM orders o WHERE o.id = ?",
                (_at(START), 1 + n * 997),
            )
            con.execute("COMMIT")
        raw = time.perf_counter() - began
    finally:
        con.close()
    report(
        "lookup_write",
        lookups=count,
        ms_each=round(1000 * ours / count, 2),
        raw_ms_each=round(1000 * raw / count, 2),
        ratio=round(ours / raw, 2),
    )
