"""The SVG charts: one shape per figure, shop and courier text escaped."""

from __future__ import annotations

from daemon.reports import svg


def test_a_heatmap_has_a_cell_per_row_and_column() -> None:
    drawn = svg.heatmap(["a", "b"], ["x", "y", "z"], [[1, 0, 2], [0, 0, 5]], "demo")
    assert drawn.count('<rect class="cell"') == 6
    assert "<title>b z: 5</title>" in drawn


def test_courier_text_is_escaped() -> None:
    drawn = svg.bars([("<script>x</script> → 北京", 3.5)], "stalls", " h")
    assert "<script>" not in drawn
    assert "&lt;script&gt;x&lt;/script&gt; → 北京" in drawn


def test_an_empty_trend_draws_only_its_axis() -> None:
    drawn = svg.trend([], "nothing")
    assert "<polyline" not in drawn
    assert drawn.count("<line") == 1
