"""The simulated Shopify answers from pages drawn ahead exactly as it draws them on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from daemon.simulator.app import create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from sync.connectors.shopify_query import LARGEST_PAGE, ORDERS_QUERY

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "pages-token"


async def listing(prerender: bool) -> list[dict[str, Any]]:
    """Every page of a first sync, as many orders a page as a query may cost, as the client
    receives them."""
    app = create_app(
        Shop(seed=37, orders=130, now=NOW),
        clock=VirtualClock(NOW),
        token=TOKEN,
        bucket=Bucket(maximum=1e6, restore_rate=1e6),
    )
    if prerender:
        assert app.state.shopify.prerender(LARGEST_PAGE, ORDERS_QUERY) == -(-130 // LARGEST_PAGE)
    server = await serve(app)
    pages: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            after = None
            while True:
                response = await client.post(
                    "/admin/api/2025-01/graphql.json",
                    json={
                        "query": ORDERS_QUERY,
                        "variables": {"first": LARGEST_PAGE, "after": after},
                    },
                    headers={"X-Shopify-Access-Token": TOKEN},
                )
                body = response.json()
                pages.append(body["data"])
                info = body["data"]["orders"]["pageInfo"]
                assert body["extensions"]["cost"]["actualQueryCost"] > 0
                if not info["hasNextPage"]:
                    return pages
                after = info["endCursor"]
    finally:
        await server.stop()


async def test_prerendered_pages_are_the_pages_drawn_on_demand() -> None:
    drawn = await listing(prerender=False)
    kept = await listing(prerender=True)
    assert kept == drawn
    assert sum(len(page["orders"]["edges"]) for page in kept) == 130
