"""``guard.*`` fields in ``rules explain`` (read from the store) and in ``rules test`` (set by
a scenario's order events)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from daemon.cli import main
from sync.guards import Check, Finding, Outcome
from sync.store import Store
from tests.conftest import T0, OrderFactory

RULES = """
[[rules]]
id = "bad_address"
subject = "order"
fires_when = "guard.address_problem and order.fulfillment_status == 'unfulfilled'"
severity = "warning"
"""

SCENARIOS = """
rule_files = ["rules.toml"]
timezone = "UTC"

[fixtures.orders]
no_phone = { guards = ["address_problem"] }

[[tests]]
name = "a guard flag set by the scenario fires the rule; taking it down resolves it"
start = "2027-04-12T09:00:00"
events = [
  { at = "+0m", order = { id = "A1", fixture = "no_phone" } },
  { at = "+0m", order = { id = "B1", guards = [] } },
  { at = "+1h", order = { id = "A1", guards = [] } },
]
expect = [
  { at = "+0m", rule = "bad_address", key = "A1", state = "firing" },
  { at = "+0m", rule = "bad_address", key = "B1", absent = true },
  { at = "+1h", rule = "bad_address", key = "A1", state = "resolved" },
]
"""


def _files(folder: Path, scenarios: str = SCENARIOS) -> Path:
    (folder / "rules.toml").write_text(RULES, encoding="utf-8")
    tests = folder / "rules_test.toml"
    tests.write_text(scenarios, encoding="utf-8")
    return tests


def test_a_scenario_sets_guard_flags_on_an_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rules", "test", str(_files(tmp_path))])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 scenarios: 1 passed, 0 failed" in out


def test_an_unknown_guard_in_a_scenario_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = SCENARIOS.replace('["address_problem"]', '["adress_problem"]')
    assert main(["rules", "test", str(_files(tmp_path, broken))]) == 1
    err = capsys.readouterr().err
    assert "unknown guard 'adress_problem' (known: address_problem, " in err
    assert err.count("\n") == 1


async def _flagged_db(folder: Path, make_order: OrderFactory) -> Path:
    db = folder / "orderwatch.db"
    store = await Store.open(db)
    try:
        (order_id,) = await store.save_order_page("shop", "x", [make_order(1)], "", T0)
        finding = Finding(Check.ADDRESS_PROBLEM, "no phone number", T0)
        await store.save_guard_outcome([order_id], {}, Outcome({order_id: (finding,)}), T0)
    finally:
        await store.close()
    return db


def test_explain_reads_the_orders_guard_flags(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    db = asyncio.run(_flagged_db(tmp_path, make_order))
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    rules = str(tmp_path / "rules.toml")
    code = main(["rules", "explain", "1001", "--db", str(db), "--rules", rules])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "guard flags up: address_problem" in out
    assert "bad_address: " in out and "fires_when holds since" in out
    assert "not running" not in out
