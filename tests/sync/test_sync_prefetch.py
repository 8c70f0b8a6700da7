"""The next page is fetched while one is written: pages still commit in order, each with its own
cursor, and a page fetched ahead that fails (or is no longer wanted) writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx
import pytest

from sync.clock import VirtualClock
from sync.connectors.base import OrderPage, OrderSource
from sync.domain import OrderRecord
from sync.engine import sync_orders
from sync.errors import PayloadError
from sync.store import Store
from sync.store.page import PreparedPage
from tests.conftest import T0, OrderFactory

PAGES = 4
PER_PAGE = 5


class Paged(OrderSource):
    """Pages of five orders; cursor ``k`` resumes after page ``k - 1``."""

    kind = "paged"

    def __init__(self, client: httpx.AsyncClient, make_order: OrderFactory) -> None:
        super().__init__("paged", client, {})
        self.make_order = make_order
        self.asked: list[str] = []
        self.broken: str | None = None
        """The cursor whose page is unreadable."""
        self.on_ask: dict[str, asyncio.Event] = {}
        """Events set when the page after a cursor is asked for."""

    async def fetch_page(self, cursor: str) -> OrderPage:
        self.asked.append(cursor)
        if cursor in self.on_ask:
            self.on_ask[cursor].set()
        await asyncio.sleep(0)
        if cursor == self.broken:
            raise PayloadError("paged: orders response is missing 'edges'")
        page = int(cursor or "0")
        orders = tuple(
            self.make_order(page * PER_PAGE + n, source="paged") for n in range(1, PER_PAGE + 1)
        )
        return OrderPage(orders=orders, cursor=str(page + 1), more=page + 1 < PAGES)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


@pytest.fixture
def source(client: httpx.AsyncClient, make_order: OrderFactory) -> Paged:
    return Paged(client, make_order)


@pytest.fixture
def commits(
    store: Store, source: Paged, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, int, list[str]]]:
    """After each page's transaction: (the cursor then saved, the orders then stored, the
    cursors the source had been asked for)."""
    seen: list[tuple[str, int, list[str]]] = []
    save = store.save_order_page

    async def recorded(
        name: str,
        kind: str,
        records: Sequence[OrderRecord] | PreparedPage,
        cursor: str,
        now: datetime,
        **kwargs: Any,
    ) -> list[int]:
        changed = await save(name, kind, records, cursor, now, **kwargs)
        saved = await store.source(name)
        assert saved is not None
        seen.append((saved.cursor, await store.order_count(), list(source.asked)))
        return changed

    monkeypatch.setattr(store, "save_order_page", recorded)
    return seen


async def test_pages_commit_in_order_each_with_its_own_cursor(
    store: Store, source: Paged, commits: list[tuple[str, int, list[str]]]
) -> None:
    await sync_orders(store, source, VirtualClock(T0))

    assert [(cursor, count) for cursor, count, _ in commits] == [
        (str(k + 1), (k + 1) * PER_PAGE) for k in range(PAGES)
    ]


async def test_the_next_page_is_asked_for_before_the_page_in_hand_is_committed(
    store: Store, source: Paged, commits: list[tuple[str, int, list[str]]]
) -> None:
    await sync_orders(store, source, VirtualClock(T0))

    asked_by_commit = [asked for _, _, asked in commits]
    assert asked_by_commit[0][:2] == ["", "1"]
    assert asked_by_commit[1][:3] == ["", "1", "2"]
    assert source.asked == ["", "1", "2", "3"]


async def test_a_failing_page_fetched_ahead_writes_nothing_and_advances_nothing(
    store: Store, source: Paged
) -> None:
    source.broken = "2"  # fetched while page 1 is written

    with pytest.raises(PayloadError):
        await sync_orders(store, source, VirtualClock(T0))

    saved = await store.source("paged")
    assert saved is not None and saved.cursor == "2"
    assert await store.order_count() == 2 * PER_PAGE
    source.broken = None
    rest = await sync_orders(store, source, VirtualClock(T0))
    assert len(rest) == 2 * PER_PAGE
    assert source.asked[-2:] == ["2", "3"]


async def test_a_page_fetched_ahead_of_a_stop_is_dropped(store: Store, source: Paged) -> None:
    stop = asyncio.Event()
    source.on_ask["1"] = stop  # SIGTERM arrives while page 0 is written and page 1 fetched

    await sync_orders(store, source, VirtualClock(T0), stop=stop)

    assert "1" in source.asked
    saved = await store.source("paged")
    assert saved is not None and saved.cursor == "1"
    assert await store.order_count() == PER_PAGE
