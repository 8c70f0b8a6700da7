"""The daemon: one asyncio process that syncs sources, follows parcels and runs the rules.

Every loop is a task in one TaskGroup under one ``asyncio.run``; every wait is bounded; a failing
source is logged, recorded in the store and retried with backoff, never fatal to the rest. Each
source's circuit breaker state is recorded after every attempt, for ``orderwatchd status``. With
``[http] listen`` the webhook receivers are served too, and an inbox loop applies what they
queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx

from daemon import lifecycle
from daemon.clockskew import SkewWatch
from daemon.config import Config, Feed
from daemon.desk_state import publish_desk
from daemon.drops import DropFolder
from daemon.engine import RulesEngine
from daemon.http import aftership_webhook, kuaidi100_push, shopify, track17_push, woocommerce
from daemon.http.app import HttpContext, create_app
from daemon.http.metrics import metrics_routes
from daemon.http.server import HttpServer
from daemon.http.track_push import push_secrets
from daemon.inbox import Inbox
from daemon.ladder.conflicts import ConflictWatch
from daemon.ladder.driver import Ladder
from daemon.outbox.worker import OutboxWorker
from daemon.refreshes import RefreshDesk
from daemon.reload import file_version, reload_state, try_load, watch_rules
from daemon.retention import Retention
from daemon.rules.model import RuleSet
from daemon.rules.workflow import Workflow
from daemon.systemd import Notifier, watchdog_interval
from daemon.tracking_links import (
    publish_link_settings,
    reply_link_problems,
    tracking_page_routes,
)
from daemon.vitals import Vitals
from sync.clock import Clock
from sync.connectors import ORDER_SOURCES, SHOP_WRITERS, TRACKING_PROVIDERS
from sync.connectors.base import Connector, OrderSource, TrackingProvider
from sync.connectors.csv_drop import KIND as DROP_KIND
from sync.connectors.csv_drop import profiles_by_name
from sync.engine import sync_orders
from sync.errors import ConfigError, OrderwatchError, SourceAuthError, SourceRateLimited
from sync.follow import Follower
from sync.http import SourceUnavailable
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
        writers = {f.name: SHOP_WRITERS[f.kind](f.name, client, f.settings)
                   for f in config.sources if f.kind in SHOP_WRITERS}  # fmt: skip
        self.outbox = OutboxWorker(store, clock, client, self._workflow, writers=writers)
        self.ladder = Ladder(store, clock, lambda: self.engine.rules, self.outbox.wake)
        self.conflicts = ConflictWatch(store, clock, lambda: self.engine.rules)
        self.stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._reload_wanted = False
        self.vitals = Vitals()
        self.notifier = Notifier.from_env()
        self.skew = SkewWatch()
        client.event_hooks.setdefault("response", []).append(self.skew.observe)
        self.polled = [f for f in config.sources if f.kind != DROP_KIND]
        self.sources = [_build(ORDER_SOURCES, f, client) for f in self.polled]
        profiles = profiles_by_name(config.profiles)
        self.drops = [
            DropFolder(f, store, clock, profiles, self._wake.set)
            for f in config.sources
            if f.kind == DROP_KIND
        ]
        self.trackers = [_build(TRACKING_PROVIDERS, f, client) for f in config.trackers]
        self.followers = [Follower(store, tracker, clock) for tracker in self.trackers]
        self.refreshes = RefreshDesk(store, self.followers, clock, self._wake.set)
        self.inbox = Inbox(store, clock, {s.name: s for s in self.sources}, self._wake.set)
        self.http = self._http_server()

    def _http_server(self) -> HttpServer | None:
        if self.config.http is None:
            return None
        secrets = {
            feed.name: feed.settings["webhook_secret"]
            for feed in self.polled
            if feed.settings.get("webhook_secret")
        }
        secrets |= push_secrets((f.name, f.kind, f.settings) for f in self.config.trackers)
        context = HttpContext(
            self.store, self.clock, secrets, self._pushed, alive=self.vitals.scheduler_alive
        )
        page = tracking_page_routes(self.config, lambda: ZoneInfo(self.engine.rules.timezone))
        pushes = (track17_push.routes, aftership_webhook.routes, kuaidi100_push.routes)
        receivers = (shopify.routes, woocommerce.routes, *pushes, metrics_routes(self), page)
        app = create_app(context, receivers=receivers)
        return HttpServer(app, self.config.http.host, self.config.http.port)

    def _workflow(self) -> Workflow:
        return self.engine.rules.workflow or Workflow()

    def _pushed(self) -> None:
        """A webhook was queued (the inbox applies it) or a push applied (the rules look)."""
        self.inbox.wake()
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            gc.unfreeze()  # a daemon run inside a longer process (tests, the demo) lets go
            if self.http is not None:
                self.http.close()

    async def _run(self) -> None:
        await self.store.set_state(
            reload_state(self.engine.rules, [], self.clock.now()), self.clock.now()
        )
        await publish_link_settings(self.store, self.config, self.clock)
        await publish_desk(self.store, self.engine.rules, self.clock.now())
        for feed, follower in zip(self.config.trackers, self.followers, strict=True):
            await self.store.set_source_carriers(feed.name, feed.kind, follower.plan.carriers)
        self.notifier.status("planning timers")
        await self.engine.replan_all(self.stop)  # a stop asked meanwhile ends it early
        if self.stop.is_set():
            log.info("stopped while planning timers")
            return
        # What is alive now (modules, rules, connectors) lives as long as the daemon: keep it out
        # of the full collections, which otherwise stall the rules loop tens of milliseconds.
        gc.freeze()
        if file_version(self.config.rules) != self.engine.rules.version:
            self.request_reload()  # saved while the first plan ran, before the watcher started
        self.notifier.ready(f"running rules {self.engine.rules.version}")
        async with asyncio.TaskGroup() as group:
            self._upkeep(group)
            if self.http is not None:
                lifecycle.spawn(group, "http", self.http.serve(self.stop))
                log.info("webhooks on %s", self.http.url)
            lifecycle.spawn(group, "webhook inbox", self.inbox.run(self.stop))
            for feed, source in zip(self.polled, self.sources, strict=True):
                lifecycle.spawn(
                    group, feed.name, self._every(feed, self._syncer(feed, source), source)
                )
            for drop in self.drops:
                lifecycle.spawn(group, "drop folder", drop.run(self.stop))
            for feed, follower in zip(self.config.trackers, self.followers, strict=True):
                lifecycle.spawn(
                    group, feed.name, self._every(feed, self._follower(follower), follower.provider)
                )
            lifecycle.spawn(group, "refreshes", self.refreshes.run(self.stop))
            lifecycle.spawn(group, "rules", self._rules_loop())
            lifecycle.spawn(group, "ladder", self.ladder.run(self.stop))
            lifecycle.spawn(group, "outbox", self.outbox.run(self.stop))
            lifecycle.spawn(group, "conflicts", self.conflicts.run(self.stop))
            lifecycle.spawn(
                group, "rules watch", watch_rules(self.config.rules, self._reload_soon, self.stop)
            )
        log.info("stopped")

    def _upkeep(self, group: asyncio.TaskGroup) -> None:
        """The loops that keep the box happy: retention, checkpoints, watchdog, clock skew."""
        days = self.config.service.retention_days
        retention = Retention(self.store, self.config.database, self.clock, self.vitals, days)
        lifecycle.spawn(group, "retention", retention.run(self.stop))
        lifecycle.spawn(
            group, "skew", lifecycle.record_skew(self.store, self.skew, self.clock, self.stop)
        )
        every = watchdog_interval()
        if every is not None and self.notifier.enabled:
            lifecycle.spawn(
                group, "watchdog", lifecycle.watchdog(self.notifier, self.vitals, self.stop, every)
            )

    def request_stop(self) -> None:
        if not self.stop.is_set():
            self.notifier.stopping()
        self.vitals.stopping = True
        self.stop.set()
        self._wake.set()
        self.inbox.wake()

    def request_reload(self) -> None:
        """Reload ``rules.toml`` at the rules loop's next turn (on save, and on SIGHUP).

        The rules loop does it, so a reload never runs alongside a re-plan."""
        self._reload_wanted = True
        self._wake.set()

    async def _reload_soon(self) -> None:
        self.request_reload()

    async def reload(self) -> bool:
        """Load ``rules.toml`` again; keep the running rules if it has any problem."""
        self.notifier.reloading()
        try:
            return await self._reload()
        finally:
            self.notifier.ready(f"running rules {self.engine.rules.version}")

    async def _reload(self) -> bool:
        rules, problems = try_load(self.config.rules)
        if rules is not None and (problems := reply_link_problems(rules, self.config)):
            rules = None
        now = self.clock.now()
        await self.store.set_state(reload_state(rules, problems, now), now)
        self.vitals.reloaded(rules is not None)
        if rules is None:
            for problem in problems:
                log.error("rules not reloaded: %s", problem)
            return False
        self.engine.swap(rules)
        await publish_desk(self.store, rules, now)
        moved = await self.engine.replan_all(self.stop)
        self.ladder.wake()
        log.info("rules reloaded: version %s, %d escalations moved", rules.version, moved)
        self._wake.set()
        return True

    def _syncer(self, feed: Feed, source: OrderSource) -> Callable[[], Awaitable[int]]:
        async def once() -> int:
            changed = await sync_orders(
                self.store, source, self.clock, reconcile=feed.reconcile, stop=self.stop
            )
            return len(changed)

        return once

    def _follower(self, follower: Follower) -> Callable[[], Awaitable[int]]:
        async def once() -> int:
            return len(await follower.round(self.stop))

        return once

    async def _every(
        self, feed: Feed, once: Callable[[], Awaitable[int]], connector: Connector
    ) -> None:
        """Run ``once`` every ``feed.interval``; back off on failure, never give up."""
        failures = 0
        while not self.stop.is_set():
            delay = feed.interval.total_seconds()
            try:
                changed = await once()
                failures = 0
                self.vitals.source_succeeded(feed.name)
                if changed:
                    log.info("%s: %d orders changed", feed.name, changed)
                    self._wake.set()
            except SourceRateLimited as exc:
                delay = max(exc.retry_after, 1.0)
                log.warning("%s: rate limited, waiting %.0fs", feed.name, delay)
            except OrderwatchError as exc:
                failures += 1
                self.vitals.source_failed(feed.name)
                delay = _backoff(feed.interval, failures, isinstance(exc, SourceAuthError))
                if isinstance(exc, SourceUnavailable):
                    delay = max(exc.retry_in, 1.0)
                log.error("%s: %s (retry in %.0fs)", feed.name, exc, delay)
                await self.store.record_source_error(
                    feed.name, feed.kind, str(exc), self.clock.now()
                )
            await self._note_breaker(feed, connector)
            await self._sleep(delay)

    async def _note_breaker(self, feed: Feed, connector: Connector) -> None:
        state = connector.breaker.state
        if await self.store.record_breaker(feed.name, feed.kind, state, self.clock.now()):
            log.warning("%s: circuit breaker %s", feed.name, state)

    async def _rules_loop(self) -> None:
        while not self.stop.is_set():
            self._wake.clear()
            if self._reload_wanted:
                self._reload_wanted = False
                await self.reload()
            began = time.perf_counter()
            try:
                await self.engine.tick()
            except OrderwatchError as exc:
                log.error("rules: %s", exc)
            self.ladder.wake()
            self.conflicts.wake()
            self.vitals.rules_turned(time.perf_counter() - began)
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
