"""/healthz: 200 only while the database takes writes and the scheduler turns."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import httpx
import pytest

from daemon.http.app import HEALTH_KEY, HttpContext, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.vitals import Vitals
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0


@pytest.fixture
async def servers() -> AsyncIterator[list[RunningServer]]:
    running: list[RunningServer] = []
    yield running
    for server in running:
        await server.stop()


async def _health(
    servers: list[RunningServer], context: HttpContext
) -> tuple[int, dict[str, object]]:
    if not servers:
        servers.append(await serve(create_app(context)))
    async with httpx.AsyncClient(base_url=servers[0].url) as client:
        response = await client.get("/healthz")
    return response.status_code, response.json()


async def test_a_writable_database_and_a_turning_scheduler_are_healthy(
    store: Store, servers: list[RunningServer]
) -> None:
    context = HttpContext(store, VirtualClock(T0))

    status, body = await _health(servers, context)

    assert status == 200
    assert body == {"ok": True, "database": "writable", "scheduler": "alive"}
    assert await store.get_state(HEALTH_KEY) == "2026-11-20T08:00:00Z"  # it really wrote


async def test_a_stuck_scheduler_is_unhealthy(store: Store, servers: list[RunningServer]) -> None:
    now = [0.0]
    vitals = Vitals(monotonic=lambda: now[0])
    context = HttpContext(store, VirtualClock(T0), alive=vitals.scheduler_alive)
    vitals.rules_turned(0.01)
    assert (await _health(servers, context))[0] == 200

    now[0] = 600.0  # ten minutes without a turn of the rules loop

    status, body = await _health(servers, context)
    assert status == 503
    assert body["scheduler"] == "stuck"


async def test_a_database_that_takes_no_write_is_unhealthy_and_recovers(
    store: Store, servers: list[RunningServer]
) -> None:
    context = HttpContext(store, VirtualClock(T0), health_timeout=0.3)
    blocker = sqlite3.connect(store.db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
    try:
        status, body = await _health(servers, context)
        assert status == 503
        assert body["database"] == "no write within 0.3s"
    finally:
        blocker.execute("COMMIT")
        blocker.close()

    for _ in range(100):  # the waiting write goes through, and health comes back
        status, _body = await _health(servers, context)
        if status == 200:
            break
        await asyncio.sleep(0.05)
    assert status == 200
    await store.set_state({"after": "ok"}, T0)  # the daemon's connection still writes
