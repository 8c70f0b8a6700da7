"""Inline SVG charts for the HTML report: heatmaps, bars and a trend line, no script.

Each chart is a self-contained ``<svg>`` element; every heatmap cell and bar carries a
``<title>`` with its exact figure, which browsers show on hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

CELL = 22
LABEL = 150
BAR_HEIGHT = 18


def _shade(value: float, top: float) -> str:
    # White for nothing, deepening to dark orange for the busiest cell.
    share = 0.0 if top <= 0 else value / top
    green = round(245 - share * 150)
    blue = round(235 - share * 215)
    return f"rgb(250,{green},{blue})"


def heatmap(
    rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[int]], caption: str
) -> str:
    """One ``<rect class="cell">`` per row and column."""
    top = max((value for row in cells for value in row), default=0)
    width = LABEL + CELL * len(columns) + 10
    height = CELL * (len(rows) + 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(caption)}">'
    ]
    for x, column in enumerate(columns):
        parts.append(
            f'<text x="{LABEL + x * CELL + CELL / 2}" y="14" font-size="10" '
            f'text-anchor="middle">{escape(column)}</text>'
        )
    for y, (name, values) in enumerate(zip(rows, cells, strict=True)):
        top_y = CELL * (y + 1)
        parts.append(
            f'<text x="{LABEL - 6}" y="{top_y + 15}" font-size="11" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for x, value in enumerate(values):
            parts.append(
                f'<rect class="cell" x="{LABEL + x * CELL}" y="{top_y}" width="{CELL - 2}" '
                f'height="{CELL - 2}" fill="{_shade(value, top)}">'
                f"<title>{escape(name)} {escape(columns[x])}: {value}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bars(items: Sequence[tuple[str, float]], caption: str, unit: str = "") -> str:
    """Horizontal bars, one ``<rect class="bar">`` per item, longest to scale."""
    top = max((value for _, value in items), default=0)
    span = 300
    # Room for the longest name (about 7 px a character at 11 px), so no label is clipped.
    label = max(LABEL, 7 * max((len(name) for name, _ in items), default=0) + 10)
    height = BAR_HEIGHT * len(items) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label + span + 80}" '
        f'height="{height}" role="img" aria-label="{escape(caption)}">'
    ]
    for y, (name, value) in enumerate(items):
        length = 0 if top <= 0 else round(span * value / top, 1)
        top_y = y * BAR_HEIGHT
        parts.append(
            f'<text x="{label - 6}" y="{top_y + 13}" font-size="11" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar" x="{label}" y="{top_y + 2}" width="{length}" '
            f'height="{BAR_HEIGHT - 4}" fill="#d9822b"><title>{escape(name)}: {value}{unit}'
            f"</title></rect>"
            f'<text x="{label + length + 4}" y="{top_y + 13}" font-size="10">{value}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trend(points: Sequence[tuple[str, int]], caption: str) -> str:
    """A line through each day's figure, with a dot per day."""
    width, height, pad = 560, 140, 30
    top = max((value for _, value in points), default=0) or 1
    step = (width - 2 * pad) / max(1, len(points) - 1)
    xy = [
        (round(pad + i * step, 1), round(height - pad - (height - 2 * pad) * value / top, 1))
        for i, (_, value) in enumerate(points)
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(caption)}">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#999"/>',
    ]
    if xy:
        line = " ".join(f"{x},{y}" for x, y in xy)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#d9822b" stroke-width="2"/>')
    for (x, y), (day, value) in zip(xy, points, strict=True):
        parts.append(
            f'<circle class="point" cx="{x}" cy="{y}" r="3" fill="#d9822b">'
            f"<title>{escape(day)}: {value}</title></circle>"
        )
    if points:
        parts.append(
            f'<text x="{pad}" y="{height - 8}" font-size="10">{escape(points[0][0])}</text>'
        )
        parts.append(
            f'<text x="{width - pad}" y="{height - 8}" font-size="10" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
