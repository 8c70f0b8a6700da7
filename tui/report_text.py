"""The Reports screen's sections as text: the same figures and tables as ``orderwatchd report``
(:mod:`sync.reports.lines`), fitted to the terminal, with the delay heatmaps drawn in cells."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from textual.content import Content

from sync.reports.lines import agreement_lines, figure_sections
from sync.reports.model import WEEKDAYS
from sync.reports.trials import NO_SINGLE_ORDER
from tui.report_cells import heatmap
from tui.words import words

HOURS = tuple(f"{hour:02d}" for hour in range(24))
REASON_WIDTH = 24
MIN_LABEL = 8
NO_SINGLE_ORDER_LABEL = "find, not one order"


def grid(header: Sequence[str], rows: Sequence[Sequence[Any]], width: int) -> Content:
    """A table with the column names in bold; a line too long for ``width`` ends in ``…``."""
    if not rows:
        return Content.styled("  nothing in this period", "$text-muted")
    cells = [list(header), *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    # A column of figures is right-aligned, its name too; the first names the rows.
    right = [at > 0 and all(_numeric(row[at]) for row in cells[1:]) for at in range(len(header))]
    lines = []
    for row in cells:
        line = "  " + "  ".join(
            c.rjust(w) if flush else c.ljust(w)
            for c, w, flush in zip(row, widths, right, strict=True)
        )
        line = line.rstrip()
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    return Content.assemble((lines[0], "bold"), "\n", "\n".join(lines[1:]))


def _numeric(text: str) -> bool:
    return text == "-" or text.replace(".", "", 1).lstrip("-").isdigit()


def section(title: str, body: Content) -> Content:
    return Content.assemble((title, "bold $accent"), "\n", body)


def sections(report: dict[str, Any], width: int) -> dict[str, Content]:
    """Every section by its id, in the order the report gives them."""
    figures = {title: (header, rows) for title, header, rows in figure_sections(report)}
    found: dict[str, Content] = {}
    for key, title in (
        ("orders", "Orders by stage and channel"),
        ("breaches", "Breaches per rule"),
    ):
        found[key] = section(title, grid(*figures[title], width))
    found["reasons"] = section("Delay reasons by weekday", reason_map(report))
    found["hours"] = section("Delays by weekday and hour", hour_map(report))
    for key, title in (
        ("stalls", "Where parcels stall (hours between scans)"),
        ("response", "Response (minutes)"),
        ("interventions", "Manual interventions per day"),
    ):
        found[key] = section(title, grid(*figures[title], width))
    found["agreement"] = section(
        "Status agreement between sources", Content("\n".join(agreement_lines(report)))
    )
    found["trials"] = section("Rules on trial: their group against the rest", trials(report, width))
    found["lookups"] = section(
        "What agents looked up, by the order's stage", lookup_map(report, width)
    )
    return found


def reason_map(report: dict[str, Any]) -> Content:
    heat = report["delay_reasons"]
    if not heat["reasons"]:
        return Content.styled("  no escalation resolved with a reason", "$text-muted")
    width = min(REASON_WIDTH, max(len(r) for r in heat["reasons"]) + 2)
    return heatmap(
        heat["reasons"],
        WEEKDAYS,
        heat["reason_by_weekday"],
        label_width=width,
        cell_width=4,
        totals=True,
    )


def hour_map(report: dict[str, Any]) -> Content:
    heat = report["delay_reasons"]
    if not heat["reasons"]:
        return Content.styled("  no escalation resolved with a reason", "$text-muted")
    return heatmap(
        WEEKDAYS, HOURS, heat["weekday_by_hour"], label_width=5, cell_width=2, label_every=3
    )


def lookup_map(report: dict[str, Any], width: int) -> Content:
    """Look-ups by stage (most asked first) and day; a week's days by weekday, a month's by
    date every seventh day. Stage names are cut to leave the days ``width``."""
    lookups = report["lookups"]
    if not lookups["stages"]:
        return Content.styled("  no look-ups in this period", "$text-muted")
    stages = [row["stage"] for row in lookups["stages"]]
    days = [date.fromisoformat(day["day"]) for day in lookups["days"]]
    cells = [[day["stages"].get(stage, 0) for day in lookups["days"]] for stage in stages]
    labels = [NO_SINGLE_ORDER_LABEL if s == NO_SINGLE_ORDER else words(s) for s in stages]
    cell = 4 if len(days) <= len(WEEKDAYS) else 2
    room = width - cell * len(days) - len(" all") - 1
    label = max(MIN_LABEL, min(REASON_WIDTH, max(len(text) for text in labels) + 2, room))
    if cell == 4:
        columns = [WEEKDAYS[day.weekday()] for day in days]
        return heatmap(labels, columns, cells, label_width=label, cell_width=cell, totals=True)
    columns = [f"{day.day:02d}" for day in days]
    return heatmap(
        labels, columns, cells, label_width=label, cell_width=cell, label_every=7, totals=True
    )


def trials(report: dict[str, Any], width: int) -> Content:
    """The comparison, narrowed for the terminal: late counts as late/promised."""
    header = ["rule", "share", "group", "orders", "esc", "/100", "p50m", "p90m", "late"]
    rows = [
        [
            r["rule"],
            f"{r['share_pct']:g}%",
            r["group"],
            r["orders"],
            r["escalations"],
            r["escalations_per_100"],
            r["resolve_p50_minutes"],
            r["resolve_p90_minutes"],
            f"{r['delivered_late']}/{r['delivered_with_promise']}",
        ]
        for r in report["rollouts"]
    ]
    if not rows:
        return Content.styled("  no rule on trial (rollout)", "$text-muted")
    return grid(header, rows, width)
