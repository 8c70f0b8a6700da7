"""``orderwatchd refresh``: a request through the database, answered by the daemon's desk."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.cli import main
from daemon.errors import UsageError
from daemon.refresh_cli import refresh
from daemon.refreshes import RefreshDesk, budget_lines, budget_report, publish_budgets
from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import TRACKING_PROVIDERS
from sync.domain import FulfillmentStatus, ShipmentRecord
from sync.follow import Follower
from sync.store import Store
from tests.conftest import T0, OrderFactory
from tests.sync.test_follow import tracker


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=17, orders=600, now=T0)


@pytest.fixture
async def server(shop: Shop) -> AsyncIterator[RunningServer]:
    running = await serve(create_app(shop, clock=VirtualClock(T0)))
    yield running
    await running.stop()


async def seed(path: Path, make_order: OrderFactory, shop: Shop) -> str:
    """One shipped order whose parcel 17TRACK knows; returns its tracking number."""
    index = next(i for i in range(shop.orders) if len(shop.track_state(i, T0).scans) > 1)
    details = shop.details(index)
    parcel = ShipmentRecord("f1", details.tracking_number, details.carrier)
    order = make_order(1, shipments=(parcel,), fulfillment_status=FulfillmentStatus.FULFILLED)
    store = await Store.open(path)
    try:
        await store.save_order_page("shop", "shopify", [order], "", T0)
    finally:
        await store.close()
    return details.tracking_number


async def answered(path: Path, server: RunningServer, target: str, budget: str = "") -> list[str]:
    """Run the daemon's desk on its own connection while the command asks and waits."""
    daemon_store = await Store.open(path)
    agent_store = await Store.open(path, durable=True)
    clock = VirtualClock(T0)
    stop = asyncio.Event()
    async with httpx.AsyncClient() as client:
        settings = {"budget_per_hour": budget} if budget else {}
        follower = Follower(daemon_store, tracker("17track", server, client, **settings), clock)
        if budget:
            await follower.spend(int(budget))
        desk = asyncio.create_task(RefreshDesk(daemon_store, [follower], clock).run(stop))
        try:
            args = argparse.Namespace(target=target, wait=20.0)
            return await refresh(agent_store, args, clock, "ana")
        finally:
            stop.set()
            await desk
            await agent_store.close()
            await daemon_store.close()


async def test_the_command_waits_for_the_daemon_and_prints_the_news(
    tmp_path: Path, make_order: OrderFactory, shop: Shop, server: RunningServer
) -> None:
    path = tmp_path / "orderwatch.db"
    number = await seed(path, make_order, shop)
    (line,) = await answered(path, server, number)
    assert re.fullmatch(rf"[A-Z]+ {number}: \d+ new checkpoints? from 17track; [a-z ]+", line)


async def test_an_order_number_refreshes_its_parcels(
    tmp_path: Path, make_order: OrderFactory, shop: Shop, server: RunningServer
) -> None:
    path = tmp_path / "orderwatch.db"
    number = await seed(path, make_order, shop)
    (line,) = await answered(path, server, "1001")
    assert number in line


async def test_a_spent_budget_is_one_readable_refusal(
    tmp_path: Path, make_order: OrderFactory, shop: Shop, server: RunningServer
) -> None:
    path = tmp_path / "orderwatch.db"
    number = await seed(path, make_order, shop)
    with pytest.raises(UsageError, match="refused: 17track request budget spent: 1 of 1"):
        await answered(path, server, number, budget="1")


def test_an_unknown_parcel_exits_1_with_one_line(
    tmp_path: Path, make_order: OrderFactory, shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orderwatch.db"
    asyncio.run(seed(path, make_order, shop))
    assert main(["refresh", "NOPE123", "--db", str(path)]) == 1
    assert capsys.readouterr().err == "orderwatchd: no order or tracking number 'NOPE123'\n"


async def test_status_shows_each_trackers_budget_used_and_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orderwatch.db"
    store = await Store.open(path)
    clock = VirtualClock(T0)
    try:
        async with httpx.AsyncClient() as client:
            settings = {"url": "http://127.0.0.1:9", "token": "t"}
            capped = TRACKING_PROVIDERS["17track"](
                "17track", client, {**settings, "budget_per_hour": "120", "budget_per_day": "900"}
            )
            free = TRACKING_PROVIDERS["aftership"]("aftership", client, settings)
            followers = [Follower(store, capped, clock), Follower(store, free, clock)]
            await publish_budgets(store, followers, clock)
            await followers[0].spend(7)
            clock.advance(timedelta(hours=2))
            await followers[0].spend(3)
            report = await budget_report(store, clock.now())
    finally:
        await store.close()
    assert budget_lines(report) == [
        "budget       17track: requests 3 in the last hour, 117 of 120 left; "
        "10 today (UTC), 890 of 900 left",
        "budget       aftership: requests 0 in the last hour; 0 today (UTC)",
    ]
