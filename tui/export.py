"""Exporting what a view lists to a CSV file, for a spreadsheet or a colleague.

Orders are read from the store a page at a time, so exporting a million-order view never holds
more than a page of lines. Times are in the agent's zone, named in the header. The file starts
with a byte-order mark so spreadsheet programs read Chinese names right.

The first lines say what was exported, each as ``# name,value``: the view, the filters it had
(the view's own, the agent's ``/`` filter, a find's text), the sort, or the report's period and
time zone; then who exported it and when. The column names follow.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sync.csvimport.records import QuarantineRow
from sync.domain import EscalationRow
from sync.reports.lines import CSV_HEADER, csv_lines
from sync.store import Store
from tui import words
from tui.order_file import OrderFile, timeline

PAGE = 500


def export_folder(configured: Path | None) -> Path:
    if configured is not None:
        return configured
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def export_name(view: str, now: datetime, zone: tzinfo) -> str:
    stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M")
    slug = "".join(c if c.isalnum() else "-" for c in view.lower()).strip("-")
    return f"orderwatch-{slug}-{stamp}.csv"


Filters = Sequence[tuple[str, str]]
"""What a view showed, as (name, value): ``("view", "Queue")``, ``("filter", "carrier:sf")``."""


def write_filters(out: Any, filters: Iterable[tuple[str, str]]) -> None:
    for name, value in filters:
        out.writerow([f"# {name}", value])


def view_filters(
    view: str, *, fixed: str = "", typed: str = "", found: str | None = None, sort: str = ""
) -> list[tuple[str, str]]:
    """What a list showed: the view, its own filter, the agent's ``/`` filter, a find's text
    (which then replaced the view) and the sort; only those in use."""
    named = [("view", view), ("view filter", fixed), ("filter", typed), ("sort", sort)]
    if found is not None:
        named.insert(1, ("find", found))
    return [(name, value) for name, value in named if value]


def exported_by(agent: str, now: datetime, zone: tzinfo) -> tuple[str, str]:
    return ("exported", f"{words.local_time(now, zone)} {words.zone_label(zone, now)} by {agent}")


async def export_orders(
    store: Store,
    ids: Sequence[int],
    path: Path,
    zone: tzinfo,
    now: datetime,
    filters: Filters = (),
) -> int:
    """Write the orders ``ids`` (in that order) to ``path``; returns how many were written."""
    written = 0
    zone_name = words.zone_label(zone, now)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        write_filters(out, filters)
        out.writerow(
            [
                "order",
                f"placed ({zone_name})",
                "customer",
                "payment",
                "fulfillment",
                "order state",
                "carrier",
                "parcel",
                "escalation",
            ]
        )
        for first in range(0, len(ids), PAGE):
            for line in await store.queue_lines(ids[first : first + PAGE]):
                out.writerow(
                    [
                        line.number,
                        words.local_time(line.created_at, zone),
                        line.customer_name,
                        line.payment_status,
                        line.fulfillment_status,
                        line.lifecycle,
                        line.carrier,
                        line.shipment_status,
                        line.escalation_state,
                    ]
                )
                written += 1
    return written


def export_escalations(
    rows: Sequence[EscalationRow], path: Path, zone: tzinfo, filters: Filters = ()
) -> int:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        write_filters(out, filters)
        out.writerow(
            ["order", "rule", "severity", "state", "summary", "deadline", "assignee", "acked by"]
        )
        for row in rows:
            out.writerow(
                [
                    row.about,
                    row.rule_id,
                    row.severity,
                    row.state,
                    row.summary,
                    words.local_time(row.deadline_at, zone),
                    row.assignee,
                    row.acked_by,
                ]
            )
    return len(rows)


def export_timeline(file: OrderFile, path: Path, zone: tzinfo, filters: Filters = ()) -> int:
    """An order's merged timeline, as the detail shows it; a scan without a zone keeps the
    courier's own text."""
    entries = timeline(file)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        write_filters(out, filters)
        out.writerow(["when", "who", "kind", "what"])
        for entry in entries:
            when = words.local_time(entry.at, zone) if entry.at else f"{entry.at_raw} (no zone)"
            out.writerow([when, entry.who, entry.kind, entry.text])
    return len(entries)


def export_quarantine(
    rows: Sequence[QuarantineRow], path: Path, zone: tzinfo, filters: Filters = ()
) -> int:
    """Quarantined rows with their file, line, reason and cells (as JSON, the file's own)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        write_filters(out, filters)
        out.writerow(["when", "source", "file", "line", "reason", "waiting for", "cells"])
        for row in rows:
            out.writerow(
                [
                    words.local_time(row.at, zone),
                    row.source,
                    row.file_name,
                    row.line,
                    row.reason,
                    row.waiting_for,
                    json.dumps(row.cells, ensure_ascii=False),
                ]
            )
    return len(rows)


def export_report(report: dict[str, Any], path: Path, filters: Filters = ()) -> int:
    """The Reports screen's figures, one a line as ``orderwatchd report --format csv`` writes
    them, after the period they cover; returns how many figures were written."""
    period = report["period"]
    named = [
        ("view", "Reports"),
        ("period", f"{period['kind']} {period['from']} .. {period['to']}"),
        ("time zone", period["time_zone"]),
        *filters,
    ]
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        write_filters(out, named)
        out.writerow(CSV_HEADER)
        for line in csv_lines(report):
            out.writerow(["" if cell is None else cell for cell in line])
            written += 1
    return written
