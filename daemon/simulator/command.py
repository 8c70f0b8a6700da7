"""``orderwatchd simulate``: serve the simulated shop and courier APIs alone, until ctrl+c.

With ``--webhooks URL`` the shop also POSTs its order changes there, signed, in the format of
``--webhook-vendor``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import httpx

from daemon.errors import UsageError
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import LATE, Faults
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.webhooks import WebhookSender
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET
from sync.clock import SystemClock

log = logging.getLogger("orderwatch.simulator")


async def simulate(args: argparse.Namespace) -> int:
    try:
        faults = Faults(args.faults or "", seed=args.seed)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}") from None
    if args.orders < 0:
        raise UsageError("--orders must not be negative")
    if args.webhooks and not args.webhooks.startswith(("http://", "https://")):
        raise UsageError(f"--webhooks {args.webhooks}: expected an http:// or https:// URL")
    clock = SystemClock()
    shop = Shop(
        seed=args.seed,
        orders=args.orders,
        now=clock.now(),
        tick=faults.spec.tick,
        late_share=faults.spec.quirk(LATE),
    )
    try:
        server = await serve(create_app(shop, clock=clock, faults=faults), port=args.port)
    except OSError as exc:
        raise UsageError(f"--port {args.port}: {exc}") from None
    log.info(
        "simulated shop (%d orders, seed %d) on %s: Shopify token %r at /admin/api/2025-01/ "
        "(graphql.json, orders.json), WooCommerce key %r secret %r at /wp-json/wc/v3/, "
        "17TRACK at /track/v2.2/; faults: %s",
        args.orders,
        args.seed,
        server.url,
        DEFAULT_TOKEN,
        DEFAULT_KEY,
        DEFAULT_SECRET,
        str(faults.spec) or "none",
    )
    stop = asyncio.Event()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            if args.webhooks:
                sender = WebhookSender(
                    shop,
                    clock,
                    client,
                    url=args.webhooks,
                    vendor=args.webhook_vendor,
                    secret=args.webhook_secret,
                    faults=faults,
                )
                log.info("sending %s webhooks to %s", args.webhook_vendor, args.webhooks)
                await sender.run(max(args.webhook_every, 0.1), stop)
            else:
                await stop.wait()
    finally:
        stop.set()
        await server.stop()
    return 0
