"""The ``orderwatch`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.__main__ import DEFAULT_DB, database_path, main


def test_a_missing_database_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(tmp_path / "none.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"orderwatch: no database at {tmp_path / 'none.db'}")


def test_help_says_what_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "agents' console" in out
    assert "--db PATH" in out


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--nope"])
    assert done.value.code == 2


def test_database_path_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_path(None) == DEFAULT_DB
    monkeypatch.setenv("ORDERWATCH_DB", "/srv/shop.db")
    assert database_path(None) == Path("/srv/shop.db")
    assert database_path(Path("given.db")) == Path("given.db")
