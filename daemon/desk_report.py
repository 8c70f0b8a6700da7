"""What ``orderwatchd status`` says about the desk: notifications (how many sent, waiting,
failed, with the latest failures) and the response figures the shop is judged on (time from an
escalation to its first acknowledgement and to its resolution, per level and agent)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from daemon.rules.durations import format_elapsed
from sync.store import ResponseSample, Store

WINDOW = timedelta(days=30)


async def desk_report(store: Store, now: datetime) -> dict[str, Any]:
    outbox = await store.outbox_report()
    failures = [
        {
            "channel": row.channel,
            "escalation": row.escalation_id,
            "state": row.state,
            "attempts": row.attempts,
            "error": row.last_error,
        }
        for row in outbox.failures
    ]
    samples = await store.response_samples(now - WINDOW)
    return {
        "notifications": {"counts": outbox.counts, "failures": failures},
        "response": response_figures(samples),
    }


def response_figures(samples: Iterable[ResponseSample]) -> list[dict[str, Any]]:
    """Per (level, agent): how many acknowledged and resolved, and the median times (seconds)."""
    acks: dict[tuple[int, str], list[float]] = {}
    fixes: dict[tuple[int, str], list[float]] = {}
    for sample in samples:
        if sample.to_ack is not None and sample.first_ack_level is not None:
            acks.setdefault((sample.first_ack_level, sample.first_acked_by), []).append(
                sample.to_ack
            )
        if sample.to_resolve is not None and sample.resolved_level is not None:
            fixes.setdefault((sample.resolved_level, sample.resolved_by), []).append(
                sample.to_resolve
            )
    figures = []
    for level, agent in sorted(set(acks) | set(fixes)):
        acked = acks.get((level, agent), [])
        fixed = fixes.get((level, agent), [])
        figures.append(
            {
                "level": level,
                "agent": agent,
                "acknowledged": len(acked),
                "median_to_ack_seconds": statistics.median(acked) if acked else None,
                "resolved": len(fixed),
                "median_to_resolve_seconds": statistics.median(fixed) if fixed else None,
            }
        )
    return figures


def desk_lines(report: dict[str, Any]) -> list[str]:
    counts = report["notifications"]["counts"]
    said = ", ".join(f"{counts[state]} {state}" for state in sorted(counts)) or "none yet"
    lines = [f"notifications {said}"]
    for failure in report["notifications"]["failures"]:
        what = "failed" if failure["state"] == "failed" else "retrying"
        lines.append(
            f"  ! {failure['channel']} escalation {failure['escalation'] or '-'} {what} after "
            f"{failure['attempts']} attempts: {failure['error']}"
        )
    for figure in report["response"]:
        parts = []
        if figure["acknowledged"]:
            median = _span(figure["median_to_ack_seconds"])
            parts.append(f"{figure['acknowledged']} acknowledged (median {median})")
        if figure["resolved"]:
            median = _span(figure["median_to_resolve_seconds"])
            parts.append(f"{figure['resolved']} resolved (median {median})")
        who = figure["agent"] or "the daemon"
        lines.append(f"response     level {figure['level']} {who}: {', '.join(parts)}")
    return lines


def _span(seconds: float | None) -> str:
    return "-" if seconds is None else format_elapsed(timedelta(seconds=seconds))
