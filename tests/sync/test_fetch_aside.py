"""A big run's pages fetched by a helper process (:mod:`sync.fetch_aside`), against the
simulator over real HTTP: the mirror comes out exactly as when the engine fetches alone, and a
helper that cannot start, cannot fetch a page, or dies leaves the engine to fetch on from the
last page it handed over."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import sync.engine
import sync.fetch_aside
from daemon.simulator.shop import OrderState, Shop
from sync.clock import VirtualClock
from sync.connectors.base import OrderSource
from sync.engine import sync_orders
from sync.store import Store
from tests.sync.apisim import KINDS, Scripted, make_source, more_parcels, start_vendor, truth

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDERS = 400
ASIDE_FROM = 100
TABLES = ("orders", "line_items", "shipments", "order_search", "events", "sources")


@pytest.fixture(autouse=True)
def small_runs_go_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync.engine, "ASIDE_FROM", ASIDE_FROM)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class Asides:
    """Records how each helper's fetching ended: (the cursor it got to, whether it ended the
    run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ended: list[tuple[str, bool]] = []
        real = sync.fetch_aside.fetch_aside

        async def recorded(*args: Any, **kwargs: Any) -> tuple[str, bool]:
            result = await real(*args, **kwargs)
            self.ended.append(result)
            return result

        monkeypatch.setattr(sync.engine, "fetch_aside", recorded)


def contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row the sync writes, table by table; without the change stamps, which count
    transactions (how many pages wait in line to be written together depends on timing)."""
    found = {}
    with sqlite3.connect(path) as conn:
        for table in TABLES:
            names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(name for name in names if name != "change_seq")
            found[table] = conn.execute(f"SELECT {kept} FROM {table} ORDER BY 1").fetchall()
    found["sources"] = [row[:3] for row in found["sources"]]  # name, kind, cursor
    return found


async def mirror(
    tmp_path: Path,
    name: str,
    kind: str,
    http: httpx.AsyncClient,
    script: list[int | str | None] | None = None,
    *,
    shop: Shop | None = None,
) -> tuple[Path, Scripted, OrderSource]:
    """A first sync of the simulated shop into a new mirror."""
    clock = VirtualClock(NOW)
    shop = shop or Shop(seed=8, orders=ORDERS, now=NOW)
    server, vendor = await start_vendor(shop, clock, script, listings=True)
    path = tmp_path / f"{name}.db"
    store = await Store.open(path)
    try:
        source = make_source(kind, server.url, http, sleep=asyncio.sleep)
        await sync_orders(store, source, clock)
        ids = {
            row["external_id"] for row in await store.db.fetchall("SELECT external_id FROM orders")
        }
        assert ids == set(truth(shop, NOW, kind))
    finally:
        await store.close()
        await server.stop()
    return path, vendor, source


@pytest.mark.parametrize("kind", KINDS)
async def test_a_big_run_fetched_by_a_helper_writes_what_the_engine_alone_would(
    kind: str, tmp_path: Path, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = _handed(monkeypatch)
    aside, vendor, _ = await mirror(tmp_path, "aside", kind, http)
    listings = [hit for hit in vendor.hits if hit.endswith(Scripted.LISTINGS)]
    if kind == "shopify":  # its count goes to the same address as its listings
        listings = listings[1:]
    assert len(listings) > 2
    assert handed == [len(listings) - 1]  # every page after the first, by the helper

    monkeypatch.setattr(sync.engine, "ASIDE_FROM", 10**9)
    alone, _, _ = await mirror(tmp_path, "alone", kind, http)
    assert handed == [len(listings) - 1]

    written = contents(aside)
    assert len(written["orders"]) == ORDERS
    assert written == contents(alone)


def _handed(
    monkeypatch: pytest.MonkeyPatch, after_first: Callable[[], None] | None = None
) -> list[int]:
    """How many pages the helper has handed over, so far; ``after_first`` is called once the
    first has come."""
    handed = [0]

    def page(*parts: Any) -> Any:
        handed[0] += 1
        if handed[0] == 1 and after_first is not None:
            after_first()
        return sync.store.page.PreparedPage(*parts)

    monkeypatch.setattr(sync.fetch_aside, "PreparedPage", page)
    return handed


async def test_a_page_the_helper_cannot_fetch_is_fetched_by_the_engine(
    tmp_path: Path,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asides = Asides(monkeypatch)
    # The first listing is the engine's, the next two the helper's; the third is cut short.
    path, vendor, _ = await mirror(tmp_path, "m", "woocommerce", http, [None, None, "garbage"])

    assert len(asides.ended) == 1
    cursor, ended = asides.ended[0]
    assert not ended and cursor != ""
    assert "the fetching helper stopped: PayloadError" in caplog.text
    listings = [hit for hit in vendor.hits if hit.endswith("/orders")]
    assert len(listings) == ORDERS // 25 + 1  # every page once, the one cut short twice
    assert len(contents(path)["orders"]) == ORDERS


async def test_a_helper_that_dies_leaves_the_engine_to_fetch_on(
    tmp_path: Path,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asides = Asides(monkeypatch)
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def spawned(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append(await spawn(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spawned)
    _handed(monkeypatch, after_first=lambda: started[-1].kill())

    path, _, _ = await mirror(tmp_path, "m", "shopify-rest", http)

    assert len(started) == 1 and started[0].returncode is not None
    ((cursor, ended),) = asides.ended
    assert not ended and cursor != ""
    assert "the fetching helper is gone" in caplog.text
    assert len(contents(path)["orders"]) == ORDERS


async def test_without_a_helper_the_engine_fetches_alone(
    tmp_path: Path,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    asides = Asides(monkeypatch)

    path, _, _ = await mirror(tmp_path, "m", "shopify", http)

    assert [ended for _, ended in asides.ended] == [False]
    assert "fetching without a helper" in caplog.text
    assert len(contents(path)["orders"]) == ORDERS


async def test_a_stop_ends_a_run_the_helper_fetches_and_the_next_goes_on(
    tmp_path: Path, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = VirtualClock(NOW)
    shop = Shop(seed=8, orders=ORDERS, now=NOW)
    server, _ = await start_vendor(shop, clock, listings=True)
    store = await Store.open(tmp_path / "m.db")
    stop = asyncio.Event()
    _handed(monkeypatch, after_first=stop.set)
    try:
        source = make_source("woocommerce", server.url, http, sleep=asyncio.sleep)
        await sync_orders(store, source, clock, stop=stop)
        saved = await store.source("shop")
        assert saved is not None
        stopped_at = await store.order_count()
        assert 0 < stopped_at < ORDERS

        await sync_orders(store, source, clock)
        assert await store.order_count() == ORDERS
    finally:
        await store.close()
        await server.stop()


class ManyParcels(Shop):
    """Every shipped order whose index ends in 7 has 60 fulfillments: more than the Shopify
    source asks for in one call, which it warns about."""

    def order_state(self, index: int, at: datetime) -> OrderState | None:
        state = super().order_state(index, at)
        if state is None or not state.fulfillments or index % 10 != 7:
            return state
        return more_parcels(state, index, 60)


async def test_the_helpers_warnings_are_logged_by_the_engine(
    tmp_path: Path, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    shop = ManyParcels(seed=8, orders=ORDERS, now=NOW)
    crowded = [
        index
        for index in range(ORDERS)
        if index % 10 == 7 and (state := shop.order_state(index, NOW)) and state.fulfillments
    ]
    assert len(crowded) > 2  # more than the first page (the engine's own) can hold

    await mirror(tmp_path, "m", "shopify", http, shop=shop)

    warned = [r for r in caplog.records if "more than 50 fulfillments" in r.getMessage()]
    assert len(warned) == len(crowded)
    assert {r.name for r in warned} == {"sync.connectors.shopify_graphql"}
