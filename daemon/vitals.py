"""The daemon's pulse, kept in memory: what ``/metrics``, ``/healthz`` and the watchdog read.

The loops report here as they go (a source failed, the rules loop turned and how long it took, a
reload was accepted or refused); nothing here touches the database. Times are monotonic, so a
wall-clock jump never makes the scheduler look dead or alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

SCHEDULER_STALE = 120.0
"""Seconds without a turn of the rules loop after which the scheduler counts as stuck. The loop
turns at least every 30 s when idle, so this leaves room for one long re-plan."""


@dataclass(slots=True)
class SourcePulse:
    errors: int = 0
    """Failed runs since the daemon started."""
    failing: bool = False
    """The last run failed."""


class Vitals:
    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.monotonic = monotonic
        self.wall = wall
        self.started = monotonic()
        self.started_wall = wall()
        self.sources: dict[str, SourcePulse] = {}
        self.rules_beat: float | None = None
        self.evaluations = 0
        self.evaluation_seconds = 0.0
        self.last_evaluation_seconds = 0.0
        self.reloads = {"ok": 0, "rejected": 0}
        self.last_reload_ok = True
        self.last_reload_success_wall = self.started_wall
        self.checkpoints = {"complete": 0, "busy": 0}
        self.pruned = 0
        self.stopping = False

    def source(self, name: str) -> SourcePulse:
        return self.sources.setdefault(name, SourcePulse())

    def source_succeeded(self, name: str) -> None:
        self.source(name).failing = False

    def source_failed(self, name: str) -> None:
        pulse = self.source(name)
        pulse.errors += 1
        pulse.failing = True

    def rules_turned(self, seconds: float) -> None:
        """One pass of the rules loop (re-plan and fire) took ``seconds``."""
        self.rules_beat = self.monotonic()
        self.evaluations += 1
        self.evaluation_seconds += seconds
        self.last_evaluation_seconds = seconds

    def reloaded(self, ok: bool) -> None:
        self.reloads["ok" if ok else "rejected"] += 1
        self.last_reload_ok = ok
        if ok:
            self.last_reload_success_wall = self.wall()

    def checkpointed(self, complete: bool) -> None:
        self.checkpoints["complete" if complete else "busy"] += 1

    def scheduler_age(self) -> float:
        """Seconds since the rules loop last turned (since start when it never has)."""
        return self.monotonic() - (self.rules_beat if self.rules_beat is not None else self.started)

    def scheduler_alive(self, stale: float = SCHEDULER_STALE) -> bool:
        return not self.stopping and self.scheduler_age() < stale
