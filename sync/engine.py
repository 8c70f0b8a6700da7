"""The sync engine: drive a connector page by page into the store.

Each page is saved with the cursor that resumes after it, in one transaction, so an interrupted
sync repeats at most one page and a repeated page changes nothing. A page that cannot be read
raises before anything is written, so the cursor never moves past it. The next page is fetched,
and its rows built (:func:`~sync.store.page.prepare_page`), while the one in hand is written: the
network, the Python work and the database's own work overlap. It is only written after its
predecessor is committed, and thrown away if the run stops first.

When ``reconcile`` is given, a run that starts more than that long after the last full pass lists
everything again (the source's :meth:`~sync.connectors.base.OrderSource.full_pass`), catching
updates that an incremental cursor can never see. Each run's start, rows, total and end are
recorded for ``orderwatchd status``. Parcels are followed by :mod:`sync.follow`.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from sync.clock import Clock
from sync.connectors.base import OrderPage, OrderSource
from sync.store import Store
from sync.store.feeds import RunPage
from sync.store.page import PreparedPage, prepare_page

FAULT_SWITCH = "ORDERWATCH_FAULT"
"""Fault injection for crash tests: ``cursor-before-data`` commits each page's cursor in its own
transaction before the page's rows, the classic bug the crash test must catch. Never set it in
production."""


async def sync_orders(
    store: Store,
    source: OrderSource,
    clock: Clock,
    *,
    reconcile: timedelta | None = None,
    stop: asyncio.Event | None = None,
) -> list[int]:
    """Fetch everything new from ``source``; returns the ids of the orders that changed.

    When ``stop`` is set the run ends after the page in hand is saved (with its cursor, so the
    next start goes on from there): a daemon asked to stop never waits for a long first sync.
    """
    cursor = await _run_start(store, source, clock, reconcile)
    changed: list[int] = []
    cursor_first = os.environ.get(FAULT_SWITCH) == "cursor-before-data"
    fetching = asyncio.ensure_future(_fetch(source, cursor))
    try:
        while True:
            page, rows = await fetching
            if page.more and not (stop is not None and stop.is_set()):
                fetching = asyncio.ensure_future(_fetch(source, page.cursor))
            if cursor_first:
                await store.save_cursor(source.name, source.kind, page.cursor, clock.now())
            changed += await store.save_order_page(
                source.name,
                source.kind,
                rows,
                page.cursor,
                clock.now(),
                run=RunPage(len(page.orders), page.total, finished=not page.more),
            )
            if not page.more or (stop is not None and stop.is_set()):
                return changed
    finally:
        # A page fetched ahead and not wanted (the run stopped, or failed) is dropped; its
        # error, if it had one, is not the run's.
        fetching.cancel()
        await asyncio.wait([fetching])
        if not fetching.cancelled():
            fetching.exception()


async def _fetch(source: OrderSource, cursor: str) -> tuple[OrderPage, PreparedPage]:
    page = await source.fetch_page(cursor)
    return page, prepare_page(page.orders)


async def _run_start(
    store: Store, source: OrderSource, clock: Clock, reconcile: timedelta | None
) -> str:
    """The cursor to go on from; starts (and records) a new run unless one is under way."""
    saved = await store.source(source.name)
    cursor = saved.cursor if saved else ""
    progress = await store.source_progress(source.name)
    if progress is not None and progress.running:
        return cursor  # a run cut short by an error or a crash goes on where it stopped
    now = clock.now()
    full = cursor == ""  # a first sync lists everything
    restart: str | None = None
    if not full and reconcile is not None and progress is not None:
        last = progress.reconciled_at
        if last is None or now - last >= reconcile:
            restart = source.full_pass(cursor)
            full = restart is not None
    await store.start_run(source.name, source.kind, now, full=full, cursor=restart)
    return cursor if restart is None else restart
