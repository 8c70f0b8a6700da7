"""The order list's columns: titles, widths, and one order's line as cells.

Widths add up to 79 cells so a line fits an 80-column terminal beside a one-cell scrollbar; the
last column takes whatever a wider terminal gives. Names can be Chinese (two cells a character),
so every cell is cut and padded by terminal cells, not by characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size

from sync.store import QueueLine
from tui import words

TROUBLE = frozenset(
    {"delivery_failed", "exception", "refused", "returning", "returned", "expired", "delayed"}
)

MARKERS = {"firing": "!", "warning": "!", "acknowledged": "✓"}
"""Escalation marker per state; colour tells firing (red) from warning (yellow)."""

GUARDED = "⚑"
"""Before the escalation marker: an order guard's flag is up (see the order detail)."""


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int


COLUMNS: tuple[Column, ...] = (
    Column("", 2),
    Column("Order", 8),
    Column("Age", 4),
    Column("Customer", 13),
    Column("Status", 25),
    Column("Parcel", 22),
)

LINE_WIDTH = sum(c.width for c in COLUMNS) + len(COLUMNS) - 1

Cell = tuple[str, str]
"""A cell's text and the name of its style ('' for the line's own style)."""


def fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` terminal cells."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def widths(total: int) -> list[int]:
    """Column widths for a line of ``total`` cells: the last column absorbs extra room."""
    sizes = [c.width for c in COLUMNS]
    sizes[-1] = max(sizes[-1], total - (LINE_WIDTH - sizes[-1]))
    return sizes


def header_cells(total: int) -> list[Cell]:
    return _join([(c.title, "") for c in COLUMNS], widths(total))


def line_cells(line: QueueLine, now: datetime, total: int, marked: bool = False) -> list[Cell]:
    """One order's line; a marked order shows ``*`` before its escalation marker, an order
    with a guard flag up ``⚑`` (when not marked)."""
    first = "*" if marked else GUARDED if line.guarded else " "
    marker = first + MARKERS.get(line.escalation_state, " ")
    marker_style = "marked" if marked else line.escalation_state or ""
    parcel_style = "trouble" if line.shipment_status in TROUBLE else ""
    status_style = "" if line.lifecycle == "open" else "closed"
    cells = [
        (marker, marker_style),
        (line.number, ""),
        (words.age(line.created_at, now), ""),
        (line.customer_name, ""),
        (
            words.order_status(line.payment_status, line.fulfillment_status, line.lifecycle),
            status_style,
        ),
        (words.parcel(line.carrier, line.shipment_status, line.shipment_count), parcel_style),
    ]
    return _join(cells, widths(total))


def placeholder_cells(text: str, total: int) -> list[Cell]:
    return [(fit(f"  {text}", total), "placeholder")]


def heading_cells(label: str, count: int, total: int) -> list[Cell]:
    """A group's heading line: ``── picked · 12 ───…``."""
    text = f"── {label} · {count:,} "
    return [(fit(text + "─" * max(0, total - len(text)), total), "heading")]


def _join(cells: list[Cell], sizes: list[int]) -> list[Cell]:
    joined: list[Cell] = []
    for index, ((text, style), width) in enumerate(zip(cells, sizes, strict=True)):
        if index:
            joined.append((" ", ""))
        joined.append((fit(text, width), style))
    return joined
