"""Benchmark: shop webhooks received, queued and applied, on loopback.

``webhook_ingest`` sends ``BENCH_WEBHOOKS`` (default 2000) signed Shopify ``orders/updated``
deliveries of distinct simulated orders, ``BENCH_WEBHOOK_CONCURRENCY`` (default 8) at a time, to
the daemon's receiver (Starlette under uvicorn, each delivery committed to the inbox before it is
answered) while the inbox loop applies them to orders. It reports the answer latency (p50, p99),
deliveries answered a second, orders applied a second (from the first send until the inbox is
empty), and, as the baseline, one-row commits a second of a bare sqlite3 queue table on the same
disk with the same pragmas: ``ratio`` is answered deliveries over those commits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from daemon.http import shopify
from daemon.http.app import HttpContext, create_app
from daemon.http.server import HttpServer
from daemon.inbox import Inbox
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_rest_api import rest_order
from daemon.simulator.webhooks import sign
from sync.clock import SystemClock
from sync.connectors.shopify_rest import ShopifyRestSource
from sync.store import Store

SECRET = "bench-secret"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _deliveries(count: int) -> list[tuple[bytes, dict[str, str]]]:
    shop = Shop(seed=5, orders=count, now=NOW)
    found = []
    for index in range(count):
        state = shop.order_state(index, NOW)
        assert state is not None
        body = json.dumps(rest_order(state), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/updated",
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
            "X-Shopify-Webhook-Id": f"bench-{index}",
        }
        found.append((body, headers))
    return found


def _baseline(path: Path, bodies: list[bytes]) -> float:
    """One-row commits a second into a bare queue table (WAL, synchronous=NORMAL)."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute("CREATE TABLE queue (id INTEGER PRIMARY KEY, key TEXT UNIQUE, body BLOB)")
    start = time.perf_counter()
    for number, body in enumerate(bodies):
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO queue (key, body) VALUES (?, ?)", (str(number), body))
        raw.execute("COMMIT")
    elapsed = time.perf_counter() - start
    raw.close()
    return len(bodies) / elapsed


async def webhook_ingest(folder: Path) -> dict[str, Any]:
    count = int(os.environ.get("BENCH_WEBHOOKS", "2000"))
    concurrency = int(os.environ.get("BENCH_WEBHOOK_CONCURRENCY", "8"))
    deliveries = _deliveries(count)
    store = await Store.open(folder / "webhooks.db")
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=30) as client:
        source = ShopifyRestSource("shop", client, {"url": "http://shop.test", "token": "t"})
        inbox = Inbox(store, SystemClock(), {"shop": source}, lambda: None)
        context = HttpContext(store, SystemClock(), {"shop": SECRET}, inbox.wake)
        server = HttpServer(create_app(context, receivers=(shopify.routes,)), "127.0.0.1", 0)
        serving = asyncio.create_task(server.serve(stop))
        applying = asyncio.create_task(inbox.run(stop))
        latencies: list[float] = []
        queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
        for item in deliveries:
            queue.put_nowait(item)

        async def sender() -> None:
            while not queue.empty():
                body, headers = queue.get_nowait()
                began = time.perf_counter()
                response = await client.post(
                    f"{server.url}/webhooks/shopify/shop", content=body, headers=headers
                )
                latencies.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        answered = time.perf_counter() - start
        while (await store.webhook_counts())["waiting"]:
            await asyncio.sleep(0.01)
        applied = time.perf_counter() - start
        orders = await store.order_count()
        stop.set()
        await asyncio.gather(serving, applying)
    await store.close()
    assert orders == count
    latencies.sort()
    raw = _baseline(folder / "webhooks-raw.db", [body for body, _ in deliveries])
    acks = count / answered
    return {
        "deliveries": count,
        "concurrency": concurrency,
        "ack_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "ack_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "acks_per_s": round(acks),
        "applied_per_s": round(count / applied),
        "raw_sqlite_commits_per_s": round(raw),
        "ratio": round(acks / raw, 3),
    }
