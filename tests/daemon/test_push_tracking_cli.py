"""``orderwatchd push-tracking ORDER [--tracking NUMBER]``: queue, audit line, readable refusals."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from daemon.agent_cli import agent_login
from daemon.cli import main
from sync.domain import FulfillmentStatus, Lifecycle, OrderRecord
from sync.store import PushRow, Store
from tests.conftest import T0, OrderFactory


async def _seed(db: Path, orders: list[OrderRecord], kind: str = "shopify") -> None:
    store = await Store.open(db)
    try:
        await store.save_order_page("shop", kind, orders, "", T0)
    finally:
        await store.close()


async def _pushes(db: Path, number: str) -> list[PushRow]:
    store = await Store.open(db)
    try:
        order = await store.order_by_number(number)
        assert order is not None
        return await store.tracking_pushes(order.id)
    finally:
        await store.close()


def in_progress(make_order: OrderFactory, n: int, tracking: str = "SF1400000001") -> OrderRecord:
    """Shipped at the courier, still in progress at the shop."""
    record = make_order(n, tracking=tracking)
    return replace(record, fulfillment_status=FulfillmentStatus.IN_PROGRESS)


@pytest.fixture
def db(tmp_path: Path, make_order: OrderFactory) -> Path:
    path = tmp_path / "orderwatch.db"
    orders = [
        in_progress(make_order, 1),
        make_order(2),
        replace(in_progress(make_order, 3), lifecycle=Lifecycle.CANCELLED),
    ]
    asyncio.run(_seed(path, orders))
    return path


def test_the_number_the_shop_lacks_is_queued_and_named(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push-tracking", "1001", "--db", str(db)]) == 0
    said = capsys.readouterr().out
    (push,) = asyncio.run(_pushes(db, "#1001"))
    assert "order #1001: tracking SF1400000001 for shop queued" in said
    assert (push.state, push.push.tracking_number, push.push.agent) == (
        "pending",
        "SF1400000001",
        agent_login(),
    )


def test_the_audit_trail_shows_who_asked_for_the_push(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["push-tracking", "#1001", "--db", str(db)])
    capsys.readouterr()
    assert main(["audit", "1001", "--db", str(db)]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "push_tracking" in line]
    assert f"  {agent_login()}" in line
    assert "push_tracking shop" in line and "SF1400000001  (queued)" in line


def test_asking_twice_queues_once(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["push-tracking", "1001", "--db", str(db)])
    assert main(["push-tracking", "1001", "--db", str(db)]) == 0
    assert "already waiting to go out" in capsys.readouterr().out
    assert len(asyncio.run(_pushes(db, "#1001"))) == 1


def test_a_number_given_by_the_agent_goes_to_an_order_without_parcels(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["push-tracking", "1002", "--tracking", "YT7788", "--carrier", "YTO", "--db", str(db)]
    assert main(argv) == 0
    (push,) = asyncio.run(_pushes(db, "#1002"))
    assert (push.push.tracking_number, push.push.company) == ("YT7788", "YTO")


def test_an_order_with_nothing_to_push_says_how_to_give_a_number(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push-tracking", "1002", "--db", str(db)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "orderwatchd: order #1002 has no tracking number the shop lacks; give one with --tracking"
    )


def test_a_cancelled_order_is_refused_in_one_line(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push-tracking", "1003", "--tracking", "SF9", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == (
        "orderwatchd: order #1003 is cancelled: nothing to push"
    )


def test_an_unknown_order_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["push-tracking", "4242", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == "orderwatchd: no order numbered '4242'"


def test_an_order_from_a_csv_drop_cannot_be_pushed(
    tmp_path: Path, make_order: OrderFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "drop.db"
    asyncio.run(_seed(path, [in_progress(make_order, 1)], kind="csv"))
    assert main(["push-tracking", "1001", "--db", str(path)]) == 1
    assert "which orderwatch cannot write to" in capsys.readouterr().err
