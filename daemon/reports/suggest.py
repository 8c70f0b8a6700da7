"""``orderwatchd rules suggest``: what each order rule's timeout would catch, from history.

For every order created in the window, the order's past is rebuilt from the timeline: its status
axes as they stood after each recorded change, its stage times (paid, picked, handed over…) and
its parcels as known only from the moment they existed. At each of those instants the
production planner (:func:`daemon.rules.plan.plan`) says whether the rule's timer runs and since
when; a run ends when the planner no longer gives a timer with the same start. Its duration is
counted on the rule's own clock (business hours where the rule uses them), as the timer would.

Runs still going at the end of the window count with their duration so far. Per rule and per
segment of the rules file: the runs' p50/p90/p95, and how many escalations a day the current
timeout and each candidate (the p90 and the p95) would have raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from daemon.rules.expr import Expr, compile_expr
from daemon.rules.model import RuleSet, TimeoutRule
from daemon.rules.plan import plan
from daemon.rules.subject import Subject
from daemon.rules.syntax import ExpressionError
from sync.domain import OrderRow, ShipmentRow, SubjectKind
from sync.reports.stats import percentile
from sync.store import Store
from sync.store.reports import StatusChange

STAGE_TIMES = tuple(
    name
    for name in (
        "paid_at",
        "reserved_at",
        "picked_at",
        "packed_at",
        "handed_over_at",
        "closed_at",
        "cancelled_at",
    )
    if name in {f.name for f in fields(OrderRow)}
)
AXES = ("payment_status", "fulfillment_status", "lifecycle")
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Run:
    """One stretch during which a rule's timer ran for an order."""

    rule_id: str
    seconds: float
    finished: bool
    segments: tuple[str, ...]
    escalated_at: datetime | None = None
    """When the timer's deadline passed while it still ran (an escalation), else None."""


def order_at(order: OrderRow, changes: Sequence[StatusChange], at: datetime) -> OrderRow:
    """The order as it stood at ``at``: each status axis from the last change up to then (or
    the first change after, undone), stage times not yet reached blanked."""
    axes: dict[str, Any] = {}
    for change in reversed(changes):
        if change.field in AXES and change.at <= at:
            axes.setdefault(change.field, change.to_value)
    for change in changes:
        if change.field in AXES and change.at > at:
            axes.setdefault(change.field, change.from_value)
    blank: dict[str, Any] = {
        name: None
        for name in STAGE_TIMES
        if (value := getattr(order, name)) is not None and value > at
    }
    return replace(order, **axes, **blank)


def instants(
    order: OrderRow, changes: Sequence[StatusChange], parcels: Sequence[ShipmentRow]
) -> list[datetime]:
    """Every moment the order's state may have changed: what the planner looks at."""
    found = {order.created_at, *(c.at for c in changes)}
    found.update(v for name in STAGE_TIMES if (v := getattr(order, name)) is not None)
    found.update(p.shipped_at for p in parcels if p.shipped_at is not None)
    return sorted(found)


@dataclass(frozen=True, slots=True)
class _Open:
    start: datetime
    clock: Any
    segments: tuple[str, ...]
    deadline_at: datetime

    def close(self, rule_id: str, at: datetime, finished: bool) -> Run:
        late = self.deadline_at if self.deadline_at < at else None
        seconds = self.clock.elapsed(self.start, at).total_seconds()
        return Run(rule_id, seconds, finished, self.segments, late)


def runs_of(
    rule: TimeoutRule,
    order: OrderRow,
    changes: Sequence[StatusChange],
    parcels: Sequence[ShipmentRow],
    segments: dict[str, Expr],
    end: datetime,
) -> list[Run]:
    """The runs of ``rule``'s timer for ``order`` up to ``end``; a run whose deadline (as the
    planner last gave it, overrides and modifiers included) passed before it ended escalated."""
    found: list[Run] = []
    running: _Open | None = None
    for at in [*(t for t in instants(order, changes, parcels) if t < end), end]:
        then = order_at(order, changes, at)
        shipped = tuple(p for p in parcels if p.shipped_at is None or p.shipped_at <= at)
        subject = Subject(then, None, shipped)
        planned = plan(rule, subject, at)
        if running is not None and (planned is None or planned.started_at != running.start):
            found.append(running.close(rule.id, at, at < end))
            running = None
        if planned is None or at >= end:
            continue
        if running is None:
            names = tuple(name for name, expr in segments.items() if expr.holds(subject))
            running = _Open(planned.started_at, planned.clock, names, planned.deadline_at)
        else:
            running = replace(running, deadline_at=planned.deadline_at)
    if running is not None:
        found.append(running.close(rule.id, end, False))
    return found


async def collect_runs(
    store: Store, rules: RuleSet, start: datetime, end: datetime
) -> dict[str, list[Run]]:
    """Every run of every order rule, for the orders created in ``[start, end)``."""
    order_rules = [
        r for r in rules.rules if isinstance(r, TimeoutRule) and r.subject is SubjectKind.ORDER
    ]
    segments = order_segments(rules)
    found: dict[str, list[Run]] = {rule.id: [] for rule in order_rules}
    ids = await store.order_ids_created(start, end)
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        history = await store.status_history(batch)
        parcels = await store.shipments_of_orders(batch)
        for order in await store.orders_by_id(batch):
            changes = history.get(order.id, [])
            mine = tuple(parcels.get(order.id, ()))
            for rule in order_rules:
                found[rule.id] += runs_of(rule, order, changes, mine, segments, end)
    return found


def order_segments(rules: RuleSet) -> dict[str, Expr]:
    """The file's segments that can be told of an order (not those about a source)."""
    known = {s.name: s.text for s in rules.segments}
    found: dict[str, Expr] = {}
    for segment in rules.segments:
        try:
            found[segment.name] = compile_expr(
                segment.text, SubjectKind.ORDER, segments=known, timezone=rules.timezone
            )
        except ExpressionError:
            continue
    return found


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def suggestions(rules: RuleSet, runs: dict[str, list[Run]], days: float) -> list[dict[str, Any]]:
    """Per rule and segment ("all" first): the distribution and the candidates' escalations."""
    rows: list[dict[str, Any]] = []
    for rule in rules.rules:
        if rule.id not in runs:
            continue
        assert isinstance(rule, TimeoutRule)
        groups: dict[str, list[Run]] = {"all": runs[rule.id]}
        for run in runs[rule.id]:
            for name in run.segments:
                groups.setdefault(name, []).append(run)
        for segment, members in groups.items():
            rows.append(_row(rule, segment, members, days))
    return rows


def _row(rule: TimeoutRule, segment: str, members: list[Run], days: float) -> dict[str, Any]:
    done = [run.seconds for run in members if run.finished]
    p90, p95 = percentile(done, 90), percentile(done, 95)
    candidates = {"current": rule.timeout.total_seconds(), "p90": p90, "p95": p95}
    per_day = {
        name: None
        if limit is None
        else round(sum(1 for run in members if run.seconds > limit) / days, 2)
        for name, limit in candidates.items()
    }
    return {
        "rule": rule.id,
        "segment": segment,
        "runs": len(members),
        "finished": len(done),
        "p50_hours": _hours(percentile(done, 50)),
        "p90_hours": _hours(p90),
        "p95_hours": _hours(p95),
        "timeout_hours": _hours(rule.timeout.total_seconds()),
        "escalations_per_day": per_day,
    }


def suggestion_lines(rows: list[dict[str, Any]], days: float) -> list[str]:
    lines = [f"over {days:g} days; hours on each rule's clock; escalations a day in brackets"]
    for row in rows:
        per_day = row["escalations_per_day"]
        shown = {k: "-" if v is None else v for k, v in per_day.items()}
        lines.append(
            f"{row['rule']} [{row['segment']}]: {row['runs']} runs ({row['finished']} finished), "
            f"p50 {row['p50_hours'] if row['p50_hours'] is not None else '-'}; "
            f"timeout {row['timeout_hours']} ({shown['current']}), "
            f"p90 {row['p90_hours'] if row['p90_hours'] is not None else '-'} ({shown['p90']}), "
            f"p95 {row['p95_hours'] if row['p95_hours'] is not None else '-'} ({shown['p95']})"
        )
    return lines


def window(now: datetime, since: timedelta) -> tuple[datetime, datetime, float]:
    return now - since, now, since.total_seconds() / 86400
