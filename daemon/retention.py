"""Keeping the database file in shape for years: payload retention and a bounded WAL.

Raw vendor payloads are blanked once older than ``retention_days`` (the orders, the timeline and
the audit stay; see :mod:`sync.store.upkeep`), a few minutes after start and then every few hours.

The WAL grows while a checkpoint cannot copy it back, and a checkpoint cannot pass a reader that
sits inside an old read transaction. The daemon never holds one (its reads are autocommit) and
the console polls ``PRAGMA data_version`` outside any transaction, so every minute a checkpoint
runs on its own connection (never blocking the daemon's writes for long), the WAL is truncated
once it has been copied back, and the daemon's connection truncates it to ``JOURNAL_LIMIT`` at
each reset. When something else (a ``sqlite3`` shell left in ``BEGIN``) pins an old snapshot, the
log says so once, with the WAL's size, and ``orderwatchd doctor`` reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from pathlib import Path

from daemon.vitals import Vitals
from sync.clock import Clock
from sync.errors import OrderwatchError
from sync.store import Store
from sync.store.files import Checkpoint, checkpoint, wal_size

log = logging.getLogger("orderwatch.retention")

CHECKPOINT_EVERY = 60.0
PRUNE_EVERY = 6 * 3600.0
FIRST_PRUNE_AFTER = 300.0
"""Start-up is busy enough (first syncs, a full re-plan): prune a little later."""
JOURNAL_LIMIT = 64 * 1024 * 1024
TRUNCATE_WAIT = 0.2
"""Seconds a truncating checkpoint may hold up writers while it waits for readers."""
STUCK_WAL = 256 * 1024 * 1024
"""A WAL this big behind a busy checkpoint means some reader pins an old snapshot."""


class Retention:
    def __init__(
        self,
        store: Store,
        database: Path,
        clock: Clock,
        vitals: Vitals,
        days: int,
    ) -> None:
        self.store = store
        self.database = database
        self.clock = clock
        self.vitals = vitals
        self.days = days
        self._warned = False

    async def run(self, stop: asyncio.Event) -> None:
        await self.store.limit_journal(JOURNAL_LIMIT)
        next_prune = time.monotonic() + FIRST_PRUNE_AFTER
        while not stop.is_set():
            try:
                await self.checkpoint()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY
                    await self.prune()
            except OrderwatchError as exc:
                log.error("upkeep: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=CHECKPOINT_EVERY)

    async def prune(self) -> int:
        """Blank the payloads older than the retention period; returns how many."""
        if self.days <= 0:
            return 0
        before = self.clock.now() - timedelta(days=self.days)
        pruned = await self.store.prune_payloads(before)
        self.vitals.pruned += pruned.total
        if pruned.total:
            log.info(
                "retention: blanked payloads older than %d days (%d orders, %d parcels, "
                "%d pushes, %d webhooks)",
                self.days,
                pruned.orders,
                pruned.shipments,
                pruned.pushes,
                pruned.webhooks,
            )
        return pruned.total

    async def checkpoint(self) -> Checkpoint:
        """Copy the WAL back; empty the file when everything was copied."""
        async with self.store.db.copy_back_held():  # the store's own copies wait meanwhile
            done = await asyncio.to_thread(checkpoint, self.database, "PASSIVE")
            if done.complete and done.wal_frames > 0:
                # Best effort: a reader that just started only delays it to the next round.
                await asyncio.to_thread(
                    checkpoint, self.database, "TRUNCATE", busy_timeout=TRUNCATE_WAIT
                )
        self.vitals.checkpointed(done.complete)
        size = wal_size(self.database)
        if done.complete or size < STUCK_WAL:
            self._warned = False
        elif not self._warned:
            self._warned = True
            log.warning(
                "the WAL is %d MB and cannot be checkpointed: a reader holds an old snapshot "
                "(a console or sqlite3 shell left inside a transaction?); find it with "
                "`fuser %s` and end it",
                size // (1024 * 1024),
                self.database,
            )
        return done
