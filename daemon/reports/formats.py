"""The report as a table for the terminal, as CSV (one figure a line) and as JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sync.reports.lines import (
    CSV_HEADER,
    agreement_lines,
    csv_lines,
    desk_sections,
    figure_sections,
)


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def as_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in csv_lines(report):
        writer.writerow(["" if cell is None else cell for cell in line])
    return out.getvalue()


def as_table(report: dict[str, Any]) -> str:
    period = report["period"]
    lines = [f"{period['kind']} report {period['from']} .. {period['to']} ({period['time_zone']})"]
    for title, header, rows in figure_sections(report):
        lines += ["", title, *_grid(header, rows)]
    lines += ["", "Status agreement between sources"]
    lines += [f"  {line}" for line in agreement_lines(report)]
    for title, header, rows in desk_sections(report):
        lines += ["", title, *_grid(header, rows)]
    return "\n".join(lines) + "\n"


def _grid(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    cells = [header, *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
