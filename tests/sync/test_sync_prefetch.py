"""Pages are fetched ahead while one is written: they still commit in order, each transaction with
the cursor of its last page; pages waiting in line are written together, and in a big run those
coming soon too; a page fetched ahead that fails writes nothing, and a stop asks for no more
pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx
import pytest

import sync.engine
from sync.clock import VirtualClock
from sync.connectors.base import OrderPage, OrderSource
from sync.engine import sync_orders
from sync.errors import PayloadError
from sync.fetch_aside import ASIDE_FROM
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
        self.gates: dict[str, asyncio.Event] = {}
        """Events the page after a cursor waits for before it comes."""
        self.pause = 0.0
        """Seconds each page takes to come."""
        self.told: int | None = None
        """The run's size each page tells."""

    async def fetch_page(self, cursor: str) -> OrderPage:
        self.asked.append(cursor)
        if cursor in self.on_ask:
            self.on_ask[cursor].set()
        await asyncio.sleep(self.pause)
        if cursor in self.gates:
            await self.gates[cursor].wait()
        if cursor == self.broken:
            raise PayloadError("paged: orders response is missing 'edges'")
        page = int(cursor or "0")
        orders = tuple(
            self.make_order(page * PER_PAGE + n, source="paged") for n in range(1, PER_PAGE + 1)
        )
        more = page + 1 < PAGES
        return OrderPage(orders=orders, cursor=str(page + 1), more=more, total=self.told)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


@pytest.fixture
def source(client: httpx.AsyncClient, make_order: OrderFactory) -> Paged:
    return Paged(client, make_order)


Commit = tuple[str, int, list[str], int]


@pytest.fixture
def commits(store: Store, source: Paged, monkeypatch: pytest.MonkeyPatch) -> list[Commit]:
    """After each transaction of pages: (the cursor then saved, the orders then stored, the
    cursors the source had been asked for, the pages written)."""
    seen: list[Commit] = []
    save = store.save_order_pages

    async def recorded(
        name: str, kind: str, pages: Sequence[PreparedPage], cursor: str, now: datetime, **kw: Any
    ) -> list[int]:
        changed = await save(name, kind, pages, cursor, now, **kw)
        saved = await store.source(name)
        assert saved is not None
        seen.append((saved.cursor, await store.order_count(), list(source.asked), len(pages)))
        return changed

    monkeypatch.setattr(store, "save_order_pages", recorded)
    return seen


async def test_pages_commit_in_order_each_with_its_own_cursor(
    store: Store, source: Paged, commits: list[Commit]
) -> None:
    await sync_orders(store, source, VirtualClock(T0))

    written = 0
    for cursor, count, _, pages in commits:  # one page or several, each with its last cursor
        written += pages
        assert (cursor, count) == (str(written), written * PER_PAGE)
    assert written == PAGES


async def test_the_next_page_is_asked_for_before_the_page_in_hand_is_committed(
    store: Store, source: Paged, commits: list[Commit]
) -> None:
    await sync_orders(store, source, VirtualClock(T0))

    asked_by_commit = [asked for _, _, asked, _ in commits]
    assert asked_by_commit[0][:2] == ["", "1"]
    assert asked_by_commit[1][:3] == ["", "1", "2"]
    assert source.asked == ["", "1", "2", "3"]


async def test_pages_waiting_in_line_are_written_together_up_to_a_group(
    store: Store, source: Paged, commits: list[Commit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.engine, "GROUP", 2 * PER_PAGE)
    save = store.save_order_pages  # the recording one

    async def slow(
        name: str, kind: str, pages: Sequence[PreparedPage], cursor: str, now: datetime, **kw: Any
    ) -> list[int]:
        while len(source.asked) < PAGES:  # the first page is written once all are fetched
            await asyncio.sleep(0)
        return await save(name, kind, pages, cursor, now, **kw)

    monkeypatch.setattr(store, "save_order_pages", slow)
    changed = await sync_orders(store, source, VirtualClock(T0))

    assert [(cursor, count, pages) for cursor, count, _, pages in commits] == [
        ("1", PER_PAGE, 1),
        ("3", 3 * PER_PAGE, 2),
        ("4", 4 * PER_PAGE, 1),
    ]
    assert len(changed) == len(set(changed)) == PAGES * PER_PAGE
    progress = await store.source_progress("paged")
    assert progress is not None and progress.run_rows == PAGES * PER_PAGE
    assert progress.run_finished_at is not None


async def test_in_a_big_run_pages_coming_one_by_one_share_a_transaction(
    store: Store, source: Paged, commits: list[Commit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.engine, "GROUP", 3 * PER_PAGE)
    source.told = ASIDE_FROM  # a first sync of a big shop
    source.pause = 0.01  # each page comes after the one before is taken

    await sync_orders(store, source, VirtualClock(T0))

    assert [(cursor, count, pages) for cursor, count, _, pages in commits] == [
        ("3", 3 * PER_PAGE, 3),
        ("4", 4 * PER_PAGE, 1),
    ]


async def test_a_small_run_writes_each_page_as_it_comes(
    store: Store, source: Paged, commits: list[Commit]
) -> None:
    source.pause = 0.01

    await sync_orders(store, source, VirtualClock(T0))

    assert [pages for _, _, _, pages in commits] == [1] * PAGES


async def test_a_page_later_than_the_hold_does_not_keep_the_pages_before_it_waiting(
    store: Store, source: Paged, commits: list[Commit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.engine, "HOLD", 0.05)
    source.told = ASIDE_FROM
    source.gates["2"] = gate = asyncio.Event()  # page 2 is stuck at the shop

    syncing = asyncio.ensure_future(sync_orders(store, source, VirtualClock(T0)))
    for _ in range(500):
        if commits:
            break
        await asyncio.sleep(0.01)

    assert [(cursor, count, pages) for cursor, count, _, pages in commits] == [
        ("2", 2 * PER_PAGE, 2)
    ]
    gate.set()
    await asyncio.wait_for(syncing, 10)
    assert await store.order_count() == PAGES * PER_PAGE


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


async def test_a_stop_saves_the_pages_fetched_and_asks_for_no_more(
    store: Store, source: Paged
) -> None:
    stop = asyncio.Event()
    source.on_ask["1"] = stop  # SIGTERM arrives while page 0 is written and page 1 fetched

    await sync_orders(store, source, VirtualClock(T0), stop=stop)

    assert source.asked == ["", "1"]
    saved = await store.source("paged")
    assert saved is not None and saved.cursor == "2"
    assert await store.order_count() == 2 * PER_PAGE
    rest = await sync_orders(store, source, VirtualClock(T0))
    assert len(rest) == 2 * PER_PAGE
    assert source.asked[-2:] == ["2", "3"]


async def test_a_cursor_moved_under_a_run_ends_it_and_the_next_goes_on_from_there(
    store: Store, source: Paged, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch_page = source.fetch_page

    async def restored_meanwhile(cursor: str) -> OrderPage:
        if cursor == "2":  # a backup taken after page 0 is restored while page 2 is fetched
            while await store.order_count() < 2 * PER_PAGE:
                await asyncio.sleep(0.01)
            await store.save_cursor("paged", "paged", "1", T0)
        return await fetch_page(cursor)

    monkeypatch.setattr(source, "fetch_page", restored_meanwhile)
    cut = await sync_orders(store, source, VirtualClock(T0))

    assert len(cut) == 2 * PER_PAGE  # page 2, fetched from the old cursor, is not written
    saved = await store.source("paged")
    assert saved is not None and saved.cursor == "1"
    assert await store.order_count() == 2 * PER_PAGE
    monkeypatch.setattr(source, "fetch_page", fetch_page)
    rest = await sync_orders(store, source, VirtualClock(T0))
    assert source.asked[-3:] == ["1", "2", "3"]
    assert len(rest) == 2 * PER_PAGE
    assert await store.order_count() == PAGES * PER_PAGE
