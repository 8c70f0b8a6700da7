"""``orderwatchd escalations`` and the agents' actions on an escalation about a feed."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.agent_cli import agent_login
from daemon.cli import main
from sync.domain import EscalationRow, TimerState
from sync.store import FeedMove, SourceTimer, Store
from tests.conftest import T0

FIRED = T0 + timedelta(minutes=10)


async def _seed(db: Path) -> None:
    store = await Store.open(db)
    try:
        timer = SourceTimer(
            rule_id="courier_feed_stale",
            source="17track",
            state=TimerState.FIRING,
            since=T0,
            fired_at=FIRED,
            last_true_at=FIRED,
            next_at=None,
            summary="Tracking feed 17track has not answered for 3h",
            rules_version="v1",
        )
        move = FeedMove("courier_feed_stale", "17track", opens=True, severity="critical",
                        summary=timer.summary)  # fmt: skip
        await store.save_source_timers([timer], [move], FIRED)
    finally:
        await store.close()


async def _escalation(db: Path) -> EscalationRow:
    store = await Store.open(db)
    try:
        found = await store.escalation(1)
        assert found is not None
        return found
    finally:
        await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "orderwatch.db"
    asyncio.run(_seed(path))
    return path


def test_the_list_names_the_feed_a_feed_escalation_is_about(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["escalations", "--db", str(db)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split()[:7] == [
        "1", "firing", "level", "1", "critical", "17track", "courier_feed_stale"
    ]  # fmt: skip


def test_the_json_list_has_a_source_and_no_order(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["escalations", "--json", "--db", str(db)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["order"], found["source"], found["rule"]) == (
        None,
        "17track",
        "courier_feed_stale",
    )


async def _empty(path: Path) -> None:
    await (await Store.open(path)).close()


def test_an_empty_list_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.db"
    asyncio.run(_empty(path))
    assert main(["escalations", "--db", str(path)]) == 0
    assert capsys.readouterr().out == "no open escalations\n"


def test_ack_take_note_and_resolve_a_feed_escalation(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ack", "1", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith(
        "escalation 1 (17track courier_feed_stale): acknowledged at level 1"
    )
    assert main(["note", "1", "17TRACK says their API is down", "--db", str(db)]) == 0
    assert main(["take", "1", "--db", str(db)]) == 0
    assert main(["resolve", "1", "--reason", "other", "--note", "back", "--db", str(db)]) == 0
    done = asyncio.run(_escalation(db))
    assert (done.state, done.resolved_by, done.source) == ("resolved", agent_login(), "17track")


def test_audit_of_a_feed_escalation_prints_its_own_timeline(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ack", "1", "--db", str(db)]) == 0
    assert main(["note", "1", "17TRACK says their API is down", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["audit", "--escalation", "1", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("escalation 1 (courier_feed_stale, feed 17track), ")
    assert any(
        "escalation 1" in line and "17TRACK says their API is down" in line for line in lines
    )
    assert any(agent_login() in line and "acknowledged" in line for line in lines)


def test_audit_wants_an_order_or_an_escalation(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--db", str(db)]) == 1
    assert "audit takes one order number or one --escalation N" in capsys.readouterr().err
    assert main(["audit", "--escalation", "9", "--db", str(db)]) == 1
    assert "no escalation numbered 9" in capsys.readouterr().err
