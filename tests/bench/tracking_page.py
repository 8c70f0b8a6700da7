"""Benchmark: the customer tracking page under load on loopback.

``tracking_page`` seeds ``BENCH_PAGE_ORDERS`` (default 2000) shipped orders with eight courier
scans each, serves the page the way the daemon does (Starlette under uvicorn, every view audited
in SQLite), and has a client in another process send ``BENCH_PAGE_REQUESTS`` (default 12000)
requests, ``BENCH_PAGE_CONCURRENCY`` (default 8) at a time, to signed links of random orders. The
baseline is the same client against a bare route of the same app returning a page of the same
size, so ``ratio`` is the share of the framework's throughput the page keeps.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext, create_app
from daemon.http.limits import PageLimits, Rate
from daemon.http.tracking_page import PageSettings, routes_for
from daemon.simulator.server import serve
from sync.clock import SystemClock
from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    Lifecycle,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
    ShipmentStatus,
    TrackRecord,
)
from sync.links import issue
from sync.store import Store

KEY = b"bench-link-key-" + b"z" * 40
UNLIMITED = Rate(10**9, timedelta(seconds=1))
BATCH = 250


async def _seed(store: Store, orders: int) -> list[int]:
    now = SystemClock().now()
    ids: list[int] = []
    for first in range(0, orders, BATCH):
        numbers = range(first, min(first + BATCH, orders))
        records = [_order(n, now) for n in numbers]
        ids += await store.save_order_page("shop", "shopify", records, str(first), now)
        tracks = [_track(n, now) for n in numbers]
        await store.save_tracks("17track", tracks, [], now)
    return ids


def _order(n: int, now: Any) -> OrderRecord:
    at = now - timedelta(days=3, minutes=n)
    return OrderRecord(
        source="shop",
        external_id=f"o{n}",
        number=f"#{10_000 + n}",
        updated_at=at,
        created_at=at,
        payment_status=PaymentStatus.PAID,
        fulfillment_status=FulfillmentStatus.FULFILLED,
        lifecycle=Lifecycle.OPEN,
        customer_name="王芳" if n % 2 else "Emma Watson",
        phone="+86 138 0013 5678",
        address="广东省深圳市南山区科技园南路18号",
        city="深圳市",
        province="广东省",
        shipments=(ShipmentRecord(f"f{n}", f"SF{n:010d}", "sf", shipped_at=at),),
    )


def _track(n: int, now: Any) -> TrackRecord:
    start = now - timedelta(days=2, minutes=n)
    scans = tuple(
        Checkpoint(
            at=start + timedelta(hours=5 * i),
            at_raw="",
            description=f"快件到达【转运中心 {i}】，快递员电话 13912345678",
            location="广州市",
        )
        for i in range(8)
    )
    return TrackRecord(
        "17track", f"SF{n:010d}", "sf", ShipmentStatus.IN_TRANSIT, "InTransit", "", scans
    )


def _bare(size: int) -> Callable[[HttpContext], list[BaseRoute]]:
    body = "<!doctype html><p>" + "x" * size + "</p>"

    async def bare(_request: Request) -> Response:
        return HTMLResponse(body)

    return lambda _context: [Route("/bare", bare)]


async def _client(paths: list[str], url: str, folder: Path, requests: int) -> dict[str, Any]:
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths), encoding="utf-8")
    concurrency = os.environ.get("BENCH_PAGE_CONCURRENCY", "8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.tracking_client",
        str(listing),
        url,
        str(requests),
        concurrency,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError("the load client failed")
    figures: dict[str, Any] = json.loads(out)
    figures["concurrency"] = int(concurrency)
    return figures


async def tracking_page(folder: Path) -> dict[str, Any]:
    orders = int(os.environ.get("BENCH_PAGE_ORDERS", "2000"))
    requests = int(os.environ.get("BENCH_PAGE_REQUESTS", "12000"))
    store = await Store.open(folder / "page.db")
    try:
        ids = await _seed(store, orders)
        clock = SystemClock()
        limits = PageLimits(per_address=UNLIMITED, per_link=UNLIMITED)
        settings = PageSettings(key=KEY, zone=lambda: ZoneInfo("Asia/Shanghai"), limits=limits)
        links = [
            f"/t/{issue(KEY, i, clock.now()).token}" for i in random.Random(7).choices(ids, k=3000)
        ]
        app = create_app(HttpContext(store, clock), receivers=(routes_for(settings), _bare(6000)))
        server = await serve(app)
        try:
            page = await _client(links, server.url, folder, requests)
            bare = await _client(["/bare"], server.url, folder, requests)
        finally:
            await server.stop()
        audited = int(await store.db.scalar("SELECT count(*) FROM page_access"))
    finally:
        await store.close()
    return {
        **page,
        "orders": orders,
        "audited": audited,
        "baseline_rps": bare["rps"],
        "baseline_p95_ms": bare["p95_ms"],
        "ratio": round(page["rps"] / bare["rps"], 3),
    }
