"""The sync engine: drive a connector page by page into the store.

Each page is saved with the cursor that resumes after it, in the same transaction, so an
interrupted sync repeats only pages not committed and a repeated page changes nothing. A run's
pages are written only while the stored cursor is still the one it fetched them from: a restore
into the running daemon (or an operator's reset) ends the run in flight, and the next goes on from
the cursor now stored. A page that cannot be read raises before anything of it is written, so the
cursor never moves past it. Pages are fetched, and their rows built
(:func:`~sync.store.page.prepare_page`), ahead of the one being written: the network, the Python
work and the database's own work overlap. Pages waiting in line are written together in one
transaction (:data:`GROUP`); in a big run (a first sync), a transaction also waits a moment for the
pages about to come (:data:`HOLD`). Pages fetched ahead are thrown away if the run fails first.
The pages of a big run are fetched by a helper process (:mod:`sync.fetch_aside`), which leaves
this process only the writing.

When ``reconcile`` is given, a run that starts more than that long after the last full pass lists
everything again (the source's :meth:`~sync.connectors.base.OrderSource.full_pass`), catching
updates that an incremental cursor can never see. Each run's start, rows, total and end are
recorded for ``orderwatchd status``. Parcels are followed by :mod:`sync.follow`.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any, Final

from sync.clock import Clock
from sync.connectors.base import OrderPage, OrderSource
from sync.errors import CursorMoved
from sync.fetch_aside import ASIDE_FROM, Fetched, Told, can_fetch_aside, fetch_aside, told
from sync.store import Store
from sync.store.feeds import RunPage
from sync.store.page import prepare_page

AHEAD = 20
"""Pages fetched (and their rows built) ahead of the one being written, at most."""

GROUP = 5000
"""Orders that pages are written together up to, in one transaction. Several pages cost a
fraction of their commits one by one. At 100k orders, transactions of 5,000 wrote the sync about
a tenth faster than of 2,000; one holds the write lock a few tenths of a second, which an agent's
write then waits at most."""

HOLD = 0.25
"""Seconds the first page of a big run's transaction (:func:`_big`) waits for the pages about to
come, up to :data:`GROUP`. Otherwise a writer that keeps up takes the page or two in line: in a
first sync of 100k orders its transactions held about a thousand orders, and the index pages
they all touch were written again at each commit (2 GB written for a 330 MB mirror, against
1.1 GB with the wait, and a fifth less of the daemon's CPU). A small run writes each page as it
comes: it is over soon, and its orders show at once."""

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

    When ``stop`` is set the run ends once the pages already fetched (:data:`AHEAD` at most)
    are saved, with their cursor, so the next start goes on from there; a page still being
    fetched is dropped. A daemon asked to stop never waits for a long first sync.
    """
    cursor = await _run_start(store, source, clock, reconcile)
    changed: list[int] = []
    cursor_first = os.environ.get(FAULT_SWITCH) == "cursor-before-data"
    line: asyncio.Queue[InLine] = asyncio.Queue(AHEAD)
    big = asyncio.Event()  # set once a page tells of a big run
    fetching = asyncio.ensure_future(_fetch_ahead(source, cursor, line, stop, big))
    try:
        ending: list[Exception | None] = []  # how the fetching ended, taken with a group
        while True:
            first = ending.pop() if ending else await _take(line, stop)
            if not isinstance(first, tuple):
                if first is None:  # stopped
                    break
                raise first
            group = [first]
            # The pages in line are taken; in a big run, while it says more are coming, those
            # coming before ``until`` too.
            until = asyncio.get_running_loop().time() + HOLD
            while _room(group) and group[-1][0].more:
                if line.empty() and not big.is_set():
                    break
                found = await _take(line, stop, until)  # at once while pages are in line
                if found is LATE:
                    break
                if not isinstance(found, tuple):
                    ending.append(found)
                    break
                group.append(found)
            last = group[-1][0]
            if cursor_first:
                await store.save_cursor(source.name, source.kind, last.cursor, clock.now())
                cursor = last.cursor
            try:
                changed += await store.save_order_pages(
                    source.name,
                    source.kind,
                    [rows for _, rows in group],
                    last.cursor,
                    clock.now(),
                    run=_run_page([page for page, _ in group]),
                    after=cursor,
                )
            except CursorMoved:  # restored or reset meanwhile: the next run starts from there
                break
            cursor = last.cursor
            if not last.more:
                break
        return changed
    finally:
        # Pages fetched ahead and not wanted (the run stopped or failed) are dropped.
        fetching.cancel()
        await asyncio.wait([fetching])
        if not fetching.cancelled():
            fetching.exception()


InLine = Fetched | Exception | None
"""A page fetched; or the error that ended the fetching, or None when it ended for a stop."""


async def _fetch_ahead(
    source: OrderSource,
    cursor: str,
    line: asyncio.Queue[InLine],
    stop: asyncio.Event | None,
    big: asyncio.Event,
) -> None:
    """Fetch pages from ``cursor`` on, with their rows built, into ``line`` (waiting while it
    is full), until the source has no more or ``stop`` is set.

    Once a page tells that the run brings :data:`~sync.fetch_aside.ASIDE_FROM` orders or more
    (exactly or at least), a helper process fetches the pages after it
    (:mod:`sync.fetch_aside`); if it stops short, the fetching goes on here from the last page
    it handed over."""
    aside = can_fetch_aside(source)
    try:
        while True:
            page = await source.fetch_page(cursor)
            await line.put((told(page), prepare_page(page.orders)))
            if not page.more:
                return
            if stop is not None and stop.is_set():
                break
            cursor = page.cursor
            if _big(page):
                big.set()
            if aside and big.is_set():
                aside = False  # one helper a run: one that stopped short would again
                cursor, ended = await fetch_aside(source, cursor, line, stop)
                if ended:
                    return
                if stop is not None and stop.is_set():
                    break
    except Exception as exc:  # the run's error, once the pages fetched before it are saved
        await line.put(exc)
        return
    await line.put(None)


def _big(page: OrderPage) -> bool:
    """Whether ``page`` tells of a run of :data:`~sync.fetch_aside.ASIDE_FROM` orders or more."""
    count = page.total if page.total is not None else page.at_least
    return count is not None and count >= ASIDE_FROM


LATE: Final = Exception("no page came in time")
"""What :func:`_take` gives when nothing came before its deadline."""


async def _take(
    line: asyncio.Queue[InLine], stop: asyncio.Event | None, until: float | None = None
) -> InLine:
    """The next in ``line``; None when ``stop`` is set before a page comes (a page still being
    fetched, or a source waiting out a limit, is not waited for), and :data:`LATE` when
    nothing came before ``until`` (the loop's time)."""
    if not line.empty() or (stop is None and until is None):
        return await line.get()
    getting = asyncio.ensure_future(line.get())
    waits: list[asyncio.Future[Any]] = [getting]
    if stop is not None:
        waits.append(asyncio.ensure_future(stop.wait()))
    timeout = None if until is None else max(0.0, until - asyncio.get_running_loop().time())
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()  # a page it was woken for stays in line
    if getting.done() and not getting.cancelled():
        return getting.result()
    if not line.empty():
        return line.get_nowait()
    return None if stop is not None and stop.is_set() else LATE


def _run_page(pages: list[Told]) -> RunPage:
    """What ``pages`` add to the run's progress: their orders, the total the source last told
    (a first page may be the only one to tell it), and whether the last is the end."""
    totals = [page.total for page in pages if page.total is not None]
    return RunPage(
        sum(page.rows for page in pages), totals[-1] if totals else None, not pages[-1].more
    )


def _room(group: list[Fetched]) -> bool:
    """Whether another page goes in the transaction of ``group``."""
    return sum(len(rows) for _, rows in group) < GROUP


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
