"""The outbox worker: send what is due, on a schedule, and record every attempt.

For each due row: a channel in its quiet hours holds it until they end (unless the message's
severity may ring through); otherwise the row is claimed (``sending``, one attempt more) and
committed *before* the send, the send is made, and the outcome is recorded: ``sent``, a retry
``retry_every`` later, or ``failed`` after the channel's last attempt. A crash between the send
and the record leaves the row ``sending``; at start-up it goes out again under the same
idempotency key, which is all a receiver needs to drop the repeat.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx

from daemon.outbox.message import Message, digest
from daemon.outbox.senders import DeliveryError, send
from daemon.outbox.shop_push import ShopPusher, is_shop_push
from daemon.rules.channels import quiet_until
from daemon.rules.workflow import Workflow
from daemon.waiting import wait_any
from sync.clock import Clock
from sync.connectors.shop_writer import ShopWriter
from sync.errors import OrderwatchError
from sync.store import OutboxRow, Outgoing, Store

log = logging.getLogger("orderwatch.outbox")

MAX_SLEEP = 30.0
OVERDUE = timedelta(minutes=1)
"""Notifications due longer ago than this at start-up go out folded into a digest."""
CONCURRENT = 4


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        client: httpx.AsyncClient,
        workflow: Callable[[], Workflow],
        environ: Mapping[str, str] | None = None,
        writers: Mapping[str, ShopWriter] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.client = client
        self.workflow = workflow
        self.environ = os.environ if environ is None else environ
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(CONCURRENT)
        self.pusher = ShopPusher(store, clock, writers or {})
        """Tracking pushes to shop platforms (``shop:<source>`` rows), by source name."""

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """At start-up: put sends a crash interrupted back in line (same keys), and fold what
        waited while the daemon was down into one digest per channel; returns the sends put
        back in line."""
        now = self.clock.now()
        found = await self.store.recover_interrupted_sends(now)
        if found:
            log.warning("%d sends were cut off when the daemon stopped: sending again", found)
        await self._coalesce(await self.store.overdue_outbox(now - OVERDUE), now)
        return found

    async def _coalesce(self, rows: list[OutboxRow], now: datetime) -> None:
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            if not is_shop_push(row):  # a push is a write to a shop, not a message to fold
                by_channel.setdefault(row.channel, []).append(row)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        folded: list[int] = []
        sends: list[Outgoing] = []
        for channel, waiting in by_channel.items():
            if len(waiting) < 2:
                continue
            title = f"{len(waiting)} notifications waited while orderwatch was not running"
            messages = [Message.from_json(row.payload) for row in waiting]
            message = digest(f"waited-{stamp}-{channel}", title, messages)
            sends.append(
                Outgoing(channel, message.key, message.to_json(), now, severity=message.severity)
            )
            folded += [row.id for row in waiting]
        if sends:
            log.info("%d waiting notifications folded into %d digests", len(folded), len(sends))
            await self.store.coalesce_outbox(folded, sends, now)

    async def deliver_due(self) -> int:
        """One pass over the due rows; returns how many were sent, retried, held or failed."""
        rows = await self.store.due_outbox(self.clock.now())
        if not rows:
            return 0
        await asyncio.gather(*(self._guarded(row) for row in rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        await self.recover()
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.deliver_due()
                wake_at = await self.store.next_outbox_at()
            except OrderwatchError as error:
                log.error("outbox: %s", error)
                wake_at = None
            delay = MAX_SLEEP
            if wake_at is not None:
                delay = min(MAX_SLEEP, max(0.05, (wake_at - self.clock.now()).total_seconds()))
            await wait_any(delay, self._wake, stop)

    async def _guarded(self, row: OutboxRow) -> None:
        async with self._slots:
            await self._deliver(row, self.clock.now())

    async def _deliver(self, row: OutboxRow, now: datetime) -> None:
        if is_shop_push(row):
            await self.pusher.deliver(row, now)
            return
        channel = self.workflow().channels.get(row.channel)
        if channel is None:
            if await self.store.claim_outbox(row.id, now):
                why = f"the channel {row.channel!r} is not in rules.toml any more"
                await self.store.outbox_failed(row.id, why, now)
            return
        held = quiet_until(channel, now, row.severity)
        if held is not None:
            await self.store.outbox_defer(row.id, held)
            return
        if not await self.store.claim_outbox(row.id, now):
            return  # someone else took it
        try:
            message = Message.from_json(row.payload)
            notices = await send(channel, message, self.client, self.environ, now)
        except (DeliveryError, ValueError, KeyError) as error:
            await self._failed(row, str(error) or type(error).__name__, channel.attempts, now)
            return
        await self.store.outbox_sent(row.id, self.clock.now(), notices)

    async def _failed(self, row: OutboxRow, error: str, attempts: int, now: datetime) -> None:
        tried = row.attempts + 1
        if tried >= attempts:
            log.error("%s: %s: giving up after %d attempts", row.channel, row.key, tried)
            await self.store.outbox_failed(row.id, error, now)
            return
        channel = self.workflow().channels[row.channel]
        log.warning("%s: %s: %s (attempt %d of %d)", row.channel, row.key, error, tried, attempts)
        await self.store.outbox_retry(row.id, error, now + channel.retry_every)
