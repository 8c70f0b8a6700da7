"""The sync engine: drive a connector page by page into the store.

Each page is saved with the cursor that resumes after it, in one transaction, so an interrupted
sync repeats at most one page and a repeated page changes nothing.
"""

from __future__ import annotations

import os
from datetime import timedelta

from sync.clock import Clock
from sync.connectors.base import OrderSource, Parcel, TrackingProvider
from sync.store import Store

TRACK_BATCH = 40

FAULT_SWITCH = "ORDERWATCH_FAULT"
"""Fault injection for crash tests: ``cursor-before-data`` commits each page's cursor in its own
transaction before the page's rows, the classic bug the crash test must catch. Never set it in
production."""


async def sync_orders(store: Store, source: OrderSource, clock: Clock) -> list[int]:
    """Fetch everything new from ``source``; returns the ids of the orders that changed."""
    saved = await store.source(source.name)
    cursor = saved.cursor if saved else ""
    changed: list[int] = []
    cursor_first = os.environ.get(FAULT_SWITCH) == "cursor-before-data"
    while True:
        page = await source.fetch_page(cursor)
        if cursor_first:
            await store.save_cursor(source.name, source.kind, page.cursor, clock.now())
        changed += await store.save_order_page(
            source.name, source.kind, page.orders, page.cursor, clock.now()
        )
        cursor = page.cursor
        if not page.more:
            return changed


async def follow_parcels(
    store: Store,
    provider: TrackingProvider,
    clock: Clock,
    *,
    every: timedelta,
    limit: int = 200,
) -> list[int]:
    """Register and poll up to ``limit`` moving parcels not polled for ``every``.

    Returns the ids of the orders whose parcels moved.
    """
    now = clock.now()
    due = await store.parcels_to_follow(provider.name, limit, polled_before=now - every)
    changed: list[int] = []
    for start in range(0, len(due), TRACK_BATCH):
        batch = due[start : start + TRACK_BATCH]
        fresh = set(await store.unregistered([s.id for s in batch]))
        if fresh:
            await provider.register(
                [Parcel(s.tracking_number, s.carrier) for s in batch if s.id in fresh]
            )
            await store.mark_registered(provider.name, sorted(fresh), clock.now())
        tracks = await provider.fetch_tracks([Parcel(s.tracking_number, s.carrier) for s in batch])
        changed += await store.save_tracks(
            provider.name, tracks, [s.id for s in batch], clock.now()
        )
    await store.record_source_success(provider.name, provider.kind, len(changed), clock.now())
    return changed
