"""Heatmaps drawn with terminal cells, for the Reports screen.

Each count is shaded by the quarter it ranks in among the different non-zero counts of the map:
the lowest quarter ``░``, then ``▒``, ``▓``, and the highest ``█``; nothing is ``·``. Ranking
the different counts (not every cell) keeps a lone busy cell apart from many quiet ones.
The shade alone carries the figure, so the map reads the same without colour; a legend under
each map says which counts each shade stands for.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content

SHADES = ("·", "░", "▒", "▓", "█")
QUARTERS = len(SHADES) - 1
SHADE_STYLE = "$warning"
EMPTY_STYLE = "$text-muted"


@dataclass(frozen=True, slots=True)
class Scale:
    """The map's different non-zero counts, ascending: a count's shade is the quarter its rank
    falls in, so equal counts share a shade and the busiest cell is always the darkest."""

    counts: tuple[int, ...]

    def level(self, value: int) -> int:
        if value <= 0 or not self.counts:
            return 0
        share = bisect_right(self.counts, value) / len(self.counts)  # its rank, as a share
        return max(1, math.ceil(QUARTERS * share))

    def legend(self) -> list[tuple[str, str]]:
        """(shade, the counts it stands for) of every shade in use, ``·`` first."""
        spans: dict[int, list[int]] = {}
        for value in sorted(set(self.counts)):
            spans.setdefault(self.level(value), []).append(value)
        found = [(SHADES[0], "0")]
        for level, values in sorted(spans.items()):
            low, high = values[0], values[-1]
            found.append((SHADES[level], f"{low}" if low == high else f"{low}–{high}"))
        return found


def scale(cells: Sequence[Sequence[int]]) -> Scale:
    return Scale(tuple(sorted({value for row in cells for value in row if value > 0})))


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[int]],
    *,
    label_width: int,
    cell_width: int,
    label_every: int = 1,
    totals: bool = False,
) -> Content:
    """A map of ``cells`` (one row per label), the column labels on top and the legend below.

    ``label_every`` names only every n-th column (hours); ``totals`` adds each row's sum."""
    shades = scale(cells)
    head = " " * label_width
    for at, column in enumerate(columns):
        head += (column if at % label_every == 0 else "").ljust(cell_width)[:cell_width]
    if totals:
        head += "  all"
    parts: list[str | tuple[str, str] | Content] = [(head.rstrip(), "bold"), "\n"]
    for name, values in zip(rows, cells, strict=True):
        label = name if len(name) < label_width else name[: label_width - 2] + "…"
        parts.append(label.ljust(label_width))
        for value in values:
            level = shades.level(value)
            glyph = (SHADES[level] * (cell_width - 1) if level else SHADES[0]).ljust(cell_width)
            parts.append((glyph, SHADE_STYLE if level else EMPTY_STYLE))
        if totals:
            parts.append(f"{sum(values):>5}")
        parts.append("\n")
    parts.append(legend(shades))
    return Content.assemble(*parts)


def legend(shades: Scale) -> Content:
    parts: list[str | tuple[str, str]] = ["shades: "]
    for at, (glyph, span) in enumerate(shades.legend()):
        parts += [("   " if at else ""), (glyph, SHADE_STYLE if at else EMPTY_STYLE), f" {span}"]
    return Content.assemble(*parts)
