"""The report's figures as rows: one figure a CSV line, and the titled tables every text form
shows (the terminal table, the HTML page, the console's Reports screen)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sync.reports.model import WEEKDAYS

CSV_HEADER = ("section", "group", "item", "metric", "value")
TRIAL_HEADER = [
    *("rule", "share %", "group", "orders", "escalations", "per 100"),
    *("res p50 min", "res p90 min", "late", "promised"),
]

Section = tuple[str, list[str], list[list[Any]]]
"""A titled table: its title, its column names, its rows."""


def csv_lines(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Every figure as (section, group, item, metric, value)."""
    for key, value in report["period"].items():
        yield ("period", "", "", key, value)
    for row in report["orders_by_stage"]:
        yield ("orders_by_stage", row["stage"], row["channel"], "orders", row["orders"])
    for row in report["breaches"]:
        yield ("breaches", row["rule"], "", "escalations", row["escalations"])
        yield ("breaches", row["rule"], "", "resolved", row["resolved"])
    yield from _heat_lines(report["delay_reasons"])
    yield from _table_lines(report)
    for metric, value in report["agreement"].items():
        yield ("agreement", "", "", metric, value)
    yield from _desk_lines(report)


def _desk_lines(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for row in report["rollouts"]:
        for metric, value in row.items():
            if metric not in {"rule", "group"}:
                yield ("rollouts", row["rule"], row["group"], metric, value)
    for row in report["lookups"]["stages"]:
        yield ("lookups_by_stage", row["stage"], "", "lookups", row["lookups"])
    for day in report["lookups"]["days"]:
        yield ("lookups", day["day"], "", "count", day["count"])
        for stage, count in day["stages"].items():
            yield ("lookups", day["day"], stage, "count", count)


def _heat_lines(heat: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for reason, counts in zip(heat["reasons"], heat["reason_by_weekday"], strict=True):
        for weekday, count in zip(WEEKDAYS, counts, strict=True):
            yield ("delay_reason_by_weekday", reason, weekday, "escalations", count)
    for weekday, hours in zip(WEEKDAYS, heat["weekday_by_hour"], strict=True):
        for hour, count in enumerate(hours):
            yield ("delay_by_weekday_hour", weekday, f"{hour:02d}", "escalations", count)


def _table_lines(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for row in report["stalls"]:
        route = f"{row['origin']} -> {row['destination']}"
        for metric in ("gaps", "median_hours", "p90_hours"):
            yield ("stalls", row["carrier"], route, metric, row[metric])
    for row in report["response"]:
        for metric, value in row.items():
            if metric not in {"by", "group"}:
                yield (f"response_by_{row['by']}", row["group"], "", metric, value)
    for row in report["interventions"]:
        yield ("interventions", row["day"], "", "count", row["count"])
        for kind, count in sorted(row["kinds"].items()):
            yield ("interventions", row["day"], kind, "count", count)


def figure_sections(report: dict[str, Any]) -> list[Section]:
    """Orders, breaches, delay reasons by weekday, stalls, response and interventions."""
    return [
        (
            "Orders by stage and channel",
            ["stage", "channel", "orders"],
            [[r["stage"], r["channel"], r["orders"]] for r in report["orders_by_stage"]],
        ),
        (
            "Breaches per rule",
            ["rule", "escalations", "resolved"],
            [[r["rule"], r["escalations"], r["resolved"]] for r in report["breaches"]],
        ),
        (
            "Delay reasons by weekday",
            ["reason", *WEEKDAYS],
            [
                [reason, *counts]
                for reason, counts in zip(
                    report["delay_reasons"]["reasons"],
                    report["delay_reasons"]["reason_by_weekday"],
                    strict=True,
                )
            ],
        ),
        (
            "Where parcels stall (hours between scans)",
            ["carrier", "route", "gaps", "median", "p90"],
            [
                [
                    r["carrier"],
                    f"{r['origin']} -> {r['destination']}",
                    r["gaps"],
                    r["median_hours"],
                    r["p90_hours"],
                ]
                for r in report["stalls"]
            ],
        ),
        (
            "Response (minutes)",
            ["by", "group", "acked", "ack p50", "ack p90", "resolved", "res p50", "res p90"],
            [list(r.values()) for r in report["response"]],
        ),
        (
            "Manual interventions per day",
            ["day", "count"],
            [[r["day"], r["count"]] for r in report["interventions"]],
        ),
    ]


def agreement_lines(report: dict[str, Any]) -> list[str]:
    agreement = report["agreement"]
    share = agreement["agreement_pct"]
    return [
        f"{agreement['checked']} orders with parcels checked, "
        f"{agreement['disagreeing']} disagree" + ("" if share is None else f" ({share}% agree)"),
        f"delivered but open {agreement['delivered_but_open']}, "
        f"cancelled but moving {agreement['cancelled_but_moving']}, "
        f"returned but paid {agreement['returned_but_paid']}",
    ]


def desk_sections(report: dict[str, Any]) -> list[Section]:
    """Rules on trial against the rest, and the agents' look-ups, as titled tables."""
    lookups = report["lookups"]
    return [
        (
            "Rules on trial: their group against the rest",
            TRIAL_HEADER,
            [
                [
                    r["rule"],
                    r["share_pct"],
                    r["group"],
                    r["orders"],
                    r["escalations"],
                    r["escalations_per_100"],
                    r["resolve_p50_minutes"],
                    r["resolve_p90_minutes"],
                    r["delivered_late"],
                    r["delivered_with_promise"],
                ]
                for r in report["rollouts"]
            ],
        ),
        (
            "Look-ups by the order's stage",
            ["stage", "look-ups"],
            [[r["stage"], r["lookups"]] for r in lookups["stages"]],
        ),
        (
            "Look-ups per day",
            ["day", "count", "by stage"],
            [
                [d["day"], d["count"], ", ".join(f"{s} {n}" for s, n in d["stages"].items())]
                for d in lookups["days"]
            ],
        ),
    ]
