"""A sync asked to stop ends after the page in hand, and the next run goes on from there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from sync.clock import VirtualClock
from sync.connectors.base import OrderPage, OrderSource
from sync.engine import sync_orders
from sync.store import Store
from tests.conftest import T0, OrderFactory

PAGES = 4


class Paged(OrderSource):
    kind = "paged"

    def __init__(self, client: httpx.AsyncClient, make_order: OrderFactory) -> None:
        super().__init__("paged", client, {})
        self.make_order = make_order
        self.asked: list[str] = []

    async def fetch_page(self, cursor: str) -> OrderPage:
        self.asked.append(cursor)
        page = int(cursor or "0")
        orders = tuple(self.make_order(page * 10 + n, source="paged") for n in range(1, 11))
        return OrderPage(orders=orders, cursor=str(page + 1), more=page + 1 < PAGES)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


async def test_a_stopped_sync_saves_the_page_in_hand_and_resumes_after_it(
    store: Store, client: httpx.AsyncClient, make_order: OrderFactory
) -> None:
    source = Paged(client, make_order)
    stop = asyncio.Event()
    stop.set()  # SIGTERM arrived while the first page was being fetched

    first = await sync_orders(store, source, VirtualClock(T0), stop=stop)

    assert len(first) == 10
    saved = await store.source("paged")
    assert saved is not None and saved.cursor == "1"
    rest = await sync_orders(store, source, VirtualClock(T0))
    assert len(rest) == 30
    assert source.asked == ["", "1", "2", "3"]
    assert await store.order_count() == 40
