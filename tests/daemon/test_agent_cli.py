"""``orderwatchd ack|take|assign|snooze|note|resolve|reopen|escalate`` and ``audit``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.agent_cli import ACTIONS, agent_login
from daemon.cli import AGENT_COMMANDS, main
from sync.domain import EscalationRow, OrderRecord, TimerState
from sync.store import Store, TimerDecision
from tests.conftest import T0, OrderFactory


async def _seed(db: Path, order: OrderRecord) -> None:
    store = await Store.open(db)
    try:
        (order_id,) = await store.save_order_page("shop", "shopify", [order], "", T0)
        decision = TimerDecision(
            rule_id="paid_not_shipped",
            subject_kind="order",
            subject_id=order_id,
            order_id=order_id,
            state=TimerState.FIRING,
            started_at=T0,
            deadline_at=T0 + timedelta(hours=4),
            warn_at=None,
            next_at=None,
            rules_version="v1",
            summary="Order #1001 late",
        )
        await store.save_timers([decision], T0 + timedelta(hours=4))
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
def db(tmp_path: Path, make_order: OrderFactory) -> Path:
    path = tmp_path / "orderwatch.db"
    asyncio.run(_seed(path, make_order(1)))
    return path


def test_every_agent_command_is_dispatched() -> None:
    others = {"audit", "escalations", "push-tracking", "refresh", "dismiss"}
    assert frozenset({*ACTIONS, *others}) == AGENT_COMMANDS


def test_ack_acts_as_the_os_login(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ack", "1", "--db", str(db)]) == 0
    login = agent_login()
    out = capsys.readouterr().out
    said = "escalation 1 (#1001 paid_not_shipped): acknowledged at level 1"
    assert out == f"{said}, owner {login} (version 2)\n"
    assert asyncio.run(_escalation(db)).acked_by == login


def test_a_lost_race_exits_1_and_names_who_won(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["take", "1", "--db", str(db)]) == 0
    assert main(["assign", "1", "ben", "--version", "1", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err == f"orderwatchd: escalation 1 was changed by {agent_login()} (taken) first\n"


def test_snooze_takes_a_duration(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snooze", "1", "--for", "2h", "--db", str(db)]) == 0
    assert "snoozed until" in capsys.readouterr().out
    assert asyncio.run(_escalation(db)).snoozed_until is not None


def test_resolve_with_an_unknown_reason_is_one_readable_line(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["resolve", "1", "--reason", "lazy", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("orderwatchd: unknown delay reason 'lazy' (reasons: payment_failed, ")
    assert err.count("\n") == 1


def test_an_unknown_escalation_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["escalate", "9", "--db", str(db)]) == 1
    assert capsys.readouterr().err == "orderwatchd: escalation 9 does not exist\n"


def test_audit_prints_who_when_what_and_from_to(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["resolve", "1", "--reason", "other", "--note", "customer moved", "--db", str(db)])
    main(["reopen", "1", "--db", str(db)])
    capsys.readouterr()
    assert main(["audit", "1001", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    login = agent_login()
    assert lines[0] == "order #1001 (shop gid://shopify/Order/1), 6 entries"
    assert lines[1].startswith("2026-11-20 08:01:00Z  shop")
    assert any(
        f"{login}" in line and "resolved escalation 1 paid_not_shipped  firing → resolved" in line
        for line in lines
    )
    assert any("note escalation 1 paid_not_shipped  (customer moved)" in line for line in lines)
    assert lines[-1].endswith("reopened escalation 1 paid_not_shipped  resolved → firing")
