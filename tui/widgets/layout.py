"""Where the order list's lines go when the view is grouped (a heading line before each group).

The list holds order ids by index; on screen each group starts with a heading line, so screen
rows and id indexes differ by the number of headings above. :class:`Layout` maps one to the other
in O(log groups), so grouping costs nothing per order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    label: str
    count: int


class Layout:
    def __init__(self, count: int, groups: Sequence[tuple[str, int]] = ()) -> None:
        self.count = count
        self.headings = [Heading(label, size) for label, size in groups if size > 0]
        starts: list[int] = []
        total = 0
        for heading in self.headings:
            starts.append(total)
            total += heading.count
        self._starts = starts
        """The id index at which each group begins."""

    @property
    def rows(self) -> int:
        return self.count + len(self.headings)

    def row_of(self, index: int) -> int:
        """The screen row of the order at id ``index``."""
        return index + bisect_right(self._starts, index)

    def at(self, row: int) -> Heading | int:
        """What screen ``row`` shows: a group's heading, or the id index of an order."""
        if not self.headings:
            return row
        # The group whose heading is at or above ``row``: its heading sits at start + position.
        low, high = 0, len(self._starts)
        while low < high:
            middle = (low + high) // 2
            if self._starts[middle] + middle <= row:
                low = middle + 1
            else:
                high = middle
        group = low - 1
        heading_row = self._starts[group] + group
        if row == heading_row:
            return self.headings[group]
        return row - group - 1
