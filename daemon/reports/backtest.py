"""``orderwatchd rules backtest FILE``: a candidate rules file replayed over recorded history
beside the current one.

Both files go through the same replay as ``rules suggest`` (:mod:`daemon.reports.suggest`): each
order's past rebuilt from the timeline, the production planner asked at each change, and an
escalation counted when a run outlived the deadline the planner gave it. Order rules only; the
figures are per rule and per day of the shop's time zone.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from daemon.reports.suggest import Run, collect_runs
from daemon.rules.model import RuleSet
from sync.store import Store


def _per_day(runs: dict[str, list[Run]], zone: ZoneInfo) -> dict[str, Counter[date]]:
    return {
        rule_id: Counter(
            run.escalated_at.astimezone(zone).date()
            for run in found
            if run.escalated_at is not None
        )
        for rule_id, found in runs.items()
    }


async def backtest(
    store: Store, current: RuleSet, candidate: RuleSet, start: datetime, end: datetime
) -> dict[str, Any]:
    zone = ZoneInfo(current.timezone)
    before = _per_day(await collect_runs(store, current, start, end), zone)
    after = _per_day(await collect_runs(store, candidate, start, end), zone)
    days = []
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        days.append(day)
        day += timedelta(days=1)
    rules = []
    for rule_id in [*before, *(r for r in after if r not in before)]:
        was, now = before.get(rule_id, Counter()), after.get(rule_id, Counter())
        rules.append(
            {
                "rule": rule_id,
                "current": sum(was.values()) if rule_id in before else None,
                "candidate": sum(now.values()) if rule_id in after else None,
                "per_day": [
                    {"day": d.isoformat(), "current": was[d], "candidate": now[d]} for d in days
                ],
            }
        )
    return {
        "from": start.astimezone(zone).isoformat(timespec="minutes"),
        "to": end.astimezone(zone).isoformat(timespec="minutes"),
        "time_zone": str(zone),
        "rules": rules,
    }


def backtest_lines(result: dict[str, Any]) -> list[str]:
    lines = [f"escalations {result['from']} .. {result['to']} (order rules; days in "
             f"{result['time_zone']})", "rule: current -> candidate"]  # fmt: skip
    for row in result["rules"]:
        was = "absent" if row["current"] is None else row["current"]
        now = "absent" if row["candidate"] is None else row["candidate"]
        busy = [d for d in row["per_day"] if d["current"] or d["candidate"]]
        days = ", ".join(f"{d['day'][5:]} {d['current']}->{d['candidate']}" for d in busy)
        lines.append(f"  {row['rule']}: {was} -> {now}" + (f" ({days})" if days else ""))
    return lines
