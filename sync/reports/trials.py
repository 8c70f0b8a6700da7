"""Two report sections about how the desk works: rules on trial and agents' look-ups.

Rules on trial (``rollout = "10%"``): the orders created in the period are split by the same
stable hash the rules engine uses (:mod:`sync.rollout`) into the trial group (the rule ran for
them) and the rest. For each group: its orders, their escalations (every rule, any time), the
minutes those escalations took to resolve (p50/p90, nearest rank), and the orders delivered after
their promised time among those delivered with a promise.

Look-ups: each day of the period, how many finds and opened orders there were by the order's
stage at that moment (the questions customers ask most).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync.reports.stats import minutes
from sync.rollout import in_rollout
from sync.store.lookups import Lookup
from sync.store.reports import CohortOrder

TRIAL = "trial"
REST = "rest"
NO_SINGLE_ORDER = "-"
"""The stage of a find that did not land on one order."""


def trial_rows(orders: Sequence[CohortOrder], shares: dict[str, Decimal]) -> list[dict[str, Any]]:
    """Two rows per rule on trial (its group, then the rest), rules by id."""
    rows: list[dict[str, Any]] = []
    for rule, share in sorted(shares.items()):
        groups: dict[str, list[CohortOrder]] = {TRIAL: [], REST: []}
        for order in orders:
            inside = in_rollout(rule, share, order.source, order.external_id)
            groups[TRIAL if inside else REST].append(order)
        for name in (TRIAL, REST):
            rows.append({"rule": rule, "share_pct": float(share), **_group(name, groups[name])})
    return rows


def _group(name: str, orders: list[CohortOrder]) -> dict[str, Any]:
    escalations = sum(order.escalations for order in orders)
    took = [seconds for order in orders for seconds in order.resolve_seconds]
    judged = [order.delivered_late for order in orders if order.delivered_late is not None]
    late = sum(judged)
    return {
        "group": name,
        "orders": len(orders),
        "escalations": escalations,
        "escalations_per_100": round(100 * escalations / len(orders), 1) if orders else None,
        "resolved": len(took),
        "resolve_p50_minutes": minutes(took, 50),
        "resolve_p90_minutes": minutes(took, 90),
        "delivered_with_promise": len(judged),
        "delivered_late": late,
        "late_pct": round(100 * late / len(judged), 1) if judged else None,
    }


def lookup_days(
    lookups: Iterable[Lookup], first: date, after: date, zone: ZoneInfo
) -> dict[str, Any]:
    """Every day of the period with its look-ups by stage; the stages most asked about first."""
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for item in lookups:
        stage = item.stage or NO_SINGLE_ORDER
        per_day[item.at.astimezone(zone).date()][stage] += 1
        totals[stage] += 1
    stages = sorted(totals, key=lambda s: (-totals[s], s))
    days = []
    day = first
    while day < after:
        counts = per_day.get(day, Counter())
        days.append(
            {
                "day": day.isoformat(),
                "count": sum(counts.values()),
                "stages": {s: counts[s] for s in stages if counts[s]},
            }
        )
        day += timedelta(days=1)
    return {"stages": [{"stage": s, "lookups": totals[s]} for s in stages], "days": days}
