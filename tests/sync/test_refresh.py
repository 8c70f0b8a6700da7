"""Refreshing one parcel on an agent's request, against the simulated services."""

from __future__ import annotations

import httpx
import pytest

from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.follow import Follower
from sync.refresh import answer_refreshes
from sync.store import RefreshState, Store
from tests.conftest import T0, OrderFactory
from tests.sync.simulators import Start
from tests.sync.test_follow import delivered, moving, shipped, tracker


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=17, orders=600, now=T0)


async def one_parcel(store: Store, make_order: OrderFactory, shop: Shop) -> tuple[int, int]:
    """A parcel on its way with scans: (its shipment id, its order id)."""

    def wanted(index: int) -> bool:
        plain = shop.details(index).carrier not in ("sf", "zto")  # these need the buyer's phone
        return plain and moving(shop)(index) and not delivered(shop)(index)

    (index,) = await shipped(store, make_order, shop, wanted, 1)
    number = shop.details(index).tracking_number
    (found,) = await store.shipments_by_tracking(number)
    return found.id, found.order_id


@pytest.mark.parametrize("kind", ["17track", "aftership", "kuaidi100"])
async def test_a_refresh_brings_the_checkpoints_now(
    kind: str,
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    shipment_id, order_id = await one_parcel(store, make_order, shop)
    follower = Follower(store, tracker(kind, server, client), clock)
    asked = await store.request_refresh(shipment_id, "ana", clock.now())
    changed = await answer_refreshes(store, [follower], clock)
    answer = await store.refresh_request(asked)
    assert answer is not None and answer.state == RefreshState.DONE
    assert "new checkpoint" in answer.outcome
    assert changed == [order_id]
    assert await store.checkpoints(shipment_id)


async def test_kuaidi100_refreshes_with_the_real_time_query_without_subscribing(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    shipment_id, _order = await one_parcel(store, make_order, shop)
    paths: list[str] = []

    async def note(request: httpx.Request) -> None:
        paths.append(request.url.path)

    client.event_hooks["request"] = [note]
    follower = Follower(store, tracker("kuaidi100", server, client), clock)
    await store.request_refresh(shipment_id, "ana", clock.now())
    await answer_refreshes(store, [follower], clock)
    assert paths == ["/poll/query.do"]


async def test_a_refresh_is_refused_when_the_budget_is_spent(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    shipment_id, _order = await one_parcel(store, make_order, shop)
    follower = Follower(store, tracker("17track", server, client, budget_per_hour="2"), clock)
    assert await follower.spend(2)
    asked = await store.request_refresh(shipment_id, "ana", clock.now())
    await answer_refreshes(store, [follower], clock)
    answer = await store.refresh_request(asked)
    assert answer is not None and answer.state == RefreshState.REFUSED
    assert answer.outcome == ("17track request budget spent: 2 of 2 requests used in the last hour")
    assert "gettrackinfo" not in server.app.state.track17.calls


async def test_a_refresh_is_refused_while_the_breaker_is_open(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start(faults="500:1")
    shipment_id, _order = await one_parcel(store, make_order, shop)
    provider = tracker("17track", server, client, breaker_failures="1", retries="1")
    follower = Follower(store, provider, clock)
    await follower.round()  # fails and opens the breaker
    asked = await store.request_refresh(shipment_id, "ana", clock.now())
    await answer_refreshes(store, [follower], clock)
    answer = await store.refresh_request(asked)
    assert answer is not None and answer.state == RefreshState.REFUSED
    assert "breaker is open" in answer.outcome


async def test_a_parcel_no_tracker_serves_is_refused_plainly(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    shipment_id, _order = await one_parcel(store, make_order, shop)
    carrier = (await store.shipment_by_id(shipment_id)).carrier  # type: ignore[union-attr]
    other = "dhl" if carrier != "dhl" else "ups"
    follower = Follower(store, tracker("17track", server, client, carriers=other), clock)
    asked = await store.request_refresh(shipment_id, "ana", clock.now())
    await answer_refreshes(store, [follower], clock)
    answer = await store.refresh_request(asked)
    assert answer is not None and answer.state == RefreshState.REFUSED
    assert answer.outcome == "no tracker is set up for this parcel's courier"


async def test_asking_twice_while_waiting_is_one_request(
    store: Store, make_order: OrderFactory, shop: Shop, clock: VirtualClock
) -> None:
    shipment_id, _order = await one_parcel(store, make_order, shop)
    first = await store.request_refresh(shipment_id, "ana", clock.now())
    assert await store.request_refresh(shipment_id, "bo", clock.now()) == first
    assert [r.id for r in await store.waiting_refreshes()] == [first]


async def test_the_request_and_its_answer_are_on_the_timeline(
    store: Store, make_order: OrderFactory, shop: Shop, clock: VirtualClock
) -> None:
    shipment_id, order_id = await one_parcel(store, make_order, shop)
    asked = await store.request_refresh(shipment_id, "ana", clock.now())
    await store.answer_refresh(asked, RefreshState.REFUSED, "budget spent", clock.now())
    await store.answer_refresh(asked, RefreshState.DONE, "ignored: answered once", clock.now())
    lines = [(e.actor, e.kind, e.field, e.detail) for e in await store.events(order_id)]
    assert ("ana", "refresh", "", "asked for the parcel's track now") in lines
    assert ("daemon", "refresh", "refused", "budget spent") in lines
    assert not any("ignored" in line[3] for line in lines)
