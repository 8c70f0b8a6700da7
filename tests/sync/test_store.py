from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    ShipmentStatus,
    TimerState,
    TrackRecord,
)
from sync.errors import ConflictError, StoreError
from sync.store import OrderQuery, Store, TimerDecision, View
from sync.store.migrations import MIGRATIONS
from tests.conftest import T0, OrderFactory


async def test_opening_sets_wal_and_migrates(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    await store.close()
    raw = sqlite3.connect(tmp_path / "a.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] >= 1
    raw.close()
    again = await Store.open(tmp_path / "a.db")  # a second start applies nothing twice
    await again.close()


async def test_missing_folder_is_a_readable_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        await Store.open(tmp_path / "nope" / "a.db")


async def test_same_page_twice_changes_nothing(store: Store, make_order: OrderFactory) -> None:
    page = [make_order(1), make_order(2, tracking="SF1234567890")]
    first = await store.save_order_page("shop", "shopify", page, "c1", T0)
    seq = await store.change_seq()
    events = len(await store.events(first[0])) + len(await store.events(first[1]))
    second = await store.save_order_page("shop", "shopify", page, "c1", T0)
    assert len(first) == 2
    assert second == []
    assert await store.order_count() == 2
    assert len(await store.events(first[0])) + len(await store.events(first[1])) == events
    ids, _ = await store.changed_order_ids(seq)
    assert ids == []


async def test_one_big_write_comes_back_whole(store: Store, make_order: OrderFactory) -> None:
    seq = await store.change_seq()
    saved = await store.save_order_page(
        "shop", "shopify", [make_order(n) for n in range(1, 8)], "c1", T0
    )
    ids, high = await store.changed_order_ids(seq, limit=3)
    assert sorted(ids) == sorted(saved)
    assert await store.changed_order_ids(high, limit=3) == ([], high)


async def test_changes_at_skipped_stamps_are_left_out(
    store: Store, make_order: OrderFactory
) -> None:
    seq = await store.change_seq()
    first = await store.save_order_page("shop", "shopify", [make_order(1)], "c1", T0)
    skipped = await store.change_seq()
    await store.save_order_page("shop", "shopify", [make_order(2)], "c2", T0)
    third = await store.save_order_page("shop", "shopify", [make_order(3)], "c3", T0)
    ids, high = await store.changed_order_ids(seq, skip=[skipped + 1, seq - 5])
    assert ids == [*first, *third]
    assert high == await store.change_seq()
    ids, high = await store.changed_order_ids(seq, limit=1, skip=[skipped + 1])
    assert ids == first
    assert await store.changed_order_ids(high, limit=1, skip=[skipped + 1]) == (third, high + 2)


async def test_a_write_committed_while_changes_are_read_is_found_next_time(
    store: Store, make_order: OrderFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection (the console, an import) commits right after the changed orders are
    read: the stamp handed back must not count its write as seen."""
    seq = await store.change_seq()
    first = await store.save_order_page("shop", "shopify", [make_order(1)], "c1", T0)
    other = await Store.open(tmp_path / "orderwatch.db")
    late: list[int] = []
    read = store.db.fetchall

    async def then_a_write(sql: str, params: object = ()) -> list[sqlite3.Row]:
        rows = await read(sql, params)  # type: ignore[arg-type]
        if not late:
            late.extend(await other.save_order_page("web", "shopify", [make_order(2)], "", T0))
        return rows

    monkeypatch.setattr(store.db, "fetchall", then_a_write)
    try:
        ids, high = await store.changed_order_ids(seq)
    finally:
        await other.close()
    assert ids == first
    assert late
    assert await store.changed_order_ids(high) == (late, await store.change_seq())


async def test_cursor_is_saved_with_the_page(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "cursor-after-1", T0)
    source = await store.source("shop")
    assert source is not None
    assert source.cursor == "cursor-after-1"
    assert source.last_success_at == T0


async def test_status_change_is_on_the_timeline(store: Store, make_order: OrderFactory) -> None:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    later = make_order(1, tracking="SF1", updated_at=T0 + timedelta(hours=3), rev=1)
    await store.save_order_page("shop", "shopify", [later], "", T0)
    changes = [(e.field, e.from_value, e.to_value) for e in await store.events(order_id)]
    assert ("fulfillment_status", "unfulfilled", "fulfilled") in changes
    order = await store.order(order_id)
    assert order is not None
    assert order.fulfillment_status == FulfillmentStatus.FULFILLED
    assert order.version == 2


async def test_an_older_copy_never_overwrites_a_newer(
    store: Store, make_order: OrderFactory
) -> None:
    newer = make_order(1, tracking="SF1", updated_at=T0 + timedelta(hours=3), rev=1)
    (order_id,) = await store.save_order_page("shop", "shopify", [newer], "", T0)
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    order = await store.order(order_id)
    assert order is not None
    assert order.fulfillment_status == FulfillmentStatus.FULFILLED


async def test_timeline_refuses_edits(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with store.db.write() as tx:
            await tx.execute("DELETE FROM events")


@pytest.mark.parametrize(
    "text", ["#1003", "1003", "王芳", "王", "5678", "13800135678", "buyer3@example.com", "SF9003"]
)
async def test_find_by_any_handle(store: Store, make_order: OrderFactory, text: str) -> None:
    orders = [make_order(n, tracking=f"SF900{n}") for n in range(1, 6)]
    await store.save_order_page("shop", "shopify", orders, "", T0)
    found = await store.orders_by_id(await store.find_orders(text))
    assert "#1003" in [o.number for o in found]


async def test_an_update_is_found_by_its_new_handles_and_no_longer_by_the_old(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    moved = make_order(
        1,
        tracking="YT7001",
        phone="+86 139 2222 4321",
        customer_name="Li Lei",
        updated_at=T0 + timedelta(hours=1),
        rev=1,
    )
    await store.save_order_page("shop", "shopify", [moved], "", T0)
    # The same copy again writes nothing: what it is found by stays.
    assert await store.save_order_page("shop", "shopify", [moved], "", T0) == []
    for text in ("YT7001", "4321", "13922224321", "Li Lei", "#1001"):
        assert await store.find_orders(text) == [order_id], text
    for text in ("5678", "王芳"):
        assert await store.find_orders(text) == [], text


async def test_search_input_cannot_break_the_query(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    assert await store.find_orders('") OR * NEAR(') == []


async def test_queue_lists_open_orders_newest_first(store: Store, make_order: OrderFactory) -> None:
    from sync.domain import Lifecycle

    await store.save_order_page(
        "shop",
        "shopify",
        [make_order(1), make_order(2), make_order(3, lifecycle=Lifecycle.CANCELLED)],
        "",
        T0,
    )
    ids = await store.order_ids(OrderQuery(view=View.QUEUE))
    numbers = [o.number for o in await store.orders_by_id(ids)]
    assert numbers == ["#1002", "#1001"]


async def test_tracks_dedupe_checkpoints_and_move_status(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(1, tracking="SF1")], "", T0
    )
    scans = (
        Checkpoint(at=T0 + timedelta(hours=5), at_raw="b", description="Arrived at hub"),
        Checkpoint(at=T0 + timedelta(hours=3), at_raw="a", description="Picked up"),
    )
    track = TrackRecord(
        provider="17track",
        tracking_number="SF1",
        carrier="sf",
        status=ShipmentStatus.IN_TRANSIT,
        status_raw="InTransit",
        checkpoints=scans,
    )
    (shipment,) = await store.shipments(order_id)
    assert await store.save_tracks("17track", [track], [shipment.id], T0) == [order_id]
    assert await store.save_tracks("17track", [track], [shipment.id], T0) == []
    (shipment,) = await store.shipments(order_id)
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert shipment.last_checkpoint_at == T0 + timedelta(hours=5)
    descriptions = [c.description for c in await store.checkpoints(shipment.id)]
    assert descriptions == ["Picked up", "Arrived at hub"]


def _firing(order_id: int, state: TimerState = TimerState.FIRING) -> TimerDecision:
    return TimerDecision(
        rule_id="paid_not_shipped",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=state,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=4),
        warn_at=None,
        next_at=None,
        rules_version="v1",
        summary="late",
        reason="shipped",
    )


async def test_firing_opens_one_escalation_and_resolving_closes_it(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    now = T0 + timedelta(hours=4)
    assert await store.save_timers([_firing(order_id)], now) == 1
    assert await store.save_timers([_firing(order_id)], now) == 0
    (escalation,) = await store.open_escalations()
    assert escalation.order_number == "#1001"
    await store.save_timers([_firing(order_id, TimerState.RESOLVED)], now)
    assert await store.open_escalations() == []
    (closed,) = await store.escalations_for_order(order_id)
    assert closed.resolution == "shipped"


async def test_second_acknowledge_loses_and_is_told_who(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    await store.save_timers([_firing(order_id)], T0)
    (escalation,) = await store.open_escalations()
    acked = await store.acknowledge(escalation.id, escalation.version, "alice", T0)
    assert acked.acked_by == "alice"
    with pytest.raises(ConflictError) as lost:
        await store.acknowledge(escalation.id, escalation.version, "bob", T0)
    assert lost.value.changed_by == "alice"


def test_migrations_are_numbered_one_after_another() -> None:
    numbers = [number for number, _ in MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))
