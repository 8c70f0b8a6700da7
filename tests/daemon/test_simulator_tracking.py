"""The simulated AfterShip and Kuaidi100 accounts, and the tracking pushes the simulator sends
to the daemon's receivers over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from daemon.http import aftership_webhook, kuaidi100_push, track17_push
from daemon.http.app import HttpContext, create_app
from daemon.http.track_push import push_secrets
from daemon.simulator.app import DEFAULT_TOKEN
from daemon.simulator.app import create_app as simulator_app
from daemon.simulator.faults import Faults
from daemon.simulator.kuaidi100_api import DEFAULT_CUSTOMER, DEFAULT_KEY
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.track_pushes import DEFAULT_AFTERSHIP_SECRET, TrackPusher
from sync.clock import VirtualClock
from sync.connectors.kuaidi100_parse import query_sign
from sync.domain import FulfillmentStatus, ShipmentRecord
from sync.store import Store
from tests.conftest import T0, OrderFactory

SALT = "pepper"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=23, orders=300, now=T0)


@pytest.fixture
async def simulator(shop: Shop, clock: VirtualClock) -> AsyncIterator[RunningServer]:
    server = await serve(simulator_app(shop, clock=clock, aftership_per_second=3))
    yield server
    await server.stop()


@pytest.fixture
async def http(simulator: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator.url) as client:
        yield client


def state(server: RunningServer) -> Any:
    return server.app.state


def moving(shop: Shop, count: int) -> list[int]:
    """Parcels with scans now and more to come in the next three days."""
    later = T0 + timedelta(days=3)

    def growing(index: int) -> bool:
        now = len(shop.track_state(index, T0).scans)
        return 1 < now < len(shop.track_state(index, later).scans)

    return [i for i in range(shop.orders) if growing(i)][:count]


AS = {"as-api-key": DEFAULT_TOKEN}


async def test_aftership_reports_its_rate_limit_and_answers_429_past_it(
    http: httpx.AsyncClient,
) -> None:
    answers = [await http.get("/tracking/2024-04/trackings", headers=AS) for _ in range(4)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[3].status_code == 429
    assert answers[3].json()["meta"]["type"] == "TooManyRequests"
    assert "Retry-After" not in answers[3].headers
    assert int(answers[3].headers["X-RateLimit-Reset"]) > 0


async def test_aftership_refuses_a_wrong_key(http: httpx.AsyncClient) -> None:
    answer = await http.get("/tracking/2024-04/trackings", headers={"as-api-key": "nope"})
    assert (answer.status_code, answer.json()["meta"]["code"]) == (401, 401)


async def test_aftership_answers_4003_for_a_tracking_created_twice(
    http: httpx.AsyncClient, shop: Shop
) -> None:
    body = {"tracking": {"tracking_number": shop.details(0).tracking_number}}
    first = await http.post("/tracking/2024-04/trackings", json=body, headers=AS)
    again = await http.post("/tracking/2024-04/trackings", json=body, headers=AS)
    assert first.status_code == 201
    assert (again.status_code, again.json()["meta"]["code"]) == (400, 4003)
    assert again.json()["data"]["tracking"]["id"] == first.json()["data"]["tracking"]["id"]


async def test_kuaidi100_subscriptions_check_the_key_and_repeat(
    http: httpx.AsyncClient, shop: Shop
) -> None:
    def form(key: str) -> dict[str, str]:
        param = {"company": "shunfeng", "number": shop.details(1).tracking_number, "key": key}
        return {"schema": "json", "param": json.dumps(param)}

    bad = await http.post("/poll", data=form("wrong"))
    first = await http.post("/poll", data=form(DEFAULT_KEY))
    again = await http.post("/poll", data=form(DEFAULT_KEY))
    assert [a.json()["returnCode"] for a in (bad, first, again)] == ["600", "200", "501"]
    assert first.json() == {"result": True, "returnCode": "200", "message": "提交成功"}


async def test_kuaidi100_queries_must_be_signed(http: httpx.AsyncClient, shop: Shop) -> None:
    param = json.dumps({"com": "", "num": shop.details(moving(shop, 1)[0]).tracking_number})
    sign = query_sign(param, DEFAULT_KEY, DEFAULT_CUSTOMER)
    good = await http.post(
        "/poll/query.do", data={"customer": DEFAULT_CUSTOMER, "param": param, "sign": sign}
    )
    forged = await http.post(
        "/poll/query.do", data={"customer": DEFAULT_CUSTOMER, "param": param, "sign": "0" * 32}
    )
    assert good.json()["nu"] and good.json()["data"]
    assert forged.json()["returnCode"] == "503"


async def test_faults_reach_the_tracking_routes_too(shop: Shop, clock: VirtualClock) -> None:
    server = await serve(simulator_app(shop, clock=clock, faults="503:1"))
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            aftership = await client.get("/tracking/2024-04/trackings", headers=AS)
            kuaidi100 = await client.post("/poll/query.do", data={})
    finally:
        await server.stop()
    assert (aftership.status_code, kuaidi100.status_code) == (503, 503)


@pytest.fixture
async def receiver(store: Store, clock: VirtualClock) -> AsyncIterator[RunningServer]:
    trackers = [
        ("17track", "17track", {"token": DEFAULT_TOKEN}),
        ("aftership", "aftership", {"webhook_secret": DEFAULT_AFTERSHIP_SECRET}),
        ("kuaidi100", "kuaidi100", {"salt": SALT}),
    ]
    context = HttpContext(store, clock, push_secrets(trackers))
    routes = (track17_push.routes, aftership_webhook.routes, kuaidi100_push.routes)
    server = await serve(create_app(context, receivers=routes))
    yield server
    await server.stop()


async def test_the_simulator_pushes_every_service_into_the_daemon(
    simulator: RunningServer,
    receiver: RunningServer,
    store: Store,
    shop: Shop,
    clock: VirtualClock,
    make_order: OrderFactory,
) -> None:
    indexes = moving(shop, 6)
    orders = []
    for index in indexes:
        details = shop.details(index)
        parcel = ShipmentRecord(f"f{index}", details.tracking_number, details.carrier)
        fulfilled = FulfillmentStatus.FULFILLED
        orders.append(make_order(index + 1, shipments=(parcel,), fulfillment_status=fulfilled))
    await store.save_order_page("shop", "shopify", orders, "", T0)
    services = state(simulator)
    numbers = [shop.details(i).tracking_number for i in indexes]
    services.track17.registered.update({n: 0 for n in numbers[:2]})
    async with httpx.AsyncClient(base_url=simulator.url) as client:
        for number in numbers[2:4]:
            body = {"tracking": {"tracking_number": number}}
            await client.post("/tracking/2024-04/trackings", json=body, headers=AS)
        for number in numbers[4:]:
            parameters = {"callbackurl": f"{receiver.url}/push/kuaidi100/kuaidi100", "salt": SALT}
            param = {"number": number, "key": DEFAULT_KEY, "parameters": parameters}
            await client.post("/poll", data={"schema": "json", "param": json.dumps(param)})
    async with httpx.AsyncClient() as client:
        pusher = TrackPusher(
            clock,
            client,
            track17=services.track17,
            aftership=services.aftership,
            kuaidi100=services.kuaidi100,
            track17_url=f"{receiver.url}/push/17track/17track",
            aftership_url=f"{receiver.url}/push/aftership/aftership",
            faults=Faults("dup:1"),
        )
        sent = await pusher.deliver()
        nothing_new = await pusher.deliver()
        clock.advance(timedelta(days=3))
        later = await pusher.deliver()
    assert sent == 12  # six parcels, each pushed twice (the dup quirk)
    assert set(pusher.answers) == {200}
    assert nothing_new == 0
    assert later > 0
    for kind in ("17track", "aftership", "kuaidi100"):
        assert await store.push_count(kind) >= 2
    statuses = await store.db.column(
        f"SELECT status FROM shipments WHERE tracking_number IN ({', '.join('?' * len(numbers))})",
        numbers,
    )
    assert "pending" not in statuses
