"""``orderwatchd rules check``, ``rules test`` and ``rules explain``, through the CLI."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest

from daemon.cli import main
from daemon.engine import RulesEngine
from daemon.rules.loader import load_rules
from sync.clock import VirtualClock
from sync.domain import FulfillmentStatus
from sync.store import Store
from tests.conftest import T0, OrderFactory

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """
rule_files = ["rules.toml"]
timezone = "UTC"

[[tests]]
name = "late order"
start = "2027-04-12T09:00:00"
events = [{ at = "+0m", order = { id = "A1", paid_at = "now" } }]
expect = [
  { at = "+1h", rule = "late", key = "A1", state = "STATE" },
  { between = ["+0m", "+2h"], notifications = ["late:A1:firing"] },
]

[[tests]]
name = "nothing paid"
start = "2027-04-12T09:00:00"
events = [{ at = "+0m", order = { id = "B1", payment_status = "pending" } }]
expect = [{ at = "+2h", rule = "late", key = "B1", absent = true }]
"""

RULES = """
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'"
timeout = "1h"
"""


def _files(folder: Path, state: str) -> Path:
    (folder / "rules.toml").write_text(RULES, encoding="utf-8")
    tests = folder / "rules_test.toml"
    tests.write_text(SCENARIO.replace("STATE", state), encoding="utf-8")
    return tests


def test_the_shipped_scenarios_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", str(ROOT / "rules_test.toml")]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out and "FAIL" not in out


def test_a_passing_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", str(_files(tmp_path, "firing"))]) == 0
    assert "2 scenarios: 2 passed, 0 failed" in capsys.readouterr().out


def test_a_failure_prints_the_instance_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "test", str(_files(tmp_path, "pending"))]) == 1
    out = capsys.readouterr().out
    assert "FAIL  late order" in out
    assert "rules_test.toml:10: at 2027-04-12 10:00 UTC (+1h): late A1: state is 'firing'" in out
    assert "timeline of late A1:" in out
    assert "2027-04-12 09:00 UTC  pending, deadline 2027-04-12 10:00 UTC, 1h on wall" in out
    assert "2027-04-12 10:00 UTC  firing" in out


def test_run_picks_scenarios_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", str(_files(tmp_path, "pending")), "--run", "nothing"]) == 0
    assert "1 scenarios: 1 passed" in capsys.readouterr().out


def test_junit_has_one_case_per_scenario_and_the_timeline_in_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "out.xml"
    assert main(["rules", "test", str(_files(tmp_path, "pending")), "--junit", str(report)]) == 1
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"late order", "nothing paid"}
    assert cases["nothing paid"].find("failure") is None
    failure = cases["late order"].find("failure")
    assert failure is not None and "state is 'firing'" in (failure.get("message") or "")
    assert "2027-04-12 10:00 UTC  firing" in (failure.text or "")


def test_junit_into_a_missing_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "nowhere" / "out.xml"
    assert main(["rules", "test", str(_files(tmp_path, "firing")), "--junit", str(report)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_broken_test_file_is_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = _files(tmp_path, "firing")
    tests.write_text(tests.read_text().replace('start = "2027', 'start = "soon'), "utf-8")
    assert main(["rules", "test", str(tests)]) == 1
    err = capsys.readouterr().err
    assert "rules_test.toml:7: tests[0].start: expected a time" in err


def test_check_summarises_and_lints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[segments]\nunused = "order.vip"\n[calendars.shut]\nholidays = []\n'
        + RULES
        + 'overrides = [{ name = "a", when = "order.vip", timeout = "1m" },'
        ' { name = "b", when = "order.vip and order.total > 3", timeout = "2m" }]\n',
        encoding="utf-8",
    )
    assert main(["rules", "check", str(rules)]) == 0
    out = capsys.readouterr().out
    assert "ok, 1 rule (1 timeout, 0 condition), 1 calendar, 0 periods, 1 segment" in out
    assert "rules.toml:2: segments.unused: warning: segment 'unused' is not used" in out
    assert "calendars.shut.hours: warning: this calendar has no open hours" in out
    assert "override 'b' can never apply: 'a' comes first" in out


def test_check_shows_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.replace('"1h"', '"soon"') + 'clock = "nowhere"\n', encoding="utf-8")
    assert main(["rules", "check", str(rules)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("orderwatchd: ") and "rules[0].timeout: 'soon' is not a" in err[0]
    assert "rules.toml:8: rules[0].clock: unknown clock 'nowhere'" in err[1]


async def _explained_db(folder: Path, make_order: OrderFactory) -> Path:
    db = folder / "orderwatch.db"
    store = await Store.open(db)
    held = make_order(
        1, paid_at=T0, fulfillment_status=FulfillmentStatus.ON_HOLD, tags=("vip",), rev=1
    )
    await store.save_order_page("shop", "x", [make_order(1, paid_at=T0, tags=("vip",))], "", T0)
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, load_rules(ROOT / "rules.toml"))
    await engine.tick()
    clock.set(T0 + timedelta(minutes=10))
    await store.save_order_page("shop", "x", [held], "", clock.now())
    await engine.tick()
    await store.close()
    return db


def test_explain_tells_the_override_windows_pause_and_why_not(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    db = asyncio.run(_explained_db(tmp_path, make_order))
    code = main(["rules", "explain", "1001", "--db", str(db), "--rules", str(ROOT / "rules.toml")])
    assert code == 0
    out = capsys.readouterr().out
    assert "paid_not_shipped: Paid but not shipped (order)" in out
    assert "timeout 1h from override 'vip or big' (vip or high_value)" in out
    assert "counts on calendar warehouse (Europe/Berlin)" in out
    assert "business windows counted:" in out
    assert "paused since 2026-11-20 09:10 CET (order.fulfillment_status == 'on_hold')" in out
    assert "packed_not_handed_over: Packed but not handed to the courier (order)" in out
    assert "not running: " in out


def test_explain_of_an_unknown_order_is_one_line(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    db = asyncio.run(_explained_db(tmp_path, make_order))
    assert (
        main(["rules", "explain", "999", "--db", str(db), "--rules", str(ROOT / "rules.toml")]) == 1
    )
    assert (
        capsys.readouterr().err.strip() == "orderwatchd: no order numbered '999' in this database"
    )


async def _stale_feed_db(folder: Path) -> Path:
    from sync.store import SourceTimer

    db = folder / "orderwatch.db"
    store = await Store.open(db)
    await store.save_source_timers(
        [SourceTimer("courier_feed_stale", "17track", "firing", T0, T0, None, None, {}, "late")]
    )
    await store.close()
    return db


def test_status_shows_a_stale_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = asyncio.run(_stale_feed_db(tmp_path))
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "feed alert   courier_feed_stale about 17track: firing since 2026-11-20T08:00:00" in out
