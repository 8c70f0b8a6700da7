"""Folding changed orders into a sorted id list, and the grouped list's line map."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.merge import MergeFailed, merge
from tui.widgets.layout import Heading, Layout


def fetcher(keys: dict[int, tuple[Any, ...]], asked: list[int] | None = None) -> Any:
    async def fetch(ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        if asked is not None:
            asked.extend(ids)
        return {i: keys[i] for i in ids if i in keys}

    return fetch


def ordered(keys: dict[int, tuple[Any, ...]], members: set[int], descending: bool) -> list[int]:
    return sorted(members, key=lambda i: keys[i], reverse=descending)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(0, 60),
    changed=st.sets(st.integers(0, 80), max_size=12),
    leave=st.data(),
    descending=st.booleans(),
)
async def test_merge_matches_sorting_from_scratch(
    size: int, changed: set[int], leave: st.DataObject, descending: bool
) -> None:
    keys = {i: (f"2026-11-{(i * 7) % 28 + 1:02d}", i) for i in range(81)}
    listed = set(range(size))
    belong = {i for i in changed if leave.draw(st.booleans(), label=f"belongs {i}")}
    ids = array("q", ordered(keys, listed, descending))
    merged = await merge(ids, changed, belong, fetcher(keys), descending=descending)
    expected = ordered(keys, (listed - changed) | belong, descending)
    assert list(merged) == expected


async def test_few_keys_are_read_for_a_long_list() -> None:
    keys = {i: (i,) for i in range(100_001)}
    ids = array("q", range(100_000, 0, -1))
    asked: list[int] = []
    merged = await merge(ids, {100_000 + 0}, {100_000}, fetcher(keys, asked), descending=True)
    assert merged[0] == 100_000
    assert len(asked) < 40


async def test_a_vanished_order_gives_up() -> None:
    with pytest.raises(MergeFailed):
        await merge(array("q", [3, 2, 1]), {9}, {9}, fetcher({1: (1,)}), descending=True)


def test_layout_maps_rows_and_headings() -> None:
    layout = Layout(5, [("waiting", 2), ("picked", 3)])
    assert layout.rows == 7
    shown = [layout.at(row) for row in range(7)]
    assert shown == [Heading("waiting", 2), 0, 1, Heading("picked", 3), 2, 3, 4]
    assert [layout.row_of(i) for i in range(5)] == [1, 2, 4, 5, 6]
    assert Layout(3).at(2) == 2
