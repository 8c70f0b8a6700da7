"""The console's settings file: defaults, role views, and every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import ConfigError
from sync.store.views import Group, Sort, View
from tui.__main__ import main
from tui.config import DEFAULT_VIEWS, ConsoleConfig, default_path, load_config

GOOD = """
[daemon]
something = "not the console's business"

[console]
theme = "textual-light"
language = "zh"
undo_seconds = 3
export_dir = "~/exports"

[[console.views]]
name = "packing"
title = "To pack"
filter = "stage:picked status:paid"
group = "stage"
sort = "-age"

[[console.views]]
name = "returns"
orders = "all"
filter = "parcel:returning,returned"
"""


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    assert default_path() == tmp_path / "home" / ".config" / "orderwatch" / "console.toml"
    assert load_config(None) == ConsoleConfig()
    assert [v.name for v in ConsoleConfig().views] == ["ship-today", "support"]


def test_a_console_table_with_role_views(tmp_path: Path) -> None:
    path = tmp_path / "orderwatch.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert (config.theme, config.language, config.undo_seconds) == ("textual-light", "zh", 3.0)
    assert config.export_dir == tmp_path / "home" / "exports"
    packing, returns = config.views
    assert (packing.title, packing.group, packing.sort, packing.reverse) == (
        "To pack",
        Group.STAGE,
        Sort.AGE,
        True,
    )
    assert (returns.title, returns.orders) == ("returns", View.ALL)


def test_the_default_file_is_read_when_present(tmp_path: Path) -> None:
    default_path().parent.mkdir(parents=True)
    default_path().write_text('[console]\nlanguage = "zh"\n', encoding="utf-8")
    config = load_config(None)
    assert config.language == "zh"
    assert config.views == DEFAULT_VIEWS


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[console]\ncolour = "red"\ntheme = "neon"\npoll_seconds = -1\n'
        '[[console.views]]\nname = "x y"\nfilter = "status:exeption"\nsort = "size"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    problems = raised.value.problems
    assert len(problems) == 6
    assert all(problem.startswith(f"{path}: console.") for problem in problems)
    assert any("console.views[0].filter" in p and "exception" in p for p in problems)


def test_a_missing_given_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "none.toml")


def test_the_command_says_each_problem_on_one_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "orderwatch.db"
    db.touch()
    config = tmp_path / "bad.toml"
    config.write_text('[console]\ntheme = "neon"\nundo_seconds = "soon"\n', encoding="utf-8")
    assert main(["--db", str(db), "--config", str(config)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("orderwatch: ") for line in lines)
