"""The report as one self-contained HTML file: inline CSS and SVG, no script, no external
asset, so it opens in any browser and survives being mailed."""

from __future__ import annotations

from html import escape
from typing import Any

from daemon.reports import svg
from sync.reports.lines import desk_sections
from sync.reports.model import WEEKDAYS

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
p.none { color: #777; }
"""

HOURS = tuple(f"{hour:02d}" for hour in range(24))


def as_html(report: dict[str, Any]) -> str:
    period = report["period"]
    title = f"orderwatch {period['kind']} report {period['from']} – {period['to']}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>Days in {escape(period['time_zone'])}.</p>",
        *_orders(report),
        *_breaches(report),
        *_delays(report),
        *_stalls(report),
        *_response(report),
        *_interventions(report),
        *_agreement(report),
        *_trials(report),
        *_lookups(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _table(header: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return '<p class="none">Nothing in this period.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{value}</td>'
            if isinstance(value, int | float)
            else f"<td>{escape('-' if value is None else str(value))}</td>"
            for value in row
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _orders(report: dict[str, Any]) -> list[str]:
    rows = report["orders_by_stage"]
    return [
        "<h2>Orders by stage and channel</h2>",
        _table(
            ["stage", "channel", "orders"], [[r["stage"], r["channel"], r["orders"]] for r in rows]
        ),
    ]


def _breaches(report: dict[str, Any]) -> list[str]:
    rows = report["breaches"]
    parts = ["<h2>Breaches per rule</h2>"]
    if rows:
        parts.append(svg.bars([(r["rule"], r["escalations"]) for r in rows], "breaches per rule"))
    parts.append(
        _table(
            ["rule", "escalations", "resolved"],
            [[r["rule"], r["escalations"], r["resolved"]] for r in rows],
        )
    )
    return parts


def _delays(report: dict[str, Any]) -> list[str]:
    heat = report["delay_reasons"]
    parts = ["<h2>Delay reasons</h2>"]
    if not heat["reasons"]:
        return [*parts, '<p class="none">No escalation resolved with a reason in this period.</p>']
    return [
        *parts,
        "<p>Escalations by the reason they were resolved with and the weekday they opened.</p>",
        svg.heatmap(heat["reasons"], WEEKDAYS, heat["reason_by_weekday"], "reason by weekday"),
        "<p>The same escalations by weekday and hour.</p>",
        svg.heatmap(WEEKDAYS, HOURS, heat["weekday_by_hour"], "weekday by hour"),
    ]


def _stalls(report: dict[str, Any]) -> list[str]:
    rows = report["stalls"]
    parts = ["<h2>Where parcels stall</h2>"]
    if rows:
        parts.append(
            svg.bars(
                [
                    (f"{r['carrier']} {r['origin']} → {r['destination']}", r["p90_hours"])
                    for r in rows[:15]
                ],
                "p90 silence between scans",
                " h",
            )
        )
    parts.append(
        _table(
            ["carrier", "origin", "destination", "gaps", "median h", "p90 h"],
            [
                [
                    r["carrier"],
                    r["origin"],
                    r["destination"],
                    r["gaps"],
                    r["median_hours"],
                    r["p90_hours"],
                ]
                for r in rows
            ],
        )
    )
    return parts


def _response(report: dict[str, Any]) -> list[str]:
    header = ["by", "group", "acknowledged", "ack p50 min", "ack p90 min"]
    header += ["resolved", "resolve p50 min", "resolve p90 min"]
    return [
        "<h2>Response</h2>",
        "<p>From an escalation to its first acknowledgement and to its resolution.</p>",
        _table(header, [list(r.values()) for r in report["response"]]),
    ]


def _interventions(report: dict[str, Any]) -> list[str]:
    days = report["interventions"]
    return [
        "<h2>Manual interventions per day</h2>",
        svg.trend([(d["day"], d["count"]) for d in days], "manual interventions per day"),
        _table(
            ["day", "count", "kinds"],
            [
                [d["day"], d["count"], ", ".join(f"{k} {v}" for k, v in sorted(d["kinds"].items()))]
                for d in days
            ],
        ),
    ]


def _agreement(report: dict[str, Any]) -> list[str]:
    a = report["agreement"]
    share = "-" if a["agreement_pct"] is None else f"{a['agreement_pct']}%"
    return [
        "<h2>Status agreement between sources</h2>",
        f"<p>{a['checked']} orders with parcels checked; {share} agree.</p>",
        _table(
            ["disagreement", "orders"],
            [
                ["courier says delivered, order still open", a["delivered_but_open"]],
                ["order cancelled, parcel moving or delivered", a["cancelled_but_moving"]],
                ["parcel returned, order still paid", a["returned_but_paid"]],
            ],
        ),
    ]


def _trials(report: dict[str, Any]) -> list[str]:
    _, header, rows = desk_sections(report)[0]
    return [
        "<h2>Rules on trial</h2>",
        "<p>Orders of the period split by who each rule on trial ran for (its group) and the "
        "rest: their escalations, the minutes those took to resolve, and the orders delivered "
        "after the promised time among those delivered with a promise.</p>",
        _table(header, rows),
    ]


def _lookups(report: dict[str, Any]) -> list[str]:
    stages = report["lookups"]["stages"]
    parts = [
        "<h2>What agents looked up</h2>",
        "<p>Finds and opened orders by the order's stage at that moment: the questions "
        "customers ask most.</p>",
    ]
    if stages:
        parts.append(svg.bars([(r["stage"], r["lookups"]) for r in stages], "look-ups by stage"))
    _, header, rows = desk_sections(report)[2]
    return [*parts, _table(header, rows)]
