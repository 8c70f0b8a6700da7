"""``/metrics`` in the Prometheus text exposition format (version 0.0.4).

What a shop alerts on: a source that stopped syncing (``orderwatch_source_sync_lag_seconds``),
errors and open breakers, escalations piling up by state and severity, notifications stuck in
the outbox, a slow rules loop, a refused rules file (``orderwatch_rules_last_reload_successful``
at 0), a growing WAL and a wrong clock. Figures come from the daemon's memory
(:mod:`daemon.vitals`) and from a few grouped queries; nothing is cached, so a scrape always
shows the present.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.reload import RULES_VERSION
from sync.connectors.base import OrderSource, TrackingProvider
from sync.http import BreakerState
from sync.store.files import wal_size

if TYPE_CHECKING:
    from daemon.runner import Daemon

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTBOX_STATES = ("pending", "failed")
"""Always exported, at 0 when empty, so an alert on them never sees a missing series."""

Labels = dict[str, str]


@dataclass(slots=True)
class Family:
    name: str
    kind: str
    help: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> Family:
        self.samples.append((suffix, labels, value))
        return self


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines += [f"# HELP {family.name} {help_text}", f"# TYPE {family.name} {family.kind}"]
        for suffix, labels, value in family.samples:
            inner = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
            braces = f"{{{inner}}}" if inner else ""
            lines.append(f"{family.name}{suffix}{braces} {_number(value)}")
    return "\n".join(lines) + "\n"


async def _sources(daemon: Daemon) -> list[Family]:
    vitals, now = daemon.vitals, daemon.clock.now()
    since_start = vitals.monotonic() - vitals.started
    success = Family(
        "orderwatch_source_last_success_timestamp_seconds",
        "gauge",
        "When each source last synced without error (Unix time).",
    )
    lag = Family(
        "orderwatch_source_sync_lag_seconds",
        "gauge",
        "Seconds since each source last synced (since the daemon started when it never has).",
    )
    errors = Family(
        "orderwatch_source_errors_total", "counter", "Failed runs per source since the start."
    )
    failing = Family("orderwatch_source_failing", "gauge", "1 when a source's last run failed.")
    breaker = Family(
        "orderwatch_source_breaker_state",
        "gauge",
        "Each source's circuit breaker: 1 for its current state (closed, open, half_open).",
    )
    health = {row.name: row for row in await daemon.store.source_health()}
    kinds = {name: row.kind for name, row in health.items()}
    connectors: list[OrderSource | TrackingProvider] = [*daemon.sources, *daemon.trackers]
    kinds.update({c.name: c.kind for c in connectors})
    for feed in daemon.config.sources:
        kinds.setdefault(feed.name, feed.kind)
    for name, kind in sorted(kinds.items()):
        row = health.get(name)
        last = row.last_success_at if row else None
        if last is not None:
            success.add(last.timestamp(), source=name, kind=kind)
        age = (now - last).total_seconds() if last is not None else since_start
        lag.add(max(age, 0.0), source=name, kind=kind)
        pulse = vitals.source(name)
        errors.add(pulse.errors, source=name, kind=kind)
        failing.add(int(pulse.failing or bool(row and row.last_error)), source=name, kind=kind)
    for connector in connectors:
        current = connector.breaker.state
        for state in BreakerState:
            breaker.add(int(state == current), source=connector.name, state=state.value)
    return [success, lag, errors, failing, breaker]


async def _work(daemon: Daemon) -> list[Family]:
    escalations = Family("orderwatch_escalations", "gauge", "Escalations by state and severity.")
    for count in await daemon.store.escalations_by_severity():
        escalations.add(count.count, state=count.state, severity=count.severity or "none")
    outbox = Family("orderwatch_outbox_messages", "gauge", "Notifications in the outbox by state.")
    counts = await daemon.store.outbox_counts()
    for state in sorted({*OUTBOX_STATES, *counts}):
        outbox.add(counts.get(state, 0), state=state)
    inbox = Family("orderwatch_webhook_inbox", "gauge", "Webhook deliveries by state.")
    for state, n in sorted((await daemon.store.webhook_counts()).items()):
        inbox.add(n, state=state)
    return [escalations, outbox, inbox]


async def _rules(daemon: Daemon) -> list[Family]:
    vitals = daemon.vitals
    version = await daemon.store.get_state(RULES_VERSION) or daemon.engine.rules.version
    evaluation = Family(
        "orderwatch_rule_evaluation_seconds",
        "summary",
        "Time the rules loop spent re-planning and firing timers, per pass.",
    )
    evaluation.add(vitals.evaluation_seconds, "_sum").add(vitals.evaluations, "_count")
    reloads = Family("orderwatch_rules_reloads_total", "counter", "Rules reloads by result.")
    for result, n in sorted(vitals.reloads.items()):
        reloads.add(n, result=result)
    return [
        evaluation,
        Family(
            "orderwatch_rule_evaluation_last_seconds", "gauge", "The last pass of the rules loop."
        ).add(vitals.last_evaluation_seconds),
        Family(
            "orderwatch_scheduler_heartbeat_age_seconds",
            "gauge",
            "Seconds since the rules loop last turned.",
        ).add(vitals.scheduler_age()),
        Family(
            "orderwatch_rules_last_reload_successful",
            "gauge",
            "1 when the last reload of rules.toml was accepted, 0 when it was refused.",
        ).add(int(vitals.last_reload_ok)),
        Family(
            "orderwatch_rules_last_reload_success_timestamp_seconds",
            "gauge",
            "When rules.toml was last loaded successfully (Unix time).",
        ).add(vitals.last_reload_success_wall),
        reloads,
        Family("orderwatch_rules_info", "gauge", "The running rules' version.").add(
            1, version=version
        ),
    ]


def _box(daemon: Daemon) -> list[Family]:
    vitals, database = daemon.vitals, daemon.config.database
    try:
        size = database.stat().st_size
    except OSError:
        size = 0
    checkpoints = Family(
        "orderwatch_wal_checkpoints_total",
        "counter",
        "WAL checkpoints by result: busy means a reader kept it from finishing.",
    )
    for result, n in sorted(vitals.checkpoints.items()):
        checkpoints.add(n, result=result)
    families = [
        Family("orderwatch_database_size_bytes", "gauge", "Size of the database file.").add(size),
        Family("orderwatch_database_wal_bytes", "gauge", "Size of the write-ahead log.").add(
            wal_size(database)
        ),
        checkpoints,
        Family(
            "orderwatch_retention_pruned_total",
            "counter",
            "Raw payloads blanked by retention since the start.",
        ).add(vitals.pruned),
        Family("process_start_time_seconds", "gauge", "When the daemon started (Unix time).").add(
            vitals.started_wall
        ),
    ]
    worst = daemon.skew.worst()
    if worst is not None:
        families.append(
            Family(
                "orderwatch_clock_skew_seconds",
                "gauge",
                "This clock minus the sources' HTTP Date (the largest difference seen).",
            ).add(worst.seconds, host=worst.host)
        )
    return families


async def exposition(daemon: Daemon) -> str:
    sources, work, rules = await asyncio.gather(_sources(daemon), _work(daemon), _rules(daemon))
    return render([*sources, *work, *rules, *_box(daemon)])


def metrics_routes(daemon: Daemon) -> Callable[[HttpContext], list[BaseRoute]]:
    async def metrics(_request: Request) -> Response:
        return PlainTextResponse(await exposition(daemon), media_type=CONTENT_TYPE)

    def routes(_context: HttpContext) -> list[BaseRoute]:
        return [Route("/metrics", metrics)]

    return routes
