"""The daemon following a shop's parcels at 17TRACK, AfterShip and Kuaidi100 at once.

Real loopback HTTP both ways: the daemon registers and polls the simulated services, and the
simulator pushes (signed, some twice) to the daemon's ``[http]`` endpoint; a real SQLite file.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.config import Config, Feed, HttpConfig
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import Faults
from daemon.simulator.kuaidi100_api import DEFAULT_CUSTOMER, DEFAULT_KEY
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.track_pushes import DEFAULT_AFTERSHIP_SECRET, TrackPusher
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0

SALT = "e2e-salt"
SPLIT = {"17track": "sf,yto,jd,ems", "aftership": "dhl,ups", "kuaidi100": "zto"}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def shop(clock: VirtualClock) -> Shop:
    return Shop(seed=29, orders=300, now=clock.now())


@pytest.fixture
async def simulator(shop: Shop, clock: VirtualClock) -> AsyncIterator[RunningServer]:
    app = create_app(
        shop,
        clock=clock,
        bucket=Bucket(maximum=20000, restore_rate=1000),
        aftership_per_second=1000,
    )
    server = await serve(app)
    yield server
    await server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config(tmp_path: Path, url: str, port: int) -> Config:
    rules = tmp_path / "rules.toml"
    rules.write_text("schema = 1\n")  # no rules: this test is about the parcels
    hour = timedelta(hours=1)  # the shop is read once
    often = timedelta(seconds=0.3)  # the clock stands still: a parcel is polled once, then pushed
    common = {"url": url, "token": DEFAULT_TOKEN, "push": "true", "requests_per_second": "100"}
    kuaidi100 = {
        "url": url,
        "key": DEFAULT_KEY,
        "customer": DEFAULT_CUSTOMER,
        "salt": SALT,
        "callback_url": f"http://127.0.0.1:{port}/push/kuaidi100/kuaidi100",
        "requests_per_second": "100",
    }
    return Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(Feed("shop", "shopify", hour, {"url": url, "token": DEFAULT_TOKEN}),),
        trackers=(
            Feed("17track", "17track", often, common | {"carriers": SPLIT["17track"]}),
            Feed(
                "aftership",
                "aftership",
                often,
                common
                | {"carriers": SPLIT["aftership"], "webhook_secret": DEFAULT_AFTERSHIP_SECRET},
            ),
            Feed("kuaidi100", "kuaidi100", often, kuaidi100 | {"carriers": SPLIT["kuaidi100"]}),
        ),
        http=HttpConfig("127.0.0.1", port),
    )


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def last_scans(store: Store) -> dict[str, str | None]:
    rows = await store.db.fetchall("SELECT tracking_number, last_checkpoint_at FROM shipments")
    return {row["tracking_number"]: row["last_checkpoint_at"] for row in rows}


def truth(shop: Shop, at_clock: VirtualClock, numbers: list[str]) -> dict[str, str | None]:
    """The last scan the courier made of each parcel (zone-less China EMS left out)."""
    found: dict[str, str | None] = {}
    for number in numbers:
        index = shop.order_for_tracking(number)
        assert index is not None
        track = shop.track_state(index, at_clock.now())
        if track.carrier == "ems" and track.chinese:
            continue
        found[number] = track.scans[-1][0].strftime("%Y-%m-%dT%H:%M:%SZ") if track.scans else None
    return found


async def test_three_services_polled_then_pushed_keep_every_parcel_current(
    simulator: RunningServer, shop: Shop, clock: VirtualClock, tmp_path: Path
) -> None:
    port = free_port()
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_daemon(config(tmp_path, simulator.url, port), clock, 60, started)
    )
    daemon = await started
    store = daemon.store

    async def all_followed() -> bool:
        run = await store.source_progress("shop")
        if run is None or run.run_finished_at is None:
            return False  # the shop is still being read: more parcels are coming
        waiting = await store.db.scalar(
            "SELECT count(*) FROM shipments WHERE tracked_by = '' OR polled_at IS NULL"
        )
        return int(waiting) == 0

    await wait_for(all_followed)
    split = await store.db.fetchall("SELECT tracked_by, count(*) AS n FROM shipments GROUP BY 1")
    assert {row["tracked_by"] for row in split} == set(SPLIT)
    numbers = list(await last_scans(store))
    assert {
        n: v for n, v in (await last_scans(store)).items() if n in truth(shop, clock, numbers)
    } == truth(shop, clock, numbers)

    clock.advance(timedelta(days=2))
    state = simulator.app.state
    async with httpx.AsyncClient(timeout=10) as http:
        pusher = TrackPusher(
            clock,
            http,
            track17=state.track17,
            aftership=state.aftership,
            kuaidi100=state.kuaidi100,
            track17_url=f"http://127.0.0.1:{port}/push/17track/17track",
            aftership_url=f"http://127.0.0.1:{port}/push/aftership/aftership",
            faults=Faults("dup:0.3", seed=3),
        )
        assert await pusher.deliver() > 0
    assert set(pusher.answers) == {200}
    expected = truth(shop, clock, numbers)
    moved = {n for n in expected if expected[n] != (await last_scans(store)).get(n)}
    assert not moved, f"{len(moved)} parcels behind their pushes"
    for kind in SPLIT:
        assert await store.push_count(kind) > 0
        source = await store.source(kind)
        assert source is not None and source.last_error == ""

    daemon.request_stop()
    await task
