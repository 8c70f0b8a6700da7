from __future__ import annotations

from daemon.rules.locate import key_lines, line_of

TEXT = """\
# comment
schema = 1

[[rules]]
id = "a"
summary = \"\"\"two
lines\"\"\"
overrides = [
  { when = "order.vip", timeout = "1h" },   # first
  { when = "order.total > 1", timeout = "2h" },
]

[[rules]]
id = "b"
labels.team = "w"

[periods.holidays]
dates = [
  "2025-12-25",
]
"""


def test_key_lines_follow_tables_arrays_and_inline_tables() -> None:
    lines = key_lines(TEXT)
    assert lines[("schema",)] == 2
    assert lines[("rules", 0)] == 4
    assert lines[("rules", 0, "overrides")] == 8
    assert lines[("rules", 0, "overrides", 1, "timeout")] == 10
    assert lines[("rules", 1, "id")] == 14
    assert lines[("rules", 1, "labels", "team")] == 15
    assert lines[("periods", "holidays", "dates", 0)] == 19


def test_multi_line_strings_count_their_lines() -> None:
    lines = key_lines(TEXT)
    assert lines[("rules", 0, "summary")] == 6
    assert lines[("rules", 0, "overrides", 0, "when")] == 9


def test_line_of_falls_back_to_the_nearest_parent() -> None:
    lines = key_lines('[[rules]]\nid = "a"\n\n[[rules]]\nid = "b"\n')
    assert line_of(lines, ("rules", 1, "timeout")) == 4
    assert line_of(lines, ("nowhere",)) == 1
