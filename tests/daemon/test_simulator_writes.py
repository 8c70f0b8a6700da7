"""The simulated shop taking writes: unrecorded shipments, fulfillments, statuses, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.faults import UNRECORDED, FaultSpec
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_writes import FULFILLMENT_ORDER_BASE
from daemon.simulator.woocommerce_api import woo_order
from sync.clock import VirtualClock

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HEADERS = {"X-Shopify-Access-Token": DEFAULT_TOKEN}


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=8, orders=120, now=NOW, unrecorded_share=1.0)


@pytest.fixture
async def sim(shop: Shop) -> AsyncIterator[RunningServer]:
    server = await serve(create_app(shop, clock=VirtualClock(NOW)))
    yield server
    await server.stop()


def shipped_index(shop: Shop) -> int:
    return next(
        index
        for index in range(shop.orders)
        if (line := shop.timeline(index)).shipped is not None
        and line.shipped < NOW.timestamp()
        and line.cancelled is None
    )


def test_the_unrecorded_quirk_is_read_from_the_fault_spec() -> None:
    assert FaultSpec.parse("unrecorded:0.05,500:0.1").quirk(UNRECORDED) == 0.05


def test_an_unrecorded_shipment_is_scanned_by_the_courier_but_not_shown_by_the_shop(
    shop: Shop,
) -> None:
    index = shipped_index(shop)
    state = shop.order_state(index, NOW)
    assert state is not None
    assert (state.fulfillment_status, state.fulfillments) == ("IN_PROGRESS", ())
    assert shop.track_state(index, NOW).scans


def test_a_recorded_fulfillment_moves_the_order_into_the_next_listing(shop: Shop) -> None:
    index = shipped_index(shop)
    later = NOW + timedelta(minutes=5)
    shop.record_fulfillment(index, later, "SF Express", "SF123", "https://sf.example/SF123")
    found, _ = shop.changed(later, since=int(later.timestamp()))
    state = shop.order_state(index, later)
    assert [i for i, _ in found] == [index]
    assert state is not None and state.updated_at == later
    assert (state.fulfillment_status, state.fulfillments[0].number) == ("FULFILLED", "SF123")


def test_a_status_set_through_the_api_is_what_woocommerce_shows(shop: Shop) -> None:
    index = shipped_index(shop)
    shop.set_status(index, "completed", NOW)
    state = shop.order_state(index, NOW)
    assert state is not None and woo_order(state)["status"] == "completed"


async def test_fulfillment_create_refuses_a_fulfillment_order_that_does_not_exist(
    sim: RunningServer,
) -> None:
    mutation = {
        "query": "mutation M($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { "
        "fulfillment { id } userErrors { field message } } }",
        "variables": {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{10**15}"}
                ]
            }
        },
    }
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{sim.url}/admin/api/2025-01/graphql.json", json=mutation, headers=HEADERS
        )
    created = answer.json()["data"]["fulfillmentCreate"]
    assert created["fulfillment"] is None
    assert created["userErrors"][0]["message"] == "Fulfillment order does not exist."


async def test_rest_answers_422_for_a_fulfillment_order_already_closed(
    sim: RunningServer, shop: Shop
) -> None:
    index = shipped_index(shop)
    shop.record_fulfillment(index, NOW, "SF", "SF1", "")
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [
                {"fulfillment_order_id": FULFILLMENT_ORDER_BASE + index}
            ],
            "tracking_info": {"number": "SF2"},
        }
    }
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{sim.url}/admin/api/2025-01/fulfillments.json", json=body, headers=HEADERS
        )
    assert answer.status_code == 422
    assert "cannot be fulfilled while closed" in answer.json()["errors"][0]


async def test_writes_need_the_shops_token(sim: RunningServer, shop: Shop) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{sim.url}/admin/api/2025-01/orders/{5_600_000_000_000}/fulfillment_orders.json",
            headers={"X-Shopify-Access-Token": "wrong"},
        )
    assert answer.status_code == 401
