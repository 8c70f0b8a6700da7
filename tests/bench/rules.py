"""Benchmarks of the rules engine: a full re-plan over a million subjects, an idle tick over a
million timers, and how long a saved ``rules.toml`` takes to be in force in a running daemon.

The re-plan runs over a million active subjects written straight into SQLite (600 000 paid orders
waiting to ship, 400 000 parcels on the move), every one with a running timer: the worst case
for a reload. The idle tick and the reload run on a year of a shop's history (mostly archived
and delivered, a few weeks of open orders and parcels on the move). Each figure comes with the
share of work it stands for.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.commands import run_daemon
from daemon.config import Config
from daemon.engine import RulesEngine
from daemon.reload import RULES_VERSION
from daemon.rules.loader import parse_rules
from daemon.runner import Daemon
from sync.clock import SystemClock, VirtualClock
from sync.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 4, 14, 8, 0, tzinfo=UTC)  # a Wednesday morning in Berlin

Report = Callable[..., None]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_shop(path: Path, orders: int, parcels: int) -> None:
    """``orders`` orders, one placed every 50 seconds back from NOW, ``parcels`` of them shipped."""
    asyncio.run(_migrate(path))
    rng = random.Random(5)
    order_rows, parcel_rows = [], []
    shipped = 0
    for n in range(orders):
        created = NOW - timedelta(seconds=50 * n)
        recent = n < 30_000  # about seventeen days
        has_parcel = shipped < parcels and n % 3 != 0
        if has_parcel:
            shipped += 1
            old = "delivered" if rng.random() < 0.97 else "returned"
            status = _moving(rng) if recent else old
            lifecycle = "open" if recent else "closed"
            order_rows.append(_order(n, created, "fulfilled", lifecycle, rng))
            scan = created + timedelta(hours=rng.randint(4, 60))
            parcel_rows.append(
                (n + 1, n + 1, "bench", f"f{n}", rng.choice(["dhl", "dpd", "ups", "sf"]),
                 f"T{n:09d}", status, _stamp(created + timedelta(hours=3)), _stamp(min(scan, NOW)),
                 "17track")
            )  # fmt: skip
        elif recent and n % 3 == 0 and n < 15_000:
            order_rows.append(_order(n, created, "unfulfilled", "open", rng))
        else:
            lifecycle = "cancelled" if rng.random() < 0.3 else "closed"
            order_rows.append(_order(n, created, "fulfilled", lifecycle, rng))
    _write(path, order_rows, parcel_rows)


def build_active_shop(path: Path, unshipped: int, moving: int) -> None:
    """A busy shop where every subject has a running timer: ``unshipped`` paid orders waiting
    to ship (one placed every 2 seconds back from NOW) and ``moving`` shipped orders whose
    parcel is on its way, last scanned within the last two days."""
    asyncio.run(_migrate(path))
    rng = random.Random(7)
    order_rows, parcel_rows = [], []
    for n in range(unshipped + moving):
        created = NOW - timedelta(seconds=2 * n)
        if n < unshipped:
            order_rows.append(_order(n, created, "unfulfilled", "open", rng))
            continue
        order_rows.append(_order(n, created, "fulfilled", "open", rng))
        scan = NOW - timedelta(minutes=rng.randint(10, 2 * 24 * 60))
        parcel_rows.append(
            (n + 1, n + 1, "bench", f"f{n}", rng.choice(["dhl", "dpd", "ups", "sf"]),
             f"T{n:09d}", "in_transit", _stamp(scan - timedelta(hours=3)), _stamp(scan),
             "17track")
        )  # fmt: skip
    _write(path, order_rows, parcel_rows)


def _write(
    path: Path, order_rows: list[tuple[Any, ...]], parcel_rows: list[tuple[Any, ...]]
) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous = OFF")
        with con:
            con.executemany(
                "INSERT INTO orders (id, source, external_id, number, payment_status, "
                "fulfillment_status, lifecycle, total, tags, channel, created_at, updated_at, "
                "paid_at, reserved_at, change_seq) "
                "VALUES (?, 'bench', ?, ?, 'paid', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                order_rows,
            )
            con.executemany(
                "INSERT INTO shipments (id, order_id, source, external_id, carrier, "
                "tracking_number, status, shipped_at, last_checkpoint_at, tracked_by, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                parcel_rows,
            )
            con.execute(
                "INSERT INTO sources (name, kind, last_attempt_at, last_success_at) "
                "VALUES ('17track', '17track', ?, ?)",
                (_stamp(NOW), _stamp(NOW)),
            )
            con.execute("UPDATE change_counter SET value = 1")
    finally:
        con.close()


def _moving(rng: random.Random) -> str:
    return rng.choices(
        ["in_transit", "info_received", "out_for_delivery", "delivery_failed", "exception",
         "delivered"],
        [55, 12, 8, 5, 5, 15],
    )[0]  # fmt: skip


def _order(
    n: int, created: datetime, fulfillment: str, lifecycle: str, rng: random.Random
) -> tuple[Any, ...]:
    paid = _stamp(created + timedelta(minutes=2))
    tags = '["vip"]' if rng.random() < 0.05 else "[]"
    channel = "amazon" if rng.random() < 0.1 else "web"
    reserved = paid if rng.random() < 0.8 else None
    return (
        n + 1, f"o{n}", f"#{100000 + n}", fulfillment, lifecycle, f"{rng.randint(10, 500)}.00",
        tags, channel, _stamp(created), _stamp(created), paid, reserved,
    )  # fmt: skip


async def _migrate(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


async def replan_all(folder: Path, report: Report, subjects: int = 1_000_000) -> None:
    """A full re-plan under the shipped rules over ``subjects`` active subjects (paid orders
    waiting to ship and parcels on the move, each with a running timer): first (every timer is
    new), then of every rule again as after a reload that touched them all (nothing moved,
    nothing is written)."""
    path = folder / "rules_replan.db"
    moving = subjects * 2 // 5
    await asyncio.to_thread(build_active_shop, path, subjects - moving, moving)
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    store = await Store.open(path)
    engine = RulesEngine(store, VirtualClock(NOW), parse_rules(text, "rules.toml"))
    start = time.perf_counter()
    await engine.replan_all()
    first = time.perf_counter() - start
    timers = int(await store.db.scalar("SELECT count(*) FROM timers WHERE state != 'resolved'"))
    engine.swap(parse_rules(text + "\n# edited\n", "rules.toml"), everything=True)
    start = time.perf_counter()
    await engine.replan_all()
    again = time.perf_counter() - start
    found = await store.candidate_subjects(*_candidates(engine))
    visited = len(found.orders)
    await store.close()
    report(
        "replan_all",
        subjects=subjects,
        orders_visited=visited,
        timers=timers,
        seconds=round(again, 3),
        first_seconds=round(first, 3),
    )


def _candidates(engine: RulesEngine) -> Any:
    from daemon.rules.prefilter import candidates

    return candidates(engine.rules)


async def tick_idle(folder: Path, report: Report, timers: int = 1_000_000) -> None:
    """One turn of the rules loop when nothing is due, over ``timers`` waiting timers."""
    path = folder / "rules_tick.db"
    await asyncio.to_thread(build_shop, path, timers, 0)
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO timers (rule_id, subject_kind, subject_id, order_id, started_at, "
            "deadline_at, next_at, state, rules_version, change_seq) "
            "VALUES ('paid_not_shipped', 'order', ?, ?, ?, ?, ?, 'pending', 'v', 1)",
            (
                (n, n, _stamp(NOW), _stamp(NOW + timedelta(hours=1 + n % 500)),
                 _stamp(NOW + timedelta(hours=1 + n % 500)))
                for n in range(1, timers + 1)
            ),
        )  # fmt: skip
    con.close()
    store = await Store.open(path)
    engine = RulesEngine(store, VirtualClock(NOW), parse_rules(_text(), "rules.toml"))
    await store.set_state({"rules.planned_seq": str(await store.change_seq())}, NOW)
    await engine.tick()  # settle: the first tick looks at the sources
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        await engine.tick()
        await engine.next_wake()
        samples.append(time.perf_counter() - start)
    await store.close()
    report(
        "tick_idle",
        timers=timers,
        ms=round(statistics.median(samples) * 1000, 3),
        p95_ms=round(sorted(samples)[int(len(samples) * 0.95)] * 1000, 3),
    )


def _text() -> str:
    return (ROOT / "rules.toml").read_text(encoding="utf-8")


async def reload_latency(folder: Path, report: Report, saves: int = 20) -> None:
    """Save an edited rules.toml the way editors do (write aside, rename over) under a running
    daemon with a 20 000-order mirror, and time until the new version is in force and the
    edited rule's timers are re-planned."""
    path = folder / "reload.db"
    await asyncio.to_thread(build_shop, path, 12_000, 8_000)
    rules = folder / "reload" / "rules.toml"
    rules.parent.mkdir()
    shutil.copy(ROOT / "rules.toml", rules)
    config = Config(database=path, rules=rules)
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, SystemClock(), started=started))
    daemon = await started
    while not await daemon.store.db.scalar("SELECT count(*) FROM timers"):
        await asyncio.sleep(0.05)  # let the first full plan finish
    # ... and the thousands of escalations it raised be taken up by the ladder and told, and the
    # orders they touched be looked at again, so the saves are timed on a daemon at work as
    # usual, not in its start-up rush
    for _ in range(1200):
        waiting = await daemon.store.db.scalar(
            "SELECT (SELECT count(*) FROM escalations WHERE policy IS NULL) + "
            "(SELECT count(*) FROM outbox WHERE state = 'pending') + "
            "(SELECT count(*) FROM orders WHERE change_seq > coalesce((SELECT CAST(value AS "
            "INTEGER) FROM daemon_state WHERE key = 'rules.planned_seq'), 0))"
        )
        if not waiting:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    reloaded = asyncio.Event()
    reload = daemon.reload

    async def reload_and_tell() -> bool:
        done = await reload()
        reloaded.set()
        return done

    daemon.reload = reload_and_tell  # type: ignore[method-assign]
    samples = []
    for n in range(saves):
        before = await daemon.store.get_state(RULES_VERSION)
        reloaded.clear()
        aside = rules.with_name(f".rules.toml.{n}")
        timeout = "5h" if n % 2 == 0 else "4h"  # the usual edit: one rule's timeout
        aside.write_text(_text().replace('timeout = "4h"', f'timeout = "{timeout}"', 1), "utf-8")
        start = time.perf_counter()
        os.replace(aside, rules)
        await reloaded.wait()
        samples.append(time.perf_counter() - start)
        assert await daemon.store.get_state(RULES_VERSION) != before
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=30)
    ordered = sorted(samples)
    report(
        "reload_latency",
        saves=saves,
        p50_ms=round(statistics.median(samples) * 1000),
        p95_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000),
    )


async def main(folder: Path, report: Report) -> None:
    await replan_all(folder, report)
    await tick_idle(folder, report)
    await reload_latency(folder, report)
