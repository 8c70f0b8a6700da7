"""The report as a table for the terminal, as CSV (one figure a line) and as JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sync.reports.model import WEEKDAYS

CSV_HEADER = ("section", "group", "item", "metric", "value")
TRIAL_HEADER = [
    *("rule", "share %", "group", "orders", "escalations", "per 100"),
    *("res p50 min", "res p90 min", "late", "promised"),
]


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in csv_lines(report):
        writer.writerow(["" if cell is None else cell for cell in line])
    return out.getvalue()


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


def as_table(report: dict[str, Any]) -> str:
    period = report["period"]
    lines = [f"{period['kind']} report {period['from']} .. {period['to']} ({period['time_zone']})"]
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
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
    for title, header, rows in sections:
        lines += ["", title, *_grid(header, rows)]
    agreement = report["agreement"]
    share = agreement["agreement_pct"]
    lines += [
        "",
        "Status agreement between sources",
        f"  {agreement['checked']} orders with parcels checked, "
        f"{agreement['disagreeing']} disagree" + ("" if share is None else f" ({share}% agree)"),
        f"  delivered but open {agreement['delivered_but_open']}, "
        f"cancelled but moving {agreement['cancelled_but_moving']}, "
        f"returned but paid {agreement['returned_but_paid']}",
    ]
    for title, header, rows in desk_sections(report):
        lines += ["", title, *_grid(header, rows)]
    return "\n".join(lines) + "\n"


def desk_sections(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
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


def _grid(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    cells = [header, *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
