"""The daemon: one asyncio process that syncs sources, follows parcels and runs the rules.

Every loop is a task in one TaskGroup under one ``asyncio.run``; every wait is bounded; a failing
source is logged, recorded in the store and retried with backoff, never fatal to the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx

from daemon.config import Config, Feed
from daemon.drops import DropFolder
from daemon.engine import RulesEngine
from daemon.reload import reload_state, try_load, watch_rules
from daemon.rules.model import RuleSet
from sync.clock import Clock
from sync.connectors import ORDER_SOURCES, TRACKING_PROVIDERS
from sync.connectors.base import OrderSource, TrackingProvider
from sync.connectors.csv_drop import KIND as DROP_KIND
from sync.connectors.csv_drop import profiles_by_name
from sync.engine import follow_parcels, sync_orders
from sync.errors import ConfigError, OrderwatchError, SourceAuthError, SourceRateLimited
from sync.store import Store

log = logging.getLogger("orderwatch.daemon")

MAX_BACKOFF = timedelta(minutes=15)

T = TypeVar("T", OrderSource, TrackingProvider)
MAX_SLEEP = 30.0


class Daemon:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        client: httpx.AsyncClient,
        rules: RuleSet,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.client = client
        self.engine = RulesEngine(store, clock, rules)
        self.stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._reload_wanted = False
        self.polled = [f for f in config.sources if f.kind != DROP_KIND]
        self.sources = [_build(ORDER_SOURCES, f, client) for f in self.polled]
        profiles = profiles_by_name(config.profiles)
        self.drops = [
            DropFolder(f, store, clock, profiles, self._wake.set)
            for f in config.sources
            if f.kind == DROP_KIND
        ]
        self.trackers = [_build(TRACKING_PROVIDERS, f, client) for f in config.trackers]

    async def run(self) -> None:
        await self.store.set_state(
            reload_state(self.engine.rules, [], self.clock.now()), self.clock.now()
        )
        await self.engine.replan_all()
        async with asyncio.TaskGroup() as group:
            for feed, source in zip(self.polled, self.sources, strict=True):
                group.create_task(self._every(feed, self._syncer(source)))
            for drop in self.drops:
                group.create_task(drop.run(self.stop))
            for feed, tracker in zip(self.config.trackers, self.trackers, strict=True):
                group.create_task(self._every(feed, self._follower(tracker, feed.interval)))
            group.create_task(self._rules_loop())
            group.create_task(watch_rules(self.config.rules, self._reload_soon, self.stop))
        log.info("stopped")

    def request_stop(self) -> None:
        self.stop.set()
        self._wake.set()

    def request_reload(self) -> None:
        """Reload ``rules.toml`` at the rules loop's next turn (on save, and on SIGHUP).

        The rules loop does it, so a reload never runs alongside a re-plan."""
        self._reload_wanted = True
        self._wake.set()

    async def _reload_soon(self) -> None:
        self.request_reload()

    async def reload(self) -> bool:
        """Load ``rules.toml`` again; keep the running rules if it has any problem."""
        rules, problems = try_load(self.config.rules)
        now = self.clock.now()
        await self.store.set_state(reload_state(rules, problems, now), now)
        if rules is None:
            for problem in problems:
                log.error("rules not reloaded: %s", problem)
            return False
        self.engine.swap(rules)
        moved = await self.engine.replan_all()
        log.info("rules reloaded: version %s, %d escalations moved", rules.version, moved)
        self._wake.set()
        return True

    def _syncer(self, source: OrderSource) -> Callable[[], Awaitable[int]]:
        async def once() -> int:
            return len(await sync_orders(self.store, source, self.clock))

        return once

    def _follower(
        self, tracker: TrackingProvider, every: timedelta
    ) -> Callable[[], Awaitable[int]]:
        async def once() -> int:
            return len(await follow_parcels(self.store, tracker, self.clock, every=every))

        return once

    async def _every(self, feed: Feed, once: Callable[[], Awaitable[int]]) -> None:
        """Run ``once`` every ``feed.interval``; back off on failure, never give up."""
        failures = 0
        while not self.stop.is_set():
            delay = feed.interval.total_seconds()
            try:
                changed = await once()
                failures = 0
                if changed:
                    log.info("%s: %d orders changed", feed.name, changed)
                    self._wake.set()
            except SourceRateLimited as exc:
                delay = max(exc.retry_after, 1.0)
                log.warning("%s: rate limited, waiting %.0fs", feed.name, delay)
            except OrderwatchError as exc:
                failures += 1
                delay = _backoff(feed.interval, failures, isinstance(exc, SourceAuthError))
                log.error("%s: %s (retry in %.0fs)", feed.name, exc, delay)
                await self.store.record_source_error(
                    feed.name, feed.kind, str(exc), self.clock.now()
                )
            await self._sleep(delay)

    async def _rules_loop(self) -> None:
        while not self.stop.is_set():
            self._wake.clear()
            if self._reload_wanted:
                self._reload_wanted = False
                await self.reload()
            try:
                await self.engine.replan_changed()
                await self.engine.fire_due()
            except OrderwatchError as exc:
                log.error("rules: %s", exc)
            wake_at = await self.engine.next_wake()
            delay = MAX_SLEEP
            if wake_at is not None:
                delay = min(MAX_SLEEP, max(0.05, (wake_at - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)


def _backoff(interval: timedelta, failures: int, auth: bool) -> float:
    base = max(interval.total_seconds(), 5.0)
    if auth:
        return MAX_BACKOFF.total_seconds()
    return float(min(base * 2 ** min(failures, 8), MAX_BACKOFF.total_seconds()))


def _build(registry: dict[str, type[T]], feed: Feed, client: httpx.AsyncClient) -> T:
    try:
        kind = registry[feed.kind]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"{feed.name}: unknown kind {feed.kind!r} (known: {known})") from None
    return kind(feed.name, client, feed.settings)


def load_rules_or_fail(path: Path) -> RuleSet:
    rules, problems = try_load(path)
    if rules is None:
        raise ConfigError(problems)
    return rules
