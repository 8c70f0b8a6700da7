"""``rules suggest``: each order rule's runs rebuilt from the timeline, checked by hand.

Four orders paid at PAID; three are fulfilled 2, 6 and 10 hours later, one never is. The window
is two days from PAID, so the open one has run 48 hours by its end.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.reports.backtest import backtest, backtest_lines
from daemon.reports.command import backtest_command, suggest
from daemon.reports.suggest import collect_runs, order_at, suggestion_lines, suggestions
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import FulfillmentStatus
from sync.store import Store
from tests.conftest import T0, OrderFactory

PAID = T0
END = PAID + timedelta(days=2)

RULES = """
schema = 1
timezone = "UTC"

[segments]
small = "order.total < 100"
feed_broken = "source.breaker == 'open'"

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = '''
  order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'
  and order.lifecycle == 'open'
'''
timeout = "4h"
severity = "warning"
summary = "Order {order.number} paid {elapsed} ago, not shipped"
"""


async def _seed(store: Store, make_order: OrderFactory) -> None:
    opened = [
        make_order(n, created_at=PAID, paid_at=PAID, total="50.00" if n == 1 else "199.00")
        for n in (1, 2, 3, 4)
    ]
    await store.save_order_page("shop", "shopify", opened, "", PAID)
    for n, hours in ((1, 2), (2, 6), (3, 10)):
        shipped = make_order(
            n,
            created_at=PAID,
            paid_at=PAID,
            total="50.00" if n == 1 else "199.00",
            updated_at=PAID + timedelta(hours=hours),
            fulfillment_status=FulfillmentStatus.FULFILLED,
            rev=1,
        )
        await store.save_order_page("shop", "shopify", [shipped], "", PAID)


@pytest.fixture
async def seeded_db(tmp_path: Path, make_order: OrderFactory) -> Path:
    path = tmp_path / "history.db"
    store = await Store.open(path)
    await _seed(store, make_order)
    await store.close()
    return path


async def test_runs_end_when_the_timeline_says_the_order_shipped(
    store: Store, make_order: OrderFactory
) -> None:
    await _seed(store, make_order)
    runs = await collect_runs(store, parse_rules(RULES), PAID, END)
    assert sorted((r.seconds / 3600, r.finished) for r in runs["paid_not_shipped"]) == [
        (2.0, True),
        (6.0, True),
        (10.0, True),
        (48.0, False),
    ]


async def test_suggestions_give_percentiles_and_escalations_a_day(
    store: Store, make_order: OrderFactory
) -> None:
    await _seed(store, make_order)
    rules = parse_rules(RULES)
    rows = suggestions(rules, await collect_runs(store, rules, PAID, END), 2)
    assert rows[0] == {
        "rule": "paid_not_shipped",
        "segment": "all",
        "runs": 4,
        "finished": 3,
        "p50_hours": 6.0,
        "p90_hours": 10.0,
        "p95_hours": 10.0,
        "timeout_hours": 4.0,
        "escalations_per_day": {"current": 1.5, "p90": 0.5, "p95": 0.5},
    }
    assert rows[1]["segment"] == "small"
    assert (rows[1]["runs"], rows[1]["p90_hours"]) == (1, 2.0)
    assert len(rows) == 2
    assert suggestion_lines(rows, 2)[1] == (
        "paid_not_shipped [all]: 4 runs (3 finished), p50 6.0; timeout 4.0 (1.5), "
        "p90 10.0 (0.5), p95 10.0 (0.5)"
    )


async def test_the_order_is_rebuilt_as_it_stood(store: Store, make_order: OrderFactory) -> None:
    await _seed(store, make_order)
    (order,) = await store.orders_by_id([2])
    history = await store.status_history([2])
    assert order_at(order, history[2], PAID + timedelta(hours=5)).fulfillment_status == (
        "unfulfilled"
    )
    assert order_at(order, history[2], PAID + timedelta(hours=6)).fulfillment_status == "fulfilled"


async def test_the_command_prints_json_per_rule_and_segment(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "shop.db"
    store = await Store.open(path)
    await _seed(store, make_order)
    await store.close()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    done = await suggest(
        "2d",
        rules_path=rules,
        db=path,
        config=tmp_path / "none.toml",
        as_json=True,
        clock=VirtualClock(END),
    )
    assert done == 0
    found = json.loads(capsys.readouterr().out)
    assert found["days"] == 2
    assert [(r["segment"], r["runs"]) for r in found["rules"]] == [("all", 4), ("small", 1)]


async def test_a_backtest_counts_escalations_per_day_for_both_files(
    store: Store, make_order: OrderFactory
) -> None:
    await _seed(store, make_order)
    current = parse_rules(RULES)
    candidate = parse_rules(RULES.replace('timeout = "4h"', 'timeout = "8h"'))
    result = await backtest(store, current, candidate, PAID, END)
    (row,) = result["rules"]
    assert (row["rule"], row["current"], row["candidate"]) == ("paid_not_shipped", 3, 2)
    assert row["per_day"] == [
        {"day": "2026-11-20", "current": 3, "candidate": 2},
        {"day": "2026-11-21", "current": 0, "candidate": 0},
        {"day": "2026-11-22", "current": 0, "candidate": 0},
    ]
    assert backtest_lines(result)[2] == "  paid_not_shipped: 3 -> 2 (11-20 3->2)"


async def test_the_backtest_command_reads_both_files(
    tmp_path: Path, seeded_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current, candidate = tmp_path / "rules.toml", tmp_path / "candidate.toml"
    current.write_text(RULES, encoding="utf-8")
    candidate.write_text(RULES.replace('timeout = "4h"', 'timeout = "8h"'), encoding="utf-8")
    done = await backtest_command(
        candidate,
        "2d",
        rules_path=current,
        db=seeded_db,
        config=tmp_path / "none.toml",
        as_json=False,
        clock=VirtualClock(END),
    )
    assert done == 0
    assert "  paid_not_shipped: 3 -> 2 (11-20 3->2)" in capsys.readouterr().out.splitlines()


def test_a_bad_window_is_one_readable_line(
    seeded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    args = ["rules", "backtest", str(rules), "--rules", str(rules), "--db", str(seeded_db)]
    assert main([*args, "--since", "a month"]) == 1
    assert capsys.readouterr().err.startswith("orderwatchd: --since: ")
