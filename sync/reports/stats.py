"""Percentiles as the reports compute them.

Nearest rank: the value at rank ceil(p/100 * n) of the sorted samples, so every figure is one of
the observed durations and can be checked by hand; the median is p50 the same way (the lower
middle of an even count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def hours(values: Sequence[float], p: float) -> float | None:
    """The ``p`` percentile of durations in seconds, in hours to two places."""
    found = percentile(values, p)
    return None if found is None else round(found / 3600, 2)


def minutes(values: Sequence[float], p: float) -> float | None:
    """The ``p`` percentile of durations in seconds, in minutes to one place."""
    found = percentile(values, p)
    return None if found is None else round(found / 60, 1)
