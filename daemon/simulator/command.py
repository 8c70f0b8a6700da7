"""``orderwatchd simulate``: serve the simulated shop and courier APIs alone, until ctrl+c.

With ``--webhooks URL`` the shop also POSTs its order changes there, signed, in the format of
``--webhook-vendor``. The tracking services push too: 17TRACK and AfterShip to
``--push-17track`` and ``--push-aftership``, Kuaidi100 to each subscription's ``callbackurl``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import timedelta
from typing import Any

import httpx

from daemon.errors import UsageError
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import LATE, UNRECORDED, Faults
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_cost import CostModel
from daemon.simulator.track_pushes import DEFAULT_AFTERSHIP_SECRET, TrackPusher
from daemon.simulator.webhooks import WebhookSender
from daemon.simulator.woocommerce_api import DEFAULT_KEY, DEFAULT_SECRET
from sync.clock import Clock, SystemClock

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
    for flag in ("push_17track", "push_aftership"):
        url = getattr(args, flag, "") or ""
        if url and not url.startswith(("http://", "https://")):
            raise UsageError(f"--{flag.replace('_', '-')} {url}: expected an http(s):// URL")
    clock = SystemClock()
    shop = Shop(
        seed=args.seed,
        orders=args.orders,
        now=clock.now(),
        tick=faults.spec.tick,
        late_share=faults.spec.quirk(LATE),
        unrecorded_share=faults.spec.quirk(UNRECORDED),
    )
    try:
        app = create_app(
            shop, clock=clock, faults=faults, shopify_cost=CostModel(args.shopify_cost)
        )
        server = await serve(app, port=args.port)
    except OSError as exc:
        raise UsageError(f"--port {args.port}: {exc}") from None
    log.info(
        "simulated shop (%d orders, seed %d) on %s: Shopify token %r at /admin/api/2025-01/ "
        "(graphql.json, orders.json), WooCommerce key %r secret %r at /wp-json/wc/v3/, "
        "17TRACK at /track/v2.2/, AfterShip at /tracking/2024-04/, Kuaidi100 at /poll; "
        "faults: %s; Shopify queries priced %s",
        args.orders,
        args.seed,
        server.url,
        DEFAULT_TOKEN,
        DEFAULT_KEY,
        DEFAULT_SECRET,
        str(faults.spec) or "none",
        args.shopify_cost,
    )
    stop = asyncio.Event()
    try:
        async with httpx.AsyncClient(timeout=10) as client, asyncio.TaskGroup() as group:
            pushes = pusher(args, app.state, clock, client, faults)
            group.create_task(pushes.run(5.0, stop))
            if args.webhooks:
                sender = WebhookSender(
                    shop,
                    clock,
                    client,
                    url=args.webhooks,
                    vendor=args.webhook_vendor,
                    secret=args.webhook_secret,
                    faults=faults,
                    since=clock.now() - timedelta(minutes=max(args.webhook_backlog, 0.0)),
                )
                log.info("sending %s webhooks to %s", args.webhook_vendor, args.webhooks)
                group.create_task(sender.run(max(args.webhook_every, 0.1), stop))
    finally:
        stop.set()
        await server.stop()
    return 0


def pusher(
    args: argparse.Namespace,
    state: Any,
    clock: Clock,
    client: httpx.AsyncClient,
    faults: Faults,
) -> TrackPusher:
    """The tracking services' pushes (their handlers are in the app's ``state``), to the URLs
    given on the command line."""
    return TrackPusher(
        clock,
        client,
        track17=state.track17,
        aftership=state.aftership,
        kuaidi100=state.kuaidi100,
        track17_url=getattr(args, "push_17track", "") or "",
        aftership_url=getattr(args, "push_aftership", "") or "",
        aftership_secret=getattr(args, "aftership_secret", "") or DEFAULT_AFTERSHIP_SECRET,
        faults=faults,
    )
