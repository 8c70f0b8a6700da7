"""``orderwatchd demo``: a living shop on this machine.

The simulator serves a seeded shop (with days of history, so stuck orders and escalations exist
at once) and keeps it moving in real time; the daemon syncs it into ``data/demo.db`` under the
shipped ``rules.toml``; the console runs in this terminal. Quitting the console stops everything
this command started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from datetime import timedelta
from pathlib import Path

from daemon.commands import run_daemon, wait_started
from daemon.config import Config, Feed
from daemon.errors import UsageError
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.kuaidi100_api import DEFAULT_CUSTOMER as KUAIDI100_CUSTOMER
from daemon.simulator.kuaidi100_api import DEFAULT_KEY as KUAIDI100_KEY
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import CostModel
from sync.clock import SystemClock

log = logging.getLogger("orderwatch.demo")


def demo_config(db: Path, rules: Path, base_url: str) -> Config:
    settings = {"url": base_url, "token": DEFAULT_TOKEN}
    kuaidi100 = {"url": base_url, "key": KUAIDI100_KEY, "customer": KUAIDI100_CUSTOMER}
    every = timedelta(seconds=5)
    return Config(
        database=db,
        rules=rules,
        sources=(Feed("shop", "shopify", every, settings),),
        # The shop's couriers split over the three services, as a shop paying for several would.
        trackers=(
            Feed("17track", "17track", every, settings | {"carriers": "sf,yto,jd,ems"}),
            Feed("aftership", "aftership", every, settings | {"carriers": "dhl,ups"}),
            Feed(
                "kuaidi100",
                "kuaidi100",
                every,
                kuaidi100 | {"carriers": "zto", "requests_per_second": "20"},
            ),
        ),
    )


async def demo(args: argparse.Namespace) -> int:
    db: Path = args.db
    if not args.rules.exists():
        raise UsageError(f"{args.rules}: no rules file (run the demo from the project folder)")
    db.parent.mkdir(parents=True, exist_ok=True)
    _start_logging(None if args.no_console else db.with_suffix(".log"))
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)  # each demo starts from the simulator's history

    clock = SystemClock()
    shop = Shop(seed=args.seed, orders=args.orders, now=clock.now())
    # A Shopify Plus-sized query budget, so ten days of history arrive in seconds.
    server = await serve(
        create_app(
            shop,
            clock=clock,
            bucket=Bucket(maximum=20000, restore_rate=1000),
            shopify_cost=CostModel.CURRENT,
        )
    )
    log.info("simulator on http://127.0.0.1:%d with %d orders", server.port, args.orders)
    config = demo_config(db, args.rules, f"http://127.0.0.1:{server.port}")
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    daemon_task = asyncio.create_task(run_daemon(config, clock, args.duration, started))
    try:
        daemon = await wait_started(started, daemon_task)
        if not args.no_console:
            await _run_console(db, daemon_task)
            daemon.request_stop()
        await daemon_task
    finally:
        if not daemon_task.done():
            daemon_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await daemon_task
        await server.stop()
    return 0


async def _run_console(db: Path, daemon_task: asyncio.Task[None]) -> None:
    """The console, as its own process on this terminal (the daemon never imports it)."""
    console = await asyncio.create_subprocess_exec(sys.executable, "-m", "tui", "--db", str(db))
    waiter = asyncio.create_task(console.wait())
    await asyncio.wait({waiter, daemon_task}, return_when=asyncio.FIRST_COMPLETED)
    if not waiter.done():
        console.terminate()
        await waiter


def _start_logging(log_file: Path | None) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the rest
