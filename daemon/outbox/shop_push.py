"""Delivering the outbox's tracking pushes to shop platforms.

A push row (channel ``shop:<source>``) is claimed like any outbox row, one attempt more, before
the platform is called; the source's writer (:mod:`sync.connectors.shop_writer`) then reads the
order at the platform and writes only what is missing. A failure of any kind (the platform down,
throttled, refusing with its own words) is a failed attempt: the next one comes the writer's
``retry_every`` later (a quarter of an hour by default), and after its ``attempts`` (5 by default)
the push gives up. Every attempt and the end are on the order's timeline. A row a crash left
``sending`` is tried again at start-up: the writer finds the fulfillment if it was made.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sync.clock import Clock
from sync.connectors.shop_writer import ShopWriter
from sync.errors import OrderwatchError
from sync.pushes import CHANNEL_PREFIX, TrackingPush
from sync.store import OutboxRow, Store

log = logging.getLogger("orderwatch.outbox")


def is_shop_push(row: OutboxRow) -> bool:
    return row.channel.startswith(CHANNEL_PREFIX)


class ShopPusher:
    def __init__(self, store: Store, clock: Clock, writers: Mapping[str, ShopWriter]) -> None:
        self.store = store
        self.clock = clock
        self.writers = writers
        """Writers by order source name."""

    async def deliver(self, row: OutboxRow, now: datetime) -> None:
        source = row.channel.removeprefix(CHANNEL_PREFIX)
        writer = self.writers.get(source)
        if not await self.store.claim_outbox(row.id, now):
            return  # someone else took it
        tried = row.attempts + 1
        if writer is None:
            why = f"the source {source!r} is not in the config, or cannot take writes"
            await self.store.push_gave_up(row.id, why, tried, now)
            return
        try:
            push = TrackingPush.from_json(row.payload)
            pushed = await writer.push_tracking(push)
        except (OrderwatchError, ValueError, KeyError) as error:
            await self._failed(row, writer, str(error) or type(error).__name__, tried)
            return
        log.info("%s: order %s: %s", source, push.number, pushed.detail)
        await self.store.push_delivered(row.id, pushed.detail, self.clock.now())

    async def _failed(self, row: OutboxRow, writer: ShopWriter, error: str, tried: int) -> None:
        now = self.clock.now()
        if tried >= writer.attempts:
            log.error("%s: %s: giving up after %d attempts: %s", row.channel, row.key, tried, error)
            await self.store.push_gave_up(row.id, error, tried, now)
            return
        log.warning("%s: %s: %s (attempt %d of %d)", row.channel, row.key, error, tried,
                    writer.attempts)  # fmt: skip
        retry_at = now + writer.retry_every
        await self.store.push_attempt_failed(row.id, error, tried, writer.attempts, retry_at, now)
