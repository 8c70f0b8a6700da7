"""Heatmap shading by the quarter a count ranks in among the map's different counts."""

from __future__ import annotations

from tui.report_cells import heatmap, scale


def test_each_quarter_of_the_counts_has_its_shade() -> None:
    shades = scale([[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 0]])
    assert [shades.level(v) for v in range(9)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert shades.legend() == [("·", "0"), ("░", "1–2"), ("▒", "3–4"), ("▓", "5–6"), ("█", "7–8")]


def test_equal_counts_share_the_darkest_shade() -> None:
    shades = scale([[3, 0], [3, 3]])
    assert shades.level(3) == 4
    assert shades.legend() == [("·", "0"), ("█", "3")]


def test_a_skewed_period_keeps_one_busy_cell_apart() -> None:
    shades = scale([[1, 1, 1, 1, 1, 1, 1, 9]])
    assert (shades.level(1), shades.level(9)) == (2, 4)
    shades = scale([[1, 1, 1, 2, 2, 2, 3, 9]])
    assert [shades.level(v) for v in (1, 2, 3, 9)] == [1, 2, 3, 4]


def test_nothing_is_dots_and_a_legend_of_zero() -> None:
    assert scale([[0, 0]]).legend() == [("·", "0")]


def test_a_map_reads_without_colour() -> None:
    """Three different counts: each is a third of them, so 1 ranks in the second quarter."""
    text = heatmap(
        ["customs", "a very long delay reason name"],
        ["Mon", "Tue"],
        [[2, 0], [1, 4]],
        label_width=12,
        cell_width=4,
        totals=True,
    ).plain.splitlines()
    assert text == [
        "            Mon Tue   all",
        "customs     ▓▓▓ ·       2",
        "a very lon… ▒▒▒ ███     5",
        "shades: · 0   ▒ 1   ▓ 2   █ 4",
    ]
