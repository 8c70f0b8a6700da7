"""What ``orderwatchd status`` says about each source: health, breaker, and the run in flight.

A run in flight shows rows done, the total when the source told it, the rate so far and the time
left; a finished one shows how many rows it brought and when the last full reconciliation ran.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sync.domain import SourceProgress
from sync.store import Store


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(progress: SourceProgress, now: datetime) -> dict[str, Any]:
    rate = progress.rate(now)
    left = progress.seconds_left(now)
    return {
        "running": progress.running,
        "full": progress.run_full,
        "started_at": _iso(progress.run_started_at),
        "finished_at": _iso(progress.run_finished_at),
        "rows": progress.run_rows,
        "total": progress.run_total,
        "rows_per_second": None if rate is None else round(rate, 1),
        "seconds_left": None if left is None else round(left),
    }


async def sources_report(store: Store, now: datetime) -> list[dict[str, Any]]:
    """Every source's row, with its breaker and its run."""
    progress = {p.name: p for p in await store.sources_progress()}
    report: list[dict[str, Any]] = []
    for row in await store.sources():
        entry = {
            key: _iso(value) if isinstance(value, datetime) else value
            for key, value in asdict(row).items()
        }
        held = progress.get(row.name)
        if held is not None:
            entry["breaker"] = {
                "state": held.breaker_state,
                "since": _iso(held.breaker_changed_at),
            }
            entry["run"] = _run(held, now) if held.run_started_at else None
            entry["reconciled_at"] = _iso(held.reconciled_at)
        report.append(entry)
    return report


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    if whole >= 60:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole}s"


def run_words(run: dict[str, Any]) -> str:
    """``1200 of 5000 rows, 250/s, 16s left`` for a run in flight; a summary for a done one."""
    kind = "full pass" if run["full"] else "run"
    rows = f"{run['rows']} of {run['total']} rows" if run["total"] else f"{run['rows']} rows"
    rate = f", {run['rows_per_second']:g}/s" if run["rows_per_second"] else ""
    if run["running"]:
        left = f", {_duration(run['seconds_left'])} left" if run["seconds_left"] is not None else ""
        return f"{kind} in progress: {rows}{rate}{left}"
    return f"last {kind}: {rows}{rate}, done {run['finished_at']}"


def source_lines(source: dict[str, Any]) -> list[str]:
    """The indented lines under a source's own line in the text status."""
    lines: list[str] = []
    breaker = source.get("breaker")
    if breaker and breaker["state"] != "closed":
        lines.append(f"  ! circuit breaker {breaker['state']} since {breaker['since']}")
    if source.get("run"):
        lines.append(f"  {run_words(source['run'])}")
    if source.get("reconciled_at"):
        lines.append(f"  last full reconciliation {source['reconciled_at']}")
    return lines


def webhook_line(counts: dict[str, int]) -> str | None:
    if not any(counts.values()):
        return None
    line = f"webhooks     {counts['applied']} applied, {counts['waiting']} waiting"
    return line + (f", {counts['failed']} set aside" if counts["failed"] else "")
