"""The parcel follower against the simulated tracking services, into a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from daemon.simulator.app import DEFAULT_TOKEN
from daemon.simulator.faults import FaultSpec
from daemon.simulator.kuaidi100_api import DEFAULT_CUSTOMER, DEFAULT_KEY
from daemon.simulator.parcels import Scan
from daemon.simulator.server import RunningServer
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import TRACKING_PROVIDERS
from sync.connectors.base import TrackingProvider
from sync.domain import FulfillmentStatus, ShipmentRecord, ShipmentStatus, TrackRecord
from sync.errors import ConfigError, SourceAuthError
from sync.follow import Follower, FollowPlan, cursor_key
from sync.http import BreakerState
from sync.store import Store
from tests.conftest import T0, OrderFactory
from tests.sync.simulators import Start


async def no_wait(_seconds: float) -> None:
    """Retries and pacing in these tests do not really wait."""


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=17, orders=600, now=T0)


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    return {"aftership_per_second": 1000}


def app_state(server: RunningServer) -> Any:
    return server.app.state


def tracker(
    kind: str, server: RunningServer, client: httpx.AsyncClient, **settings: str
) -> TrackingProvider:
    base = {
        "url": server.url,
        "token": DEFAULT_TOKEN,
        "key": DEFAULT_KEY,
        "customer": DEFAULT_CUSTOMER,
        "callback_url": "http://127.0.0.1:9/push/kuaidi100/kd",
        "salt": "pepper",
        **settings,
    }
    return TRACKING_PROVIDERS[kind](kind, client, base, sleep=no_wait)


async def shipped(
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    wanted: Callable[[int], bool],
    count: int,
) -> list[int]:
    """Orders of the simulated shop whose parcels match ``wanted``, saved; their indexes."""
    found = [i for i in range(shop.orders) if wanted(i)][:count]
    assert len(found) == count
    orders = []
    for index in found:
        details = shop.details(index)
        parcel = ShipmentRecord(f"f{index}", details.tracking_number, details.carrier)
        orders.append(
            make_order(
                index + 1,
                shipments=(parcel,),
                fulfillment_status=FulfillmentStatus.FULFILLED,
            )
        )
    await store.save_order_page("shop", "shopify", orders, "", T0)
    return found


async def statuses(store: Store, shop: Shop, indexes: list[int]) -> list[str]:
    numbers = [shop.details(i).tracking_number for i in indexes]
    rows = await store.db.fetchall(
        "SELECT tracking_number, status FROM shipments WHERE tracking_number IN "
        f"({', '.join('?' * len(numbers))})",
        numbers,
    )
    found = {row["tracking_number"]: row["status"] for row in rows}
    return [found[n] for n in numbers]


def moving(shop: Shop) -> Callable[[int], bool]:
    return lambda i: len(shop.track_state(i, T0).scans) > 1


def delivered(shop: Shop) -> Callable[[int], bool]:
    def last_is_delivery(index: int) -> bool:
        scans = shop.track_state(index, T0).scans
        return bool(scans) and scans[-1][1] is Scan.DELIVERED

    return last_is_delivery


def of_carriers(shop: Shop, codes: tuple[str, ...]) -> Callable[[int], bool]:
    return lambda i: shop.details(i).carrier in codes and moving(shop)(i)


async def test_a_round_registers_polls_and_then_waits_for_the_schedule(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    indexes = await shipped(store, make_order, shop, moving(shop), 50)
    follower = Follower(store, tracker("17track", server, client), clock)
    changed = await follower.round()
    calls = app_state(server).track17.calls
    polls = calls["gettrackinfo"]
    assert len(changed) == 50
    assert "pending" not in await statuses(store, shop, indexes)
    await follower.round()
    assert calls["gettrackinfo"] == polls  # nothing due yet (the finished ones were stopped)
    clock.advance(timedelta(hours=13))
    await follower.round()
    assert calls["gettrackinfo"] > polls


async def test_a_stop_ends_a_round_after_the_batch_in_hand(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    await shipped(store, make_order, shop, moving(shop), 120)  # three batches of 40
    provider = tracker("17track", server, client)
    assert provider.fetch_batch == 40
    follower = Follower(store, provider, clock)
    stop = asyncio.Event()
    fetch_tracks = provider.fetch_tracks

    async def stopping(parcels: Any) -> Any:
        stop.set()  # SIGTERM while the first batch is polled
        return await fetch_tracks(parcels)

    provider.fetch_tracks = stopping  # type: ignore[method-assign]
    changed = await follower.round(stop)
    assert len(changed) == 40
    assert app_state(server).track17.calls["gettrackinfo"] == 1
    assert len(await follower.round()) == 80  # the next round polls the rest


async def test_finished_parcels_are_stopped_once_and_not_polled_again(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    indexes = await shipped(store, make_order, shop, delivered(shop), 5)
    follower = Follower(store, tracker("17track", server, client), clock)
    await follower.round()
    assert set(await statuses(store, shop, indexes)) == {"delivered"}
    await follower.round()
    service = app_state(server).track17
    assert service.stopped == {shop.details(i).tracking_number for i in indexes}
    clock.advance(timedelta(days=30))
    before = dict(service.calls)
    await follower.round()
    assert service.calls == before


async def test_the_hourly_budget_caps_the_requests(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    sent: list[str] = []

    async def note(request: httpx.Request) -> None:
        sent.append(request.url.path.rsplit("/", 1)[-1])

    client.event_hooks["request"] = [note]
    await shipped(store, make_order, shop, moving(shop), 120)
    follower = Follower(store, tracker("17track", server, client, budget_per_hour="3"), clock)
    await follower.round()
    await follower.round()
    assert sent == ["getquota", "register", "gettrackinfo"]
    clock.advance(timedelta(hours=1, minutes=1))
    await follower.round()
    assert len(sent) == 6


async def test_a_parcel_pushed_recently_is_not_polled(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    indexes = await shipped(store, make_order, shop, moving(shop), 2)
    pushed = shop.details(indexes[0]).tracking_number
    report = TrackRecord("17track", pushed, "", ShipmentStatus.IN_TRANSIT, "InTransit")
    await store.save_push("17track", "d1", "{}", [report], clock.now())
    asked: list[str] = []

    async def note(request: httpx.Request) -> None:
        if request.url.path.endswith("gettrackinfo"):
            asked.extend(item["number"] for item in json.loads(request.content))

    client.event_hooks["request"] = [note]
    follower = Follower(store, tracker("17track", server, client, push="true"), clock)
    await follower.round()
    assert asked == [shop.details(indexes[1]).tracking_number]


async def test_aftership_changes_are_read_by_update_time_with_a_saved_cursor(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    indexes = await shipped(store, make_order, shop, moving(shop), 6)
    follower = Follower(store, tracker("aftership", server, client, page_size="4"), clock)
    await follower.round()  # registers and polls
    assert "pending" not in await statuses(store, shop, indexes)
    clock.advance(timedelta(hours=1))
    await follower.round()  # reads the listing
    cursor = await store.get_state(cursor_key("aftership"))
    assert cursor.count("|") == 2


async def test_refused_credentials_are_raised_not_taken_for_an_outage(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start(track17_token="another-key")
    await shipped(store, make_order, shop, moving(shop), 1)
    follower = Follower(store, tracker("17track", server, client), clock)
    with pytest.raises(SourceAuthError):
        await follower.round()
    assert follower.outage == ""


def test_a_plan_reads_its_settings() -> None:
    plan = FollowPlan.from_settings(
        {"poll_in_transit": "90m", "push": "true", "budget_per_hour": "600", "carriers": "sf, zto"},
        "tracker t",
    )
    assert plan.intervals["in_transit"] == timedelta(minutes=90)
    assert plan.intervals["out_for_delivery"] == timedelta(hours=1)
    assert (plan.push, plan.budget_per_hour, plan.carriers) == (True, 600, ("sf", "zto"))


@pytest.mark.parametrize(
    "settings", [{"poll_in_transit": "soon"}, {"push": "maybe"}, {"budget_per_hour": "lots"}]
)
def test_a_bad_plan_setting_is_one_readable_error(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="tracker t"):
        FollowPlan.from_settings(settings, "tracker t")


async def test_a_courier_down_for_the_whole_outage_is_one_stale_problem_and_recovers(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    down = await start(faults="500:1")
    up = await start()
    by_carrier = {
        "17track": ("sf", "yto", "jd"),
        "aftership": ("dhl", "ups"),
        "kuaidi100": ("zto",),
    }
    indexes = {
        kind: await shipped(store, make_order, shop, of_carriers(shop, codes), 4)
        for kind, codes in by_carrier.items()
    }
    breaker = {"breaker_failures": "2", "breaker_cooldown_seconds": "0.2", "retries": "1"}
    followers = {
        kind: Follower(
            store,
            tracker(
                kind, down if kind == "17track" else up, client, carriers=",".join(codes), **breaker
            ),
            clock,
        )
        for kind, codes in by_carrier.items()
    }
    faults = app_state(down).faults

    async def turn() -> None:
        for follower in followers.values():
            await follower.round()
        clock.advance(timedelta(minutes=5))

    for _ in range(6):
        await turn()
    stuck = followers["17track"].provider.breaker
    assert stuck.state == BreakerState.OPEN
    assert faults.injected[500] == 2  # the two failures that opened it, nothing since
    problem = (await store.source("17track")).last_error  # type: ignore[union-attr]
    assert problem.startswith("feed stale since")
    for kind in ("aftership", "kuaidi100"):
        assert "pending" not in await statuses(store, shop, indexes[kind])
        assert (await store.source(kind)).last_error == ""  # type: ignore[union-attr]

    await asyncio.sleep(0.25)  # the cooldown passes: one probe, still down
    for _ in range(3):
        await turn()
    assert faults.injected[500] == 3
    assert (await store.source("17track")).last_error == problem  # type: ignore[union-attr]

    faults.spec = FaultSpec()  # 17TRACK is back
    await asyncio.sleep(0.25)
    await turn()
    assert stuck.state == BreakerState.CLOSED
    assert "pending" not in await statuses(store, shop, indexes["17track"])
    assert (await store.source("17track")).last_error == ""  # type: ignore[union-attr]


async def test_a_used_up_registration_quota_holds_new_parcels_and_says_so(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    service = app_state(server).track17
    service.registered.update({f"X{n}": 0 for n in range(1100)})  # the account's whole quota
    indexes = await shipped(store, make_order, shop, moving(shop), 3)
    follower = Follower(store, tracker("17track", server, client), clock)
    await follower.round()
    await follower.round()
    assert "register" not in service.calls
    assert set(await statuses(store, shop, indexes)) == {"pending"}
    source = await store.source("17track")
    assert source is not None and source.last_error.startswith("registration quota used up")


async def test_a_parcel_with_no_carrier_goes_to_the_tracker_its_number_suggests(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    index = next(
        i for i in range(shop.orders) if shop.details(i).carrier == "sf" and moving(shop)(i)
    )
    number = shop.details(index).tracking_number
    parcel = ShipmentRecord("f1", number, "")  # the order named no courier
    order = make_order(1, shipments=(parcel,), fulfillment_status=FulfillmentStatus.FULFILLED)
    await store.save_order_page("shop", "shopify", [order], "", T0)
    elsewhere = Follower(store, tracker("aftership", server, client, carriers="dhl,ups"), clock)
    sf = Follower(store, tracker("17track", server, client, carriers="sf,yto"), clock)
    await elsewhere.round()
    assert await statuses(store, shop, [index]) == ["pending"]
    await sf.round()
    assert await statuses(store, shop, [index]) != ["pending"]
