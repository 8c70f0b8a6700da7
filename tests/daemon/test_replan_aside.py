"""The re-plan helper process: it starts, answers, and never outlives the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.replan_aside import Helper, HelperGone, Setup
from daemon.rules.learned import RouteFigures
from sync.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)


def _setup(path: Path, text: str | None = None) -> Setup:
    rules = (ROOT / "rules.toml").read_text(encoding="utf-8") if text is None else text
    return Setup(str(path), rules, "rules.toml", RouteFigures(), (), None)


async def test_a_helper_answers_and_stops_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    await (await Store.open(path)).close()
    helper = Helper(_setup(path))
    try:
        helper.ask((1, 3), NOW)  # no such orders: nothing to decide
        helper.ask((4, 4), NOW)
        assert helper.answer() == ([], 0)
        assert helper.answer() == ([], 0)
    finally:
        helper.stop()
    assert helper._process.returncode == 0


async def test_a_helper_exits_when_the_engine_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "mirror.db"
    await (await Store.open(path)).close()
    helper = Helper(_setup(path))
    helper._pipe.close()  # as when the daemon is killed: no goodbye, the socket just closes
    assert helper._process.wait(timeout=30) == 0


def test_a_helper_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(HelperGone, match=r"the helper cannot start: .*does not exist"):
        Helper(_setup(tmp_path / "no-such-folder" / "mirror.db"))


def test_a_helper_given_bad_rules_says_why(tmp_path: Path) -> None:
    with pytest.raises(HelperGone, match=r"the helper cannot start: rules\.toml:2: syntax"):
        Helper(_setup(tmp_path / "mirror.db", "schema = [\n"))
