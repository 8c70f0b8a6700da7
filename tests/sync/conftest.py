"""Fixtures the sync tests share: a virtual clock, one HTTP client, and simulators on loopback.

A test module names the simulated ``shop`` it wants; it may also override ``clock`` and
``simulator_options`` (what every simulator it starts gets unless the test says otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from tests.conftest import T0
from tests.sync.simulators import Start


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def start(
    shop: Shop, clock: VirtualClock, simulator_options: dict[str, Any]
) -> AsyncIterator[Start]:
    servers: list[RunningServer] = []

    async def starter(**options: Any) -> RunningServer:
        server = await serve(create_app(shop, clock=clock, **{**simulator_options, **options}))
        servers.append(server)
        return server

    yield starter
    for server in servers:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared
