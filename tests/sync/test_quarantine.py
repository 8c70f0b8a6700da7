"""Quarantined export rows: stage rows that wait for their order, and agents' retry and discard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.clock import VirtualClock
from sync.connectors.csv_drop import import_path
from sync.errors import ActionError, ConflictError
from sync.store import Store
from tests.conftest import T0, OrderFactory

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"
STAGES = FIXTURES / "warehouse_stages.csv"
WAITING = "3871204419020569999"
HEADER = "平台订单号,占库时间,拣货时间,打包时间,出库时间\n"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


def _stage_file(tmp_path: Path, number: str, name: str = "wms.csv") -> Path:
    path = tmp_path / name
    row = f"{number},2026-11-20 10:00:00,2026-11-20 11:00:00,,\n"
    path.write_text(HEADER + row, encoding="utf-8")
    return path


async def _waiting(store: Store) -> list[str]:
    return sorted(q.waiting_for for q in await store.quarantined(limit=100) if q.waiting)


async def test_a_stage_row_before_its_order_waits_in_quarantine(
    store: Store, clock: VirtualClock
) -> None:
    await import_path(store, STAGES, "wms", clock)
    rows = {q.waiting_for: q for q in await store.quarantined(limit=100)}
    assert WAITING in rows
    assert rows[WAITING].cells["stock reserved"] == "2026-11-20T02:00:00Z"
    assert rows[WAITING].where == "warehouse_stages.csv:4"


async def test_a_waiting_stage_row_lands_when_its_order_is_first_mirrored(
    store: Store, clock: VirtualClock, make_order: OrderFactory
) -> None:
    await import_path(store, STAGES, "wms", clock)
    changed = await store.save_order_page(
        "shop", "shopify", [make_order(7, number=WAITING)], "c1", T0
    )
    order = await store.order_by_number(WAITING)
    assert order is not None and changed == [order.id]
    assert order.reserved_at == datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert WAITING not in await _waiting(store)
    lines = [(e.kind, e.field, e.actor) for e in await store.events(order.id)]
    assert ("stage", "reserved_at", "wms") in lines
    assert ("quarantine", "released", "wms") in lines


async def test_a_waiting_row_is_matched_with_or_without_the_hash(
    store: Store, clock: VirtualClock, tmp_path: Path, make_order: OrderFactory
) -> None:
    await import_path(store, _stage_file(tmp_path, "#5005"), "wms", clock)
    await store.save_order_page("shop", "shopify", [make_order(5, number="5005")], "c1", T0)
    order = await store.order_by_number("5005")
    assert order is not None and order.picked_at == datetime(2026, 11, 20, 3, tzinfo=UTC)
    assert await store.quarantine_total() == 0


async def test_an_update_of_a_known_order_leaves_other_waiting_rows_alone(
    store: Store, clock: VirtualClock, tmp_path: Path, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "c1", T0)
    await import_path(store, _stage_file(tmp_path, "#9999"), "wms", clock)
    await store.save_order_page("shop", "shopify", [make_order(1, rev=1)], "c2", T0)
    assert await _waiting(store) == ["9999"]


async def test_an_agent_retries_a_waiting_row_once_its_order_is_there(
    store: Store, clock: VirtualClock, tmp_path: Path, make_order: OrderFactory
) -> None:
    await import_path(store, _stage_file(tmp_path, "#7007"), "wms", clock)
    (row,) = await store.quarantined()
    with pytest.raises(ActionError, match="still no order numbered #7007"):
        await store.retry_quarantined(row.id, "li.na", T0)
    # A row kept before rows were released on arrival: only a retry applies it.
    await store.db.conn.execute("UPDATE quarantine SET waiting_for = 'other'")
    await store.save_order_page("shop", "shopify", [make_order(7, number="#7007")], "c1", T0)
    retried = await store.retry_quarantined(row.id, "li.na", T0)
    assert retried.changed
    assert await store.quarantine_total() == 0
    lines = [(e.kind, e.field, e.actor) for e in await store.events(retried.order_id)]
    assert ("stage", "picked_at", "li.na") in lines
    assert ("quarantine", "retried", "li.na") in lines


async def test_a_row_that_could_not_be_read_cannot_be_retried(
    store: Store, clock: VirtualClock
) -> None:
    await import_path(store, STAGES, "wms", clock)
    (bad,) = [q for q in await store.quarantined() if not q.waiting]
    with pytest.raises(ActionError, match="fix the export"):
        await store.retry_quarantined(bad.id, "li.na", T0)


async def test_discarding_a_row_leaves_an_audit_line(store: Store, clock: VirtualClock) -> None:
    await import_path(store, STAGES, "wms", clock)
    before = await store.quarantine_total()
    (bad,) = [q for q in await store.quarantined() if not q.waiting]
    await store.discard_quarantined(bad.id, "li.na", T0)
    assert await store.quarantine_total() == before - 1
    row = await store.db.fetchone(
        "SELECT actor, field, from_value, detail FROM events WHERE subject_kind = 'quarantine'"
    )
    assert row is not None
    assert (row["actor"], row["field"], row["from_value"]) == (
        "li.na",
        "discarded",
        "warehouse_stages.csv:5",
    )
    with pytest.raises(ConflictError):
        await store.discard_quarantined(bad.id, "wang.fang", T0)
