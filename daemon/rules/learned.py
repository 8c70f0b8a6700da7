"""Learned timeouts: a parcel is late when it is late for its own route.

``timeout = "route.p90_silence"`` in a shipment rule means: the p90 of the silence between two
scans that parcels of the same carrier on the same route (first-scan place → the order's
province and city) showed over the last :data:`WINDOW`; ``"route.p90_transit"`` is the p90 of
first scan to delivery. A route with fewer than ``min_samples`` observations has no figure the
rule trusts, and the rule's ``fallback`` duration applies instead.

The figures are data, not part of the rules file: the daemon computes them once a day
(:func:`learn`) and hands them to the rules (:func:`with_figures`), which keeps planning pure.
A learned figure is real elapsed time; it counts on the rule's clock like any timeout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from daemon.rules.durations import format_duration
from daemon.rules.subject import Subject
from sync.reports.stats import percentile
from sync.store import RouteFigure

if TYPE_CHECKING:  # the model imports this module: no cycle at load time
    from daemon.rules.model import RuleSet

WINDOW = timedelta(days=30)
"""How far back the figures look."""
REFRESH = timedelta(days=1)
"""How often the daemon computes them again."""
DEFAULT_MIN_SAMPLES = 20


class RouteMetric(StrEnum):
    SILENCE = "silence"
    """Time between two consecutive scans of one parcel."""
    TRANSIT = "transit"
    """Time from a parcel's first scan to its delivery."""


TIMEOUT_NAMES = {f"route.p90_{metric}": metric for metric in RouteMetric}
"""What ``timeout`` may say instead of a duration."""

RouteKey = tuple[str, str, str]
"""(carrier, origin, destination)."""


@dataclass(frozen=True, slots=True)
class RouteFigures:
    """The learned p90 figures (seconds, samples) per route and metric."""

    by_route: Mapping[tuple[str, str, str, str], tuple[int, int]] = field(default_factory=dict)
    computed_at: datetime | None = None
    memo: dict[object, tuple[timedelta, str]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @classmethod
    def of(cls, rows: Sequence[RouteFigure]) -> RouteFigures:
        found = {
            (row.carrier, row.origin, row.destination, row.metric): (row.p90_seconds, row.samples)
            for row in rows
        }
        return cls(found, max((row.computed_at for row in rows), default=None))

    def get(self, route: RouteKey, metric: RouteMetric) -> tuple[int, int] | None:
        return self.by_route.get((*route, str(metric)))


NO_FIGURES = RouteFigures()


@dataclass(frozen=True, slots=True)
class LearnedTimeout:
    """A rule's learned timeout: the ``metric`` of its subject's route, when the route has at
    least ``min_samples`` observations; otherwise the rule's own ``timeout`` (the fallback)."""

    metric: RouteMetric
    min_samples: int = DEFAULT_MIN_SAMPLES
    figures: RouteFigures = field(default=NO_FIGURES, compare=False)

    @property
    def name(self) -> str:
        return f"route.p90_{self.metric}"

    def pick(self, subject: Subject, fallback: timedelta) -> tuple[timedelta, str]:
        """The timeout for ``subject`` and a note saying where it came from."""
        route = route_of(subject)
        memo = self.figures.memo
        key = (self.metric, self.min_samples, route, fallback)
        found = memo.get(key)
        if found is None:  # a route's many parcels share one answer
            found = memo[key] = _picked(self, route, fallback)
        return found


def _picked(
    learned: LearnedTimeout, route: RouteKey | None, fallback: timedelta
) -> tuple[timedelta, str]:
    """The timeout of one route (None: the parcel has none yet) and where it came from."""
    if route is None:
        return fallback, f"fallback {format_duration(fallback)}: the parcel has no route yet"
    found = learned.figures.get(route, learned.metric)
    where = f"{route[0]} {route[1] or '?'} → {route[2] or '?'}"
    if found is None:
        return fallback, f"fallback {format_duration(fallback)}: no history for {where}"
    seconds, samples = found
    if samples < learned.min_samples or seconds <= 0:
        return fallback, (
            f"fallback {format_duration(fallback)}: {where} has {samples} samples "
            f"(fewer than {learned.min_samples})"
        )
    found_timeout = timedelta(seconds=seconds)
    note = f"{learned.name} {format_duration(found_timeout)} for {where} ({samples} samples)"
    return found_timeout, note


def route_of(subject: Subject) -> RouteKey | None:
    """The route of the parcel a shipment rule looks at; None before its first scan."""
    parcel = subject.shipment
    if parcel is None or not subject.origin:
        return None
    order = subject.order
    destination = f"{order.province} {order.city}".strip()
    return (parcel.carrier, subject.origin, destination)


def learn(
    gaps: Iterable[tuple[str, str, str, float]],
    transits: Iterable[tuple[str, str, str, float]],
    now: datetime,
) -> list[RouteFigure]:
    """The p90 figures per route from (carrier, origin, destination, seconds) observations."""
    found: list[RouteFigure] = []
    for metric, observations in ((RouteMetric.SILENCE, gaps), (RouteMetric.TRANSIT, transits)):
        by_route: dict[RouteKey, list[float]] = defaultdict(list)
        for carrier, origin, destination, seconds in observations:
            if carrier and seconds > 0:
                by_route[(carrier, origin, destination)].append(seconds)
        for (carrier, origin, destination), values in sorted(by_route.items()):
            p90 = percentile(values, 90) or 0.0
            found.append(
                RouteFigure(carrier, origin, destination, str(metric), round(p90), len(values), now)
            )
    return found


def with_figures(rules: RuleSet, figures: RouteFigures) -> RuleSet:
    """``rules`` with every learned timeout reading ``figures``."""
    from daemon.rules.model import TimeoutRule

    changed = []
    for rule in rules.rules:
        if isinstance(rule, TimeoutRule) and rule.learned is not None:
            rule = replace(rule, learned=replace(rule.learned, figures=figures))
        changed.append(rule)
    return replace(rules, rules=tuple(changed))


def learned_rules(rules: RuleSet) -> frozenset[str]:
    """The ids of the rules with a learned timeout."""
    from daemon.rules.model import TimeoutRule

    return frozenset(
        rule.id
        for rule in rules.rules
        if isinstance(rule, TimeoutRule) and rule.learned is not None
    )
