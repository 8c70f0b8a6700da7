"""``orderwatchd simulate``: serve the simulated shop and courier APIs alone, until ctrl+c."""

from __future__ import annotations

import argparse
import asyncio
import logging

from daemon.errors import UsageError
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import Faults
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from sync.clock import SystemClock

log = logging.getLogger("orderwatch.simulator")


async def simulate(args: argparse.Namespace) -> int:
    try:
        faults = Faults(args.faults or "", seed=args.seed)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}") from None
    if args.orders < 0:
        raise UsageError("--orders must not be negative")
    clock = SystemClock()
    shop = Shop(seed=args.seed, orders=args.orders, now=clock.now())
    try:
        server = await serve(create_app(shop, clock=clock, faults=faults), port=args.port)
    except OSError as exc:
        raise UsageError(f"--port {args.port}: {exc}") from None
    log.info(
        "simulated shop (%d orders, seed %d) on %s, token %r; Shopify at "
        "/admin/api/2025-01/graphql.json, 17TRACK at /track/v2.2/; faults: %s",
        args.orders,
        args.seed,
        server.url,
        DEFAULT_TOKEN,
        str(faults.spec) or "none",
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
    return 0
