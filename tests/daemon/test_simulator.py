from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.faults import Faults, FaultSpec
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "sim-token"
GRAPHQL = "/admin/api/2025-01/graphql.json"


def orders_query(first: int, after: str | None = None, search: str | None = None) -> dict[str, Any]:
    return {
        "query": "query Orders($first: Int!) { orders(first: $first) { edges { node { id } } } }",
        "variables": {"first": first, "after": after, "query": search},
    }


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=11, orders=400, now=NOW)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


Client = Callable[..., AsyncIterator[httpx.AsyncClient]]


@pytest.fixture
async def client(shop: Shop, clock: VirtualClock) -> AsyncIterator[httpx.AsyncClient]:
    server = await serve(create_app(shop, clock=clock, token=TOKEN))
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        yield http
    await server.stop()


def test_same_seed_gives_the_same_orders() -> None:
    first, second = Shop(seed=5, orders=50, now=NOW), Shop(seed=5, orders=50, now=NOW)
    assert [first.order_state(i, NOW) for i in range(50)] == [
        second.order_state(i, NOW) for i in range(50)
    ]


def test_another_seed_gives_other_orders() -> None:
    first, second = Shop(seed=5, orders=50, now=NOW), Shop(seed=6, orders=50, now=NOW)
    names = [first.details(i).customer for i in range(50)]
    assert names != [second.details(i).customer for i in range(50)]


def test_the_past_does_not_change_when_asked_later(shop: Shop) -> None:
    before = [shop.order_state(i, NOW) for i in range(0, 400, 7)]
    shop.changed(NOW + timedelta(days=3))
    assert [shop.order_state(i, NOW) for i in range(0, 400, 7)] == before


def test_orders_spread_over_the_history_before_now(shop: Shop) -> None:
    created = [shop.order_state(i, NOW).created_at for i in range(400)]  # type: ignore[union-attr]
    assert min(created) >= NOW - timedelta(days=10)
    assert max(created) <= NOW
    assert created == sorted(created)


def test_an_order_does_not_exist_before_it_is_placed(shop: Shop) -> None:
    placed = shop.order_state(200, NOW)
    assert placed is not None
    assert shop.order_state(200, placed.created_at - timedelta(seconds=1)) is None


def test_new_orders_keep_arriving_after_now(shop: Shop) -> None:
    assert shop.count_at(NOW) == 400
    assert shop.count_at(NOW + timedelta(hours=1)) in (519, 520, 521)


def test_shipped_orders_keep_progressing_with_time(shop: Shop) -> None:
    moving = [
        i
        for i in range(400)
        if shop.track_state(i, NOW).scans
        and shop.track_state(i, NOW).scans[-1][1]
        != shop.track_state(i, NOW + timedelta(days=9)).scans[-1][1]
    ]
    assert moving


def test_the_shop_has_every_kind_of_trouble() -> None:
    shop = Shop(seed=3, orders=2000, now=NOW)
    states = [shop.order_state(i, NOW) for i in range(2000)]
    seen = Counter((s.financial_status, s.fulfillment_status) for s in states if s)
    last_scans = Counter(
        shop.track_state(i, NOW).scans[-1][1].value
        for i in range(2000)
        if shop.track_state(i, NOW).scans
    )
    old = NOW - timedelta(days=3)
    assert any(s and s.paid_at and s.paid_at < old and not s.fulfillments for s in states)
    assert {("VOIDED", "UNFULFILLED"), ("REFUNDED", "UNFULFILLED"), ("PAID", "ON_HOLD")} <= set(
        seen
    )
    assert {"failed", "address", "customs", "returning", "departed", "delivered"} <= set(last_scans)
    assert any("VIP" in shop.details(i).tags for i in range(2000))


def test_customers_are_chinese_and_western(shop: Shop) -> None:
    customers = [shop.details(i).customer for i in range(400)]
    chinese = [c for c in customers if c.chinese]
    western = [c for c in customers if not c.chinese]
    assert chinese and western
    assert all(re.fullmatch(r"\+861[3-9]\d{9}", c.phone) for c in chinese)
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", c.full_name) for c in western)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", c.full_name) for c in chinese)


def test_tracking_numbers_lead_back_to_their_order(shop: Shop) -> None:
    for index in range(0, 400, 3):
        assert shop.order_for_tracking(shop.details(index).tracking_number) == index


def test_a_foreign_tracking_number_leads_nowhere(shop: Shop) -> None:
    assert shop.order_for_tracking("SF0000000000999") is None
    assert shop.order_for_tracking("hello") is None


def test_tracking_numbers_look_like_their_carriers(shop: Shop) -> None:
    formats = {
        "sf": r"SF\d{13}",
        "zto": r"7\d{11}",
        "yto": r"YT\d{13}",
        "jd": r"JD\d{13}",
        "ems": r"(1\d{12}|E[A-Z]\d{9}CN)",
        "dhl": r"\d{10}",
        "ups": r"1Z[0-9A-Z]{16}",
    }
    for index in range(400):
        details = shop.details(index)
        assert re.fullmatch(formats[details.carrier], details.tracking_number)


def test_a_hundred_thousand_orders_are_served() -> None:
    shop = Shop(seed=2, orders=100_000, now=NOW)
    page, more = shop.changed(NOW, limit=100)
    assert more and len(page) == 100
    assert shop.count_at(NOW) == 100_000
    assert shop.order_state(99_999, NOW) is not None


def test_changed_lists_each_order_once_oldest_change_first(shop: Shop) -> None:
    page, more = shop.changed(NOW, limit=1000)
    assert not more
    assert sorted(index for index, _ in page) == list(range(400))
    assert [updated for _, updated in page] == sorted(updated for _, updated in page)


def test_fault_spec_reads_every_kind() -> None:
    spec = FaultSpec.parse("429:0.05,500:0.02,stall:0.01,garbage:0.01")
    assert spec.chances == ((429, 0.05), (500, 0.02), ("stall", 0.01), ("garbage", 0.01))


@pytest.mark.parametrize("spec", ["429", "teapot:0.1", "500:2", "429:0.7,500:0.7", "200:0.1"])
def test_fault_spec_refuses_nonsense(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        FaultSpec.parse(spec)


def test_faults_are_deterministic_for_a_seed() -> None:
    first, second = Faults("429:0.3,garbage:0.3", seed=4), Faults("429:0.3,garbage:0.3", seed=4)
    assert [first.draw() for _ in range(50)] == [second.draw() for _ in range(50)]


async def test_serve_listens_on_a_free_port_and_stops(shop: Shop, clock: VirtualClock) -> None:
    server = await serve(create_app(shop, clock=clock))
    async with httpx.AsyncClient() as http:
        health = (await http.get(f"{server.url}/_sim/health")).json()
    await server.stop()
    assert server.port > 0
    assert health["ok"] and health["orders"] == 400
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"{server.url}/_sim/health")


async def test_graphql_refuses_a_wrong_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        GRAPHQL, json=orders_query(5), headers={"X-Shopify-Access-Token": "x"}
    )
    assert response.status_code == 401


async def test_graphql_pages_follow_the_end_cursor(client: httpx.AsyncClient) -> None:
    headers = {"X-Shopify-Access-Token": TOKEN}
    seen: list[str] = []
    after = None
    while True:
        body = (await client.post(GRAPHQL, json=orders_query(150, after), headers=headers)).json()
        orders = body["data"]["orders"]
        seen += [edge["node"]["id"] for edge in orders["edges"]]
        after = orders["pageInfo"]["endCursor"]
        if not orders["pageInfo"]["hasNextPage"]:
            break
    assert len(seen) == len(set(seen)) == 400
    assert seen[0].startswith("gid://shopify/Order/")


async def test_graphql_filters_on_updated_at(client: httpx.AsyncClient) -> None:
    since = NOW - timedelta(hours=12)
    search = f"updated_at:>='{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    body = (
        await client.post(
            GRAPHQL,
            json=orders_query(250, search=search),
            headers={"X-Shopify-Access-Token": TOKEN},
        )
    ).json()
    stamps = [edge["node"]["updatedAt"] for edge in body["data"]["orders"]["edges"]]
    assert stamps and all(stamp >= since.strftime("%Y-%m-%dT%H:%M:%SZ") for stamp in stamps)
    assert len(stamps) < 400


async def test_graphql_reports_its_cost(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(GRAPHQL, json=orders_query(10), headers={"X-Shopify-Access-Token": TOKEN})
    ).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] >= cost["actualQueryCost"] > 0
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


async def test_graphql_throttles_when_the_bucket_is_empty(shop: Shop, clock: VirtualClock) -> None:
    bucket = Bucket(maximum=50, restore_rate=1, monotonic=lambda: 0.0)
    server = await serve(create_app(shop, clock=clock, token=TOKEN, bucket=bucket))
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(  # 2 + 80 orders of 1 point: more than the 50 left
            GRAPHQL, json=orders_query(80), headers={"X-Shopify-Access-Token": TOKEN}
        )
    await server.stop()
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert response.json()["extensions"]["cost"]["actualQueryCost"] is None


async def test_track17_rejects_more_than_forty_numbers(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    numbers = [{"number": shop.details(i).tracking_number} for i in range(41)]
    body = (
        await client.post("/track/v2.2/register", json=numbers, headers={"17token": TOKEN})
    ).json()
    assert body["code"] == -18010014


async def test_track17_rejects_a_number_registered_twice(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    item = [{"number": shop.details(3).tracking_number}]
    await client.post("/track/v2.2/register", json=item, headers={"17token": TOKEN})
    body = (await client.post("/track/v2.2/register", json=item, headers={"17token": TOKEN})).json()
    assert body["data"]["rejected"][0]["error"]["code"] == -18019901


async def test_track17_rejects_an_unregistered_number(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    item = [{"number": shop.details(3).tracking_number}]
    body = (
        await client.post("/track/v2.2/gettrackinfo", json=item, headers={"17token": TOKEN})
    ).json()
    assert body["code"] == 0
    assert body["data"]["rejected"][0]["error"]["code"] == -18019902


async def test_track17_lists_events_newest_first(client: httpx.AsyncClient, shop: Shop) -> None:
    index = next(
        i
        for i in range(400)
        if len(shop.track_state(i, NOW).scans) >= 3 and shop.details(i).carrier in ("sf", "ups")
    )
    item = [{"number": shop.details(index).tracking_number}]
    await client.post("/track/v2.2/register", json=item, headers={"17token": TOKEN})
    body = (
        await client.post("/track/v2.2/gettrackinfo", json=item, headers={"17token": TOKEN})
    ).json()
    info = body["data"]["accepted"][0]["track_info"]
    events = info["tracking"]["providers"][0]["events"]
    stamps = [event["time_utc"] for event in events]
    assert len(events) == len(shop.track_state(index, NOW).scans)
    assert info["latest_event"] == events[0]
    assert stamps == sorted(stamps, reverse=True)


async def test_track17_gives_china_ems_scans_no_zone(client: httpx.AsyncClient, shop: Shop) -> None:
    index = next(
        i
        for i in range(400)
        if shop.track_state(i, NOW).scans
        and re.fullmatch(r"1\d{12}", shop.details(i).tracking_number)
    )
    item = [{"number": shop.details(index).tracking_number}]
    await client.post("/track/v2.2/register", json=item, headers={"17token": TOKEN})
    body = (
        await client.post("/track/v2.2/gettrackinfo", json=item, headers={"17token": TOKEN})
    ).json()
    events = body["data"]["accepted"][0]["track_info"]["tracking"]["providers"][0]["events"]
    assert all(e["time_utc"] is None and "+" not in e["time_iso"] for e in events)


async def test_faults_answer_429_with_retry_after(shop: Shop, clock: VirtualClock) -> None:
    server = await serve(create_app(shop, clock=clock, token=TOKEN, faults="429:1"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            GRAPHQL, json=orders_query(5), headers={"X-Shopify-Access-Token": TOKEN}
        )
        health = (await http.get("/_sim/health")).json()
    await server.stop()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert health["injected"] == {"429": 1}


async def test_faults_cut_the_body_short(shop: Shop, clock: VirtualClock) -> None:
    server = await serve(create_app(shop, clock=clock, token=TOKEN, faults="garbage:1"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            GRAPHQL, json=orders_query(5), headers={"X-Shopify-Access-Token": TOKEN}
        )
    await server.stop()
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
