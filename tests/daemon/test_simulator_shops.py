"""The simulator's Shopify REST and WooCommerce faces, its shop quirks and its webhooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from daemon.simulator.app import create_app
from daemon.simulator.faults import Faults, FaultSpec
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_rest_api import CallBucket
from daemon.simulator.webhooks import WebhookSender
from sync.clock import VirtualClock
from sync.connectors.shopify_query import ORDERS_QUERY

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "sim-token"
REST = "/admin/api/2025-01"
WOO = "/wp-json/wc/v3/orders"


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=11, orders=400, now=NOW)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
async def client(shop: Shop, clock: VirtualClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(shop, clock=clock, token=TOKEN, calls=CallBucket(size=10**6, leak=1e6))
    server = await serve(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        yield http
    await server.stop()


def rest_headers() -> dict[str, str]:
    return {"X-Shopify-Access-Token": TOKEN}


async def test_rest_lists_open_orders_unless_asked_for_any(client: httpx.AsyncClient) -> None:
    params = {"limit": 250}
    anything = await client.get(
        f"{REST}/orders/count.json", params={"status": "any"}, headers=rest_headers()
    )
    open_only = await client.get(f"{REST}/orders/count.json", params=params, headers=rest_headers())
    assert open_only.json()["count"] < anything.json()["count"] == 400


async def test_rest_pages_follow_the_link_header(client: httpx.AsyncClient) -> None:
    seen: list[int] = []
    params = {"status": "any", "limit": 150}
    response = await client.get(f"{REST}/orders.json", params=params, headers=rest_headers())
    for _ in range(10):
        seen += [order["id"] for order in response.json()["orders"]]
        link = response.headers.get("Link", "")
        if 'rel="next"' not in link:
            break
        response = await client.get(link[1 : link.index(">")], headers=rest_headers())
    assert len(seen) == len(set(seen)) == 400


async def test_rest_refuses_filters_next_to_page_info(client: httpx.AsyncClient) -> None:
    first = await client.get(
        f"{REST}/orders.json", params={"status": "any", "limit": 10}, headers=rest_headers()
    )
    token = first.headers["Link"].split("page_info=")[1].split(">")[0]
    response = await client.get(
        f"{REST}/orders.json", params={"page_info": token, "status": "any"}, headers=rest_headers()
    )
    assert response.status_code == 400


async def test_rest_times_carry_the_shops_offset(client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"{REST}/orders.json", params={"status": "any", "limit": 1}, headers=rest_headers()
    )
    assert response.json()["orders"][0]["created_at"].endswith("+08:00")


async def test_rest_counts_calls_and_answers_429_when_the_bucket_is_full(
    shop: Shop, clock: VirtualClock
) -> None:
    bucket = CallBucket(size=2, leak=1.0, monotonic=lambda: 0.0)
    server = await serve(create_app(shop, clock=clock, token=TOKEN, calls=bucket))
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            answers = [
                await http.get(f"{REST}/orders.json", headers=rest_headers()) for _ in range(3)
            ]
    finally:
        await server.stop()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[1].headers["X-Shopify-Shop-Api-Call-Limit"] == "2/2"
    assert answers[2].headers["Retry-After"] == "2.0"


async def test_woocommerce_needs_its_key_and_secret(client: httpx.AsyncClient) -> None:
    assert (await client.get(WOO)).status_code == 401
    assert (await client.get(WOO, auth=("ck_demo", "wrong"))).status_code == 401
    assert (await client.get(WOO, auth=("ck_demo", "cs_demo"))).status_code == 200
    by_query = await client.get(
        WOO, params={"consumer_key": "ck_demo", "consumer_secret": "cs_demo"}
    )
    assert by_query.status_code == 200


async def test_woocommerce_pages_tell_their_totals(client: httpx.AsyncClient) -> None:
    response = await client.get(
        WOO, params={"per_page": 100, "page": 4, "order": "asc"}, auth=("ck_demo", "cs_demo")
    )
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("400", "4")
    assert len(response.json()) == 100
    too_far = await client.get(
        WOO, params={"per_page": 100, "page": 5}, auth=("ck_demo", "cs_demo")
    )
    assert too_far.status_code == 400


async def test_woocommerce_modified_after_is_exclusive_gmt(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    state = shop.order_state(250, NOW)
    assert state is not None
    stamp = state.updated_at.strftime("%Y-%m-%dT%H:%M:%S")
    params = {"per_page": 100, "modified_after": stamp, "dates_are_gmt": "true"}
    response = await client.get(WOO, params=params, auth=("ck_demo", "cs_demo"))
    modified = [order["date_modified_gmt"] for order in response.json()]
    assert modified and all(m > stamp for m in modified)


async def test_woocommerce_gmt_and_site_times_differ_by_eight_hours(
    client: httpx.AsyncClient,
) -> None:
    (order,) = (await client.get(WOO, params={"per_page": 1}, auth=("ck_demo", "cs_demo"))).json()
    site = datetime.fromisoformat(order["date_created"])
    gmt = datetime.fromisoformat(order["date_created_gmt"])
    assert site - gmt == timedelta(hours=8)


async def test_woocommerce_shows_plugin_statuses_and_tracking(client: httpx.AsyncClient) -> None:
    orders = []
    for page in (1, 2, 3, 4):
        response = await client.get(
            WOO, params={"per_page": 100, "page": page}, auth=("ck_demo", "cs_demo")
        )
        orders += response.json()
    statuses = {order["status"] for order in orders}
    assert {"processing", "completed", "awaiting-pickup", "pending"} <= statuses
    shipped = [o for o in orders if o["status"] == "completed"]
    assert all(o["meta_data"][0]["key"] == "_wc_shipment_tracking_items" for o in shipped)


def test_the_quirks_are_read_from_the_fault_spec() -> None:
    spec = FaultSpec.parse("429:0.1,dup:0.2,reorder:0.3,late:0.05,ties:60")
    assert spec.chances == ((429, 0.1),)
    assert (spec.quirk("dup"), spec.quirk("reorder"), spec.quirk("late"), spec.tick) == (
        0.2,
        0.3,
        0.05,
        60,
    )


@pytest.mark.parametrize("spec", ["ties:0.5", "late:2", "dup:many"])
def test_bad_quirks_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        FaultSpec.parse(spec)


def test_ties_put_every_time_on_the_grid() -> None:
    shop = Shop(seed=3, orders=200, now=NOW, history=timedelta(hours=2), tick=600)
    stamps = [shop.order_state(i, NOW).updated_at for i in range(200)]  # type: ignore[union-attr]
    assert len(set(stamps)) < 40
    # On the grid, or a second or two after it where one order changed twice in a slot.
    assert all(stamp.timestamp() % 600 < 5 for stamp in stamps)


def test_a_late_order_is_listed_as_it_was_before_its_last_change() -> None:
    shop = Shop(seed=3, orders=300, now=NOW, late_share=1.0, late_by=3600)
    later = NOW + timedelta(minutes=30)
    moved = [
        i
        for i in range(300)
        if shop.order_state(i, later).updated_at > NOW  # type: ignore[union-attr]
    ]
    assert moved
    for index in moved:
        listed = shop.listed_state(index, later)
        assert listed is not None and listed.updated_at <= NOW


class Catcher:
    """A receiver that keeps what it is sent."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(self, request: Request) -> Response:
        self.got.append((dict(request.headers), await request.body()))
        return JSONResponse({"ok": True})


@pytest.fixture
async def catcher() -> AsyncIterator[tuple[Catcher, RunningServer]]:
    caught = Catcher()
    server = await serve(Starlette(routes=[Route("/hook", caught.endpoint, methods=["POST"])]))
    yield caught, server
    await server.stop()


async def test_webhooks_carry_each_change_signed(
    catcher: tuple[Catcher, RunningServer], shop: Shop, clock: VirtualClock
) -> None:
    caught, server = catcher
    async with httpx.AsyncClient() as http:
        sender = WebhookSender(shop, clock, http, url=f"{server.url}/hook", secret="s3")
        clock.advance(timedelta(hours=1))
        sent = await sender.deliver()
        assert await sender.deliver() == 0  # nothing new since
    assert sent == len(caught.got) > 10
    for headers, body in caught.got:
        digest = base64.b64encode(hmac.new(b"s3", body, hashlib.sha256).digest()).decode()
        assert headers["x-shopify-hmac-sha256"] == digest
        assert headers["x-shopify-topic"] in ("orders/create", "orders/updated")
    assert len({h["x-shopify-webhook-id"] for h, _ in caught.got}) == sent


async def test_woocommerce_webhooks_are_woocommerce_orders(
    catcher: tuple[Catcher, RunningServer], shop: Shop, clock: VirtualClock
) -> None:
    caught, server = catcher
    async with httpx.AsyncClient() as http:
        sender = WebhookSender(
            shop, clock, http, url=f"{server.url}/hook", vendor="woocommerce", secret="s3"
        )
        clock.advance(timedelta(hours=1))
        await sender.deliver()
    headers, body = caught.got[0]
    assert headers["x-wc-webhook-topic"] in ("order.created", "order.updated")
    assert "date_modified_gmt" in json.loads(body)


async def test_dup_and_reorder_repeat_and_send_old_versions(
    catcher: tuple[Catcher, RunningServer], shop: Shop, clock: VirtualClock
) -> None:
    caught, server = catcher
    async with httpx.AsyncClient() as http:
        sender = WebhookSender(
            shop,
            clock,
            http,
            url=f"{server.url}/hook",
            faults=Faults("dup:0.5,reorder:0.5", seed=4),
        )
        clock.advance(timedelta(hours=2))
        await sender.deliver()
    ids = [h["x-shopify-webhook-id"] for h, _ in caught.got]
    assert len(ids) > len(set(ids))  # some deliveries came twice
    stamps: dict[int, list[str]] = {}
    for _, body in caught.got:
        order = json.loads(body)
        stamps.setdefault(order["id"], []).append(order["updated_at"])
    assert any(s != sorted(s) for s in stamps.values())  # an older version arrived later


async def test_simulate_sends_signed_webhooks_to_the_url_given(
    catcher: tuple[Catcher, RunningServer],
) -> None:
    caught, server = catcher
    command = [
        sys.executable, "-m", "daemon", "simulate", "--port", "0", "--orders", "200",
        "--webhooks", f"{server.url}/hook", "--webhook-vendor", "woocommerce",
        "--webhook-secret", "s3", "--webhook-backlog", "600", "--webhook-every", "0.2",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not caught.got and loop.time() < deadline and process.returncode is None:
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = await process.communicate()
    assert caught.got, errors.decode()
    headers, body = caught.got[0]
    digest = base64.b64encode(hmac.new(b"s3", body, hashlib.sha256).digest()).decode()
    assert headers["x-wc-webhook-signature"] == digest


@pytest.mark.parametrize(("pricing", "refused"), [("classic", True), ("current", False)])
async def test_simulate_prices_shopify_queries_as_asked(pricing: str, refused: bool) -> None:
    command = [
        sys.executable, "-m", "daemon", "simulate", "--port", "0", "--orders", "50",
        "--shopify-cost", pricing,
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        line = (await asyncio.wait_for(process.stderr.readline(), timeout=30)).decode()
        url = line.split(" on ", 1)[1].split(": ", 1)[0]
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{url}/admin/api/2025-01/graphql.json",
                headers={"X-Shopify-Access-Token": "demo-token"},
                json={"query": ORDERS_QUERY, "variables": {"first": 250}},
            )
    finally:
        process.send_signal(signal.SIGINT)
        await process.communicate()
    body = response.json()
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    assert codes == (["MAX_COST_EXCEEDED"] if refused else [])
    assert refused or len(body["data"]["orders"]["edges"]) == 50
