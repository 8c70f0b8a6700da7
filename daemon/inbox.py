"""Applying queued webhook deliveries to orders, soon after they were answered.

The HTTP receivers only verify and queue (see :mod:`daemon.http.shopify`); this loop reads each
waiting delivery with its source's own parser and writes its orders. A delivery that cannot be
read is set aside with its error (polling still brings the order); one that failed for another
reason is tried again. Deliveries left from before a crash are applied at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from sync.clock import Clock
from sync.connectors.base import OrderSource
from sync.domain import OrderRecord
from sync.errors import OrderwatchError, PayloadError
from sync.store import Store

log = logging.getLogger("orderwatch.inbox")

BATCH = 100
POLL_SECONDS = 30.0
GATHER_SECONDS = 0.05


class Inbox:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        sources: Mapping[str, OrderSource],
        on_change: Callable[[], None],
    ) -> None:
        self.store = store
        self.clock = clock
        self.sources = sources
        self.on_change = on_change
        self.arrived = asyncio.Event()

    def wake(self) -> None:
        """A delivery was queued."""
        self.arrived.set()

    async def drain(self) -> list[int]:
        """Apply every waiting delivery; returns the ids of the orders that changed."""
        changed: list[int] = []
        while True:
            rows = await self.store.pending_webhooks(BATCH)
            readable: list[tuple[int, str, Sequence[OrderRecord]]] = []
            gone: list[tuple[str, str, str]] = []
            for row in rows:
                source = self.sources.get(row.source)
                if source is None:
                    await self.store.fail_webhook(row.id, "no such order source", final=True)
                    continue
                try:
                    records = source.parse_push(row.topic, row.body)
                    deleted = source.parse_deletions(row.topic, row.body)
                    readable.append((row.id, row.source, records))
                    gone += [(row.source, external_id, row.topic) for external_id in deleted]
                except PayloadError as exc:
                    log.error("%s: webhook %s set aside: %s", row.source, row.delivery_id, exc)
                    await self.store.fail_webhook(row.id, str(exc), final=True)
            if readable:
                changed += await self.store.apply_webhooks(readable, self.clock.now(), deleted=gone)
            if len(rows) < BATCH:
                return changed

    async def run(self, stop: asyncio.Event) -> None:
        """Drain whenever a delivery arrives (and every ``POLL_SECONDS``) until ``stop``."""
        while not stop.is_set():
            self.arrived.clear()
            try:
                changed = await self.drain()
            except OrderwatchError as exc:
                log.error("webhooks: %s", exc)
                changed = []
            if changed:
                log.info("webhooks: %d orders changed", len(changed))
                self.on_change()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=POLL_SECONDS)
            if not stop.is_set():
                await asyncio.sleep(GATHER_SECONDS)  # let a burst of deliveries gather
