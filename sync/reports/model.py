"""The figures of a daily, weekly or monthly report, as plain data every format renders.

Percentiles are nearest-rank (:mod:`sync.reports.stats`). Days, weekdays and hours are the
shop's, in ``zone``: a period runs from the shop's midnight to its midnight, so a week that
leaves summer time lasts 169 hours.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sync.reports.stats import hours, minutes
from sync.reports.trials import lookup_days, trial_rows
from sync.rollout import ROLLOUTS_KEY, rollouts_from_json
from sync.store import Store
from sync.store.reports import Response, ScanGap

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PeriodKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def period_days(kind: PeriodKind, today: date) -> tuple[date, date]:
    """The last whole period before ``today``: yesterday, last Monday–Sunday, last month.
    Returns the first day and the day after the last."""
    if kind is PeriodKind.DAILY:
        return today - timedelta(days=1), today
    if kind is PeriodKind.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def period_containing(kind: PeriodKind, day: date) -> tuple[date, date]:
    """The day, Monday–Sunday week or calendar month that ``day`` falls in."""
    if kind is PeriodKind.DAILY:
        return day, day + timedelta(days=1)
    if kind is PeriodKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    return first, (first + timedelta(days=31)).replace(day=1)


def shift_period(kind: PeriodKind, first: date, steps: int) -> tuple[date, date]:
    """The period ``steps`` periods after (before, when negative) the one starting ``first``."""
    if kind is PeriodKind.DAILY:
        return period_containing(kind, first + timedelta(days=steps))
    if kind is PeriodKind.WEEKLY:
        return period_containing(kind, first + timedelta(days=7 * steps))
    months = first.year * 12 + first.month - 1 + steps
    return period_containing(kind, date(months // 12, months % 12 + 1, 1))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant the shop's ``day`` starts (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(), tzinfo=zone)


async def build_report(
    store: Store,
    kind: PeriodKind,
    first: date,
    after: date,
    zone: ZoneInfo,
    rollouts: dict[str, Decimal] | None = None,
) -> dict[str, Any]:
    """Every figure of the report for the shop's days ``first`` up to (not including) ``after``.

    ``rollouts`` are the shares of the rules on trial; by default the ones the daemon published
    at its last load of the rules.
    """
    start, end = local_midnight(first, zone), local_midnight(after, zone)
    if rollouts is None:
        rollouts = rollouts_from_json(await store.get_state(ROLLOUTS_KEY))
    teams = {agent.login: agent.team for agent in await store.desk_agents()}
    return {
        "period": {
            "kind": str(kind),
            "from": first.isoformat(),
            "to": (after - timedelta(days=1)).isoformat(),
            "time_zone": str(zone),
        },
        "orders_by_stage": [
            {"stage": r.stage, "channel": r.channel or "-", "orders": r.orders}
            for r in await store.orders_by_stage(start, end)
        ],
        "breaches": [
            {"rule": r.rule_id, "escalations": r.escalations, "resolved": r.resolved}
            for r in await store.breaches_per_rule(start, end)
        ],
        "delay_reasons": _heatmaps(await store.delayed_escalations(start, end), zone),
        "stalls": stall_rows(await store.scan_gaps(start, end)),
        "response": response_rows(await store.responses(start, end), teams),
        "interventions": await _interventions(store, start, end, first, after, zone),
        "agreement": await _agreement(store, start, end),
        "rollouts": trial_rows(await store.cohort(start, end), rollouts) if rollouts else [],
        "lookups": lookup_days(await store.lookups(start, end), first, after, zone),
    }


def _heatmaps(delayed: Iterable[Any], zone: ZoneInfo) -> dict[str, Any]:
    by_weekday: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    by_hour = [[0] * 24 for _ in WEEKDAYS]
    for item in delayed:
        local = item.opened_at.astimezone(zone)
        by_weekday[item.reason][local.weekday()] += 1
        by_hour[local.weekday()][local.hour] += 1
    reasons = sorted(by_weekday, key=lambda r: (-sum(by_weekday[r]), r))
    return {
        "reasons": reasons,
        "reason_by_weekday": [by_weekday[r] for r in reasons],
        "weekday_by_hour": by_hour,
    }


def stall_rows(gaps: Iterable[ScanGap]) -> list[dict[str, Any]]:
    """Per carrier and route: how many gaps between scans, their median and p90 in hours;
    the longest p90 first."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for gap in gaps:
        groups[(gap.carrier, gap.origin, gap.destination)].append(gap.seconds)
    rows = [
        {
            "carrier": carrier or "-",
            "origin": origin or "-",
            "destination": destination or "-",
            "gaps": len(values),
            "median_hours": hours(values, 50),
            "p90_hours": hours(values, 90),
        }
        for (carrier, origin, destination), values in groups.items()
    ]
    return sorted(rows, key=lambda r: (-(r["p90_hours"] or 0), r["carrier"], r["origin"]))


def response_rows(responses: Sequence[Response], teams: dict[str, str]) -> list[dict[str, Any]]:
    """p50/p90 minutes to the first acknowledgement and to resolution, per level, team, agent."""
    keys: dict[str, tuple[Callable[[Response], object], Callable[[Response], object]]] = {
        "level": (lambda r: r.first_ack_level, lambda r: r.resolved_level),
        "team": (
            lambda r: teams.get(r.first_acked_by) or "-",
            lambda r: teams.get(r.resolved_by) or "-",
        ),
        "agent": (lambda r: r.first_acked_by, lambda r: r.resolved_by),
    }
    rows: list[dict[str, Any]] = []
    for by, (ack_key, resolve_key) in keys.items():
        acks: dict[str, list[float]] = defaultdict(list)
        resolutions: dict[str, list[float]] = defaultdict(list)
        for r in responses:
            if r.first_acked_at is not None:
                acks[str(ack_key(r))].append((r.first_acked_at - r.opened_at).total_seconds())
            if r.resolved_at is not None:
                resolutions[str(resolve_key(r))].append(
                    (r.resolved_at - r.opened_at).total_seconds()
                )
        for group in sorted(set(acks) | set(resolutions)):
            ack, done = acks.get(group, []), resolutions.get(group, [])
            rows.append(
                {
                    "by": by,
                    "group": group,
                    "acknowledged": len(ack),
                    "ack_p50_minutes": minutes(ack, 50),
                    "ack_p90_minutes": minutes(ack, 90),
                    "resolved": len(done),
                    "resolve_p50_minutes": minutes(done, 50),
                    "resolve_p90_minutes": minutes(done, 90),
                }
            )
    return rows


async def _interventions(
    store: Store, start: datetime, end: datetime, first: date, after: date, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Every day of the period (none left out, so a trend shows quiet days), with its count."""
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for item in await store.interventions(start, end):
        per_day[item.at.astimezone(zone).date()][item.kind] += 1
    days = []
    day = first
    while day < after:
        kinds = per_day.get(day, Counter())
        days.append({"day": day.isoformat(), "count": sum(kinds.values()), "kinds": dict(kinds)})
        day += timedelta(days=1)
    return days


async def _agreement(store: Store, start: datetime, end: datetime) -> dict[str, Any]:
    found = await store.status_agreement(start, end)
    kinds = {
        "delivered_but_open": found.delivered_but_open,
        "cancelled_but_moving": found.cancelled_but_moving,
        "returned_but_paid": found.returned_but_paid,
    }
    disagreeing = found.disagreeing
    share = (
        None if not found.checked else round(100 * (found.checked - disagreeing) / found.checked, 1)
    )
    return {"checked": found.checked, **kinds, "disagreeing": disagreeing, "agreement_pct": share}
