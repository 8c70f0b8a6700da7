"""Guard flags as a ``rules test`` scenario sets them.

An order event may say ``guards = ["address_problem"]``: from then on exactly those flags are up
on that order (``guards = []`` takes them down), whatever the checks would find, so a scenario
can try a rule on ``guard.<name>`` without building the orders that would raise it. Orders that
say nothing keep the flags the production checks give them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from daemon.guards import GuardRunner
from sync.clock import Clock
from sync.guards import Check, Finding, GuardSettings, Outcome
from sync.store import Store

SET_BY_SCENARIO = "set by the scenario"


class ScenarioGuards(GuardRunner):
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Callable[[], GuardSettings],
        pinned: Mapping[int, tuple[Check, ...]],
    ) -> None:
        super().__init__(store, clock, settings)
        self.pinned = pinned
        """The flags each order's events set, by the store's order id."""

    def settle(self, outcome: Outcome, now: datetime) -> Outcome:
        findings = dict(outcome.findings)
        findings.update(
            (order_id, tuple(Finding(check, SET_BY_SCENARIO, now) for check in checks))
            for order_id, checks in self.pinned.items()
        )
        return replace(outcome, findings=findings)
