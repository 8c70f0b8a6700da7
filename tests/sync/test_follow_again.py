"""Following beyond the schedule: a budget that survives a restart, parcels a provider gave up on
registered again (bounded), against the simulated services and a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors.kuaidi100_parse import lost_reason, parse_push
from sync.connectors.track17_parse import parse_stopped
from sync.follow import Follower
from sync.store import Store
from sync.store.following import REFOLLOW_TRIES
from tests.conftest import T0, OrderFactory
from tests.sync.simulators import Start
from tests.sync.test_follow import delivered, moving, shipped, tracker

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=17, orders=600, now=T0)


def on_the_way(shop: Shop) -> Callable[[int], bool]:
    return lambda i: moving(shop)(i) and not delivered(shop)(i)


def fixture(name: str) -> dict[str, object]:
    loaded = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


async def shipment_of(store: Store, number: str) -> tuple[int, str, str | None, str, int]:
    row = await store.db.fetchone(
        "SELECT id, status, refollow_at, unfollowable, refollows FROM shipments "
        "WHERE tracking_number = ?",
        (number,),
    )
    assert row is not None
    return int(row[0]), str(row[1]), row[2], str(row[3]), int(row[4])


async def test_a_restart_keeps_the_budget_spent_this_hour(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    await shipped(store, make_order, shop, moving(shop), 20)
    first = Follower(store, tracker("17track", server, client, budget_per_hour="3"), clock)
    await first.round()
    again = Follower(store, tracker("17track", server, client, budget_per_hour="3"), clock)
    await again.restore_budget()
    assert again.budget.left(clock.now()) == 0
    assert not await again.spend(1)


async def test_the_daily_budget_counts_from_midnight_utc(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    clock: VirtualClock,
) -> None:
    server = await start()
    settings = {"budget_per_day": "5"}
    follower = Follower(store, tracker("17track", server, client, **settings), clock)
    await follower.restore_budget()
    assert await follower.spend(5)
    clock.advance(timedelta(hours=3))
    assert not await follower.spend(1)
    assert "5 of 5 requests used today" in follower.budget.short_by(clock.now())
    clock.advance(timedelta(hours=16))  # past midnight
    assert await follower.spend(1)


def test_the_stopped_push_names_its_number() -> None:
    assert parse_stopped(fixture("track17_push_tracking_stopped.json")) == "AA123456789BR"
    assert parse_stopped(fixture("track17_push_tracking_updated.json")) == ""


def test_an_abort_push_gives_its_reason() -> None:
    assert lost_reason(fixture("kuaidi100_push_abort.json")) == "abort: 3天查询无记录"
    assert lost_reason(fixture("kuaidi100_push.json")) == ""


async def test_kuaidi100_giving_up_plans_a_bounded_new_subscription(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    (index,) = await shipped(store, make_order, shop, moving(shop), 1)
    number = shop.details(index).tracking_number
    follower = Follower(store, tracker("kuaidi100", server, client), clock)
    await follower.round()
    abort = fixture("kuaidi100_push_abort.json")
    abort["lastResult"] = {**abort["lastResult"], "nu": number}  # type: ignore[dict-item]
    for attempt in range(REFOLLOW_TRIES):
        track = parse_push(abort, "kuaidi100")
        assert track is not None
        await store.save_push(
            "kuaidi100", f"abort{attempt}", "{}", [track], clock.now(), [(number, "abort")]
        )
        _id, status, due, why, _tries = await shipment_of(store, number)
        assert status == "not_found"
        assert due is not None and not why
        clock.advance(timedelta(minutes=30 * 2**attempt))
        await follower.round()
        assert (await shipment_of(store, number))[4] == attempt + 1
    track = parse_push(abort, "kuaidi100")
    assert track is not None
    await store.save_push("kuaidi100", "abort-last", "{}", [track], clock.now(), [(number, "x")])
    _id, _status, due, why, tries = await shipment_of(store, number)
    assert due is None and tries == REFOLLOW_TRIES
    assert "nobody follows this parcel any more" in why
    order_id = await store.db.scalar(
        "SELECT order_id FROM shipments WHERE tracking_number = ?", (number,)
    )
    assert (await store.shipments(int(order_id)))[0].unfollowable == why


async def test_a_finished_parcel_is_not_followed_again(
    store: Store, make_order: OrderFactory, shop: Shop, start: Start, clock: VirtualClock
) -> None:
    await start()
    (index,) = await shipped(store, make_order, shop, moving(shop), 1)
    number = shop.details(index).tracking_number
    async with store.db.write() as tx:
        await tx.execute(
            "UPDATE shipments SET status = 'delivered' WHERE tracking_number = ?", (number,)
        )
    await store.save_push("kuaidi100", "end", "{}", [], clock.now(), [(number, "shutdown")])
    assert (await shipment_of(store, number))[2] is None


async def test_17track_retracks_a_stopped_parcel_once_then_says_it_cannot(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    (index,) = await shipped(store, make_order, shop, on_the_way(shop), 1)
    number = shop.details(index).tracking_number
    follower = Follower(store, tracker("17track", server, client), clock)
    await follower.round()
    service = server.app.state.track17
    service.stopped.add(number)
    await store.save_push("17track", "s1", "{}", [], clock.now(), [(number, "TRACKING_STOPPED")])
    clock.advance(timedelta(minutes=31))
    await follower.round()
    assert number in service.retracked and number not in service.stopped
    service.stopped.add(number)
    await store.save_push("17track", "s2", "{}", [], clock.now(), [(number, "TRACKING_STOPPED")])
    clock.advance(timedelta(hours=1, minutes=1))
    await follower.round()
    _id, _status, due, why, _tries = await shipment_of(store, number)
    assert due is None
    assert why.startswith("17track will not follow it again: ")


async def test_an_unfollowable_parcel_is_not_polled(
    start: Start,
    client: httpx.AsyncClient,
    store: Store,
    make_order: OrderFactory,
    shop: Shop,
    clock: VirtualClock,
) -> None:
    server = await start()
    (index,) = await shipped(store, make_order, shop, moving(shop), 1)
    number = shop.details(index).tracking_number
    shipment_id = (await shipment_of(store, number))[0]
    await store.mark_unfollowable("17track", [shipment_id], "gone", T0)
    follower = Follower(store, tracker("17track", server, client), clock)
    await follower.round()
    assert "gettrackinfo" not in server.app.state.track17.calls
