"""The tracking page's reads and its access audit (with its lines on the order's timeline)."""

from __future__ import annotations

from datetime import timedelta

from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.store import Store
from sync.store.tracking_page import PageAccess, PageOutcome, PageVia
from tests.conftest import T0, OrderFactory


async def shipped_order(store: Store, make_order: OrderFactory) -> int:
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(1, tracking="SF1")], "", T0
    )
    scans = tuple(
        Checkpoint(at=T0 + timedelta(hours=h), at_raw="", description=text)
        for h, text in ((3, "Departed"), (1, "Picked up"))
    )
    track = TrackRecord("17track", "SF1", "sf", ShipmentStatus.IN_TRANSIT, "InTransit", "", scans)
    await store.save_tracks("17track", [track], [], T0 + timedelta(hours=4))
    return order_id


def view(hours: float, order_id: int | None, token: str = "t1", **fields: object) -> PageAccess:
    values: dict[str, object] = {
        "at": T0 + timedelta(hours=hours),
        "outcome": PageOutcome.VIEWED,
        "ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0 (iPhone)",
        "token_id": token,
        "order_id": order_id,
    }
    values.update(fields)
    return PageAccess(**values)  # type: ignore[arg-type]


async def page_events(store: Store, order_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.to_value, e.actor)
        for e in await store.events(order_id)
        if e.kind.startswith(("customer", "tracking_page"))
    ]


async def test_the_page_reads_the_order_its_parcels_and_their_scans_in_time_order(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await shipped_order(store, make_order)
    page = await store.tracking_page(order_id)
    assert page is not None
    assert page.order.number == "#1001"
    (parcel,) = page.parcels
    assert parcel.shipment.tracking_number == "SF1"
    assert [c.description for c in parcel.checkpoints] == ["Picked up", "Departed"]
    assert page.synced_at == T0


async def test_an_unknown_order_has_no_page(store: Store) -> None:
    assert await store.tracking_page(999) is None


async def test_views_of_one_link_within_an_hour_make_one_timeline_event(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await shipped_order(store, make_order)
    for minutes in (0, 10, 50):
        await store.record_page_access(view(minutes / 60, order_id))
    await store.record_page_access(view(1.5, order_id))
    assert await page_events(store, order_id) == [
        ("customer_viewed_tracking_page", "1×", "customer"),
        ("customer_viewed_tracking_page", "4×", "customer"),
    ]


async def test_every_view_is_audited_with_address_and_user_agent(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await shipped_order(store, make_order)
    await store.record_page_access(view(0, order_id))
    await store.record_page_access(view(0.1, order_id, user_agent="x" * 1000))
    rows = await store.page_accesses(order_id)
    assert [(r.ip, r.token_id, r.outcome) for r in rows] == [("203.0.113.9", "t1", "viewed")] * 2
    assert rows[0].user_agent == "Mozilla/5.0 (iPhone)"
    assert len(rows[1].user_agent) == 300


async def test_a_refused_token_is_audited_without_an_order(store: Store) -> None:
    await store.record_page_access(view(0, None, token="bad", outcome=PageOutcome.INVALID))
    rows = await store.page_accesses_from("203.0.113.9", T0)
    assert [(r.outcome, r.order_id) for r in rows] == [("invalid", None)]
    assert await store.db.scalar("SELECT count(*) FROM events WHERE actor = 'customer'") == 0


async def test_an_expired_link_and_failed_look_ups_reach_the_timeline(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await shipped_order(store, make_order)
    await store.record_page_access(view(0, order_id, outcome=PageOutcome.EXPIRED))
    for minutes in (1, 2):
        await store.record_page_access(
            view(
                minutes / 60,
                order_id,
                token="",
                outcome=PageOutcome.LOOKUP_FAILED,
                via=PageVia.LOOKUP,
            )
        )
    assert await page_events(store, order_id) == [
        ("customer_opened_expired_tracking_link", "1×", "customer"),
        ("tracking_page_lookup_failed", "1×", "customer"),
    ]


async def test_link_views_sum_up_each_link(store: Store, make_order: OrderFactory) -> None:
    order_id = await shipped_order(store, make_order)
    await store.record_page_access(view(0, order_id, token="a"))
    await store.record_page_access(view(1, order_id, token="a"))
    await store.record_page_access(view(2, order_id, token="a", outcome=PageOutcome.EXPIRED))
    await store.record_page_access(view(3, order_id, token="b"))
    summary = await store.link_views(order_id)
    assert [(s.token_id, s.views, s.refused) for s in summary] == [("b", 1, 0), ("a", 2, 1)]
    assert summary[1].first_at == T0
    assert summary[1].last_at == T0 + timedelta(hours=2)


async def test_handing_out_a_link_is_on_the_timeline(
    store: Store, make_order: OrderFactory
) -> None:
    order_id = await shipped_order(store, make_order)
    await store.record_link_issued(order_id, "abc", T0 + timedelta(days=7), "alice", T0)
    (event,) = [e for e in await store.events(order_id) if e.kind == "tracking_link_created"]
    assert event.actor == "alice"
    assert event.detail == "link abc, valid until 2026-11-27T08:00:00Z"
