"""The console's benchmarks, on the real app driven by Textual's pilot, in a process of its own
(so its resident memory is the console's, not the benchmark runner's).

- ``console_open``: from starting the app to the queue's first screen of real lines, with the
  process's peak resident memory then; against a raw-SQLite read of the same id list and page.
- ``console_find``: the agent presses Enter on a global find (phone, last four digits, number,
  name, tracking number) until the order's detail is on screen; p95 of 20.
- ``console_refresh``: another process commits a change to an order on screen until that line
  shows it; p95 of 20 (the console polls ``data_version`` twice a second).

Run as ``python -m tests.bench.console DB ORDERS``; :func:`console_benches` does that.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.tui.seed import LONE_NAME, LONE_PHONE, NOW, ZONE

Report = Callable[..., None]

_WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
    order_id = int(sys.argv[2])
    for n, _ in enumerate(sys.stdin):
        con.execute("BEGIN IMMEDIATE")
        seq = con.execute(
            "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value"
        ).fetchone()[0]
        status = ("refunded", "paid")[n % 2]
        con.execute(
            "UPDATE orders SET payment_status = ?, change_seq = ? WHERE id = ?",
            (status, seq, order_id),
        )
        con.execute("COMMIT")
        print(status, time.monotonic(), flush=True)
    """
)


def report(name: str, **figures: Any) -> None:
    print("BENCH " + json.dumps({"name": name, **figures}, sort_keys=True), flush=True)


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1] * 1000, 1)


def _baseline_ms(path: Path) -> float:
    raw = sqlite3.connect(path)
    start = time.perf_counter()
    ids = [
        r[0]
        for r in raw.execute(
            "SELECT id FROM orders WHERE lifecycle = 'open' ORDER BY created_at DESC, id DESC"
        )
    ]
    marks = ",".join("?" * 50)
    raw.execute(f"SELECT * FROM orders WHERE id IN ({marks})", ids[:50]).fetchall()
    raw.close()
    return (time.perf_counter() - start) * 1000


async def run(path: Path, orders: int) -> None:
    from textual.pilot import Pilot

    from sync.clock import VirtualClock
    from tui.app import OrderwatchApp
    from tui.config import ConsoleConfig
    from tui.screens.detail import DetailScreen
    from tui.screens.orders import OrdersScreen

    start = time.perf_counter()
    app = OrderwatchApp(
        path, config=ConsoleConfig(undo_seconds=0), clock=VirtualClock(NOW), zone=ZONE
    )

    async def until(check: Callable[[], bool], pilot: Pilot[None]) -> None:
        # Plain sleeps: the pilot's own pauses wait for the app to go idle, which is slower
        # than what a person at the terminal waits for.
        for _ in range(20000):
            if check():
                return
            await asyncio.sleep(0.001)
        raise AssertionError("the console did not get there")

    def painted() -> bool:
        screen = app.screen
        if not isinstance(screen, OrdersScreen) or not screen.order_list.loaded:
            return False
        listed = screen.order_list
        return all(listed.line_of(i) is not None for i in listed.ids[:20])

    async with app.run_test(size=(80, 24)) as pilot:
        await until(painted, pilot)
        await pilot.pause()
        first_paint = (time.perf_counter() - start) * 1000
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        base = _baseline_ms(path)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        report(
            "console_open",
            orders=orders,
            listed=screen.order_list.row_count,
            first_paint_ms=round(first_paint, 1),
            rss_mb=round(rss_mb, 1),
            baseline_ms=round(base, 1),
            ratio=round(first_paint / base, 2),
        )
        await _find(app, pilot, until, orders, DetailScreen)
        await _refresh(app, pilot, path, screen)


def _detail_drawn(app: Any, detail: type) -> bool:
    """The order's detail is mounted with its summary written (what the agent reads first)."""
    screen = app.screen
    if not isinstance(screen, detail) or not screen.is_mounted or screen.file is None:
        return False
    summary = screen.query("#summary")
    return bool(summary) and screen.file.order.customer_name in str(summary.first().render())


async def _find(app: Any, pilot: Any, until: Any, orders: int, detail: type) -> None:
    # Whole phones of bulk orders (they end in 0), the lone order's phone, name and e-mail,
    # and bulk order numbers and tracking numbers: each finds exactly one order.
    looks = ["".join(c for c in LONE_PHONE if c.isdigit()), LONE_NAME, "buyer7@example.com"]
    step = max(1, orders // 20)
    for i in range(3, orders, step * 3):
        looks += [f"139{i:07d}0", f"#{200000 + i}", f"BK{(i // 3) * 3:010d}"]
    samples: list[float] = []
    for text in looks[:20]:
        await pilot.press("ctrl+f", *text)
        await pilot.pause()
        begun = time.perf_counter()
        app.simulate_key("enter")
        await until(lambda: _detail_drawn(app, detail), pilot)
        samples.append(time.perf_counter() - begun)
        if os.environ.get("BENCH_VERBOSE"):
            print(text, round(samples[-1] * 1000), file=sys.stderr)
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, detail), pilot)
    report("console_find", orders=orders, lookups=len(samples), p95_ms=p95(samples),
           median_ms=round(statistics.median(samples) * 1000, 1))  # fmt: skip


async def _refresh(app: Any, pilot: Any, path: Path, screen: Any) -> None:
    listed = screen.order_list
    order_id = listed.ids[2]
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(order_id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    samples: list[float] = []
    try:
        for _ in range(20):
            # Commits come at any moment, not just after a poll: start at a random phase.
            await asyncio.sleep(random.uniform(0, 0.5))
            writer.stdin.write("go\n")
            writer.stdin.flush()
            status, committed = writer.stdout.readline().split()
            words = "refunded·" if status == "refunded" else "paid·"

            def shown(status: str = status, words: str = words) -> bool:
                line = listed.line_of(order_id)
                text = "".join(s.text for s in listed.render_line(2))
                return line is not None and line.payment_status == status and words in text

            for _ in range(20000):
                if shown():
                    break
                await asyncio.sleep(0.002)
            samples.append(time.monotonic() - float(committed))
    finally:
        writer.stdin.close()
        writer.wait()
    report("console_refresh", orders=listed.row_count, changes=len(samples), p95_ms=p95(samples),
           median_ms=round(statistics.median(samples) * 1000, 1))  # fmt: skip


async def console_benches(path: Path, orders: int, relay: Report) -> None:
    """Run the console's benchmarks in their own process and pass their lines on."""
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.console",
        str(path),
        str(orders),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    out, _ = await done.communicate()
    for line in out.decode().splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line[len("BENCH ") :])
            relay(figures.pop("name"), **figures)
    if done.returncode:
        raise RuntimeError(f"the console benchmarks failed (exit {done.returncode})")


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), int(sys.argv[2])))
