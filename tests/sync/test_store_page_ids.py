"""A page's new orders and parcels get their row ids without reading them back: the ids the
writer hands out are the rows' own, also after rows were removed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sync.store import Store
from sync.store.page import ORDER_FIELDS, prepare_page
from tests.conftest import T0, OrderFactory


async def test_new_orders_are_given_their_own_rows_ids(
    store: Store, make_order: OrderFactory
) -> None:
    page = [make_order(n) for n in range(1, 4)]

    changed = await store.save_order_page("shop", "shopify", page, "c1", T0)

    stored = await store.orders_by_id(changed)
    assert [order.external_id for order in stored] == [order.external_id for order in page]


async def test_a_new_parcels_handover_names_its_row(store: Store, make_order: OrderFactory) -> None:
    await store.save_order_page("shop", "shopify", [make_order(1, tracking="SF100")], "c1", T0)
    (order_id,) = await store.save_order_page(
        "shop", "shopify", [make_order(2, tracking="SF200")], "c2", T0
    )

    (shipment,) = await store.shipments(order_id)
    shipped = [e for e in await store.events(order_id) if e.kind == "shipped"]
    assert [(e.subject_id, e.to_value) for e in shipped] == [(shipment.id, "SF200")]


async def test_ids_go_on_after_the_highest_when_the_newest_row_is_gone(
    store: Store, make_order: OrderFactory
) -> None:
    first = await store.save_order_page(
        "shop", "shopify", [make_order(n) for n in (1, 2)], "c1", T0
    )
    await store.db.fetchall("DELETE FROM orders WHERE id = ?", (max(first),))

    (again,) = await store.save_order_page("shop", "shopify", [make_order(3)], "c2", T0)

    (order,) = await store.orders_by_id([again])
    assert order.external_id == make_order(3).external_id
    # The removed order's search row went with the id: the new order is found, the old is not.
    assert await store.find_orders(make_order(3).number) == [again]
    assert await store.find_orders(make_order(2).number) == []


async def test_a_first_pages_orders_are_all_found_after_later_pages_in_one_transaction(
    store: Store, make_order: OrderFactory
) -> None:
    pages = [prepare_page([make_order(n) for n in range(k, k + 3)]) for k in (1, 4, 7)]
    changed = await store.save_order_pages("shop", "shopify", pages, "c1", T0)
    for n, order_id in zip(range(1, 10), changed, strict=True):
        assert await store.find_orders(make_order(n).number) == [order_id]


def test_a_prepared_page_keeps_the_latest_copy_of_each_order(make_order: OrderFactory) -> None:
    older, newer = make_order(1, rev=1), make_order(1, rev=2, updated_at=T0 + timedelta(days=1))

    page = prepare_page([newer, older, make_order(2)])

    assert [(v[1], json.loads(str(v[ORDER_FIELDS.index("raw")]))["rev"]) for v in page.values] == [
        (newer.external_id, 2),
        (make_order(2).external_id, 0),
    ]
    assert len(page) == len(page.items) == len(page.parcels) == 2


async def test_a_parcel_relabelled_keeps_its_row_and_says_from_what_to_what(
    store: Store, make_order: OrderFactory
) -> None:
    first = make_order(1, tracking="SF100")
    (order_id,) = await store.save_order_page("shop", "shopify", [first], "c1", T0)
    (before,) = await store.shipments(order_id)
    relabelled = replace(
        first.shipments[0], tracking_number="YT900", carrier="", carrier_raw="YTO Express"
    )
    later = replace(
        make_order(1, rev=1, updated_at=T0 + timedelta(hours=3)), shipments=(relabelled,)
    )

    await store.save_order_page("shop", "shopify", [later], "c2", T0 + timedelta(hours=3))

    (after,) = await store.shipments(order_id)
    assert after.id == before.id
    assert (after.tracking_number, after.carrier, after.carrier_raw) == ("YT900", "", "YTO Express")
    moves = [e for e in await store.events(order_id) if e.kind == "tracking"]
    assert [(e.subject_id, e.field, e.from_value, e.to_value) for e in moves] == [
        (before.id, "tracking_number", "SF100", "YT900")
    ]


async def test_a_parcel_with_no_carrier_code_is_handed_to_the_carrier_as_the_shop_wrote_it(
    store: Store, make_order: OrderFactory
) -> None:
    order = make_order(1, tracking="YT900")
    parcel = replace(order.shipments[0], carrier="", carrier_raw="YTO Express")

    (order_id,) = await store.save_order_page(
        "shop", "shopify", [replace(order, shipments=(parcel,))], "c1", T0
    )

    (shipped,) = [e for e in await store.events(order_id) if e.kind == "shipped"]
    assert (shipped.to_value, shipped.detail) == ("YT900", "handed to YTO Express")
    assert shipped.at == T0 + timedelta(minutes=1, hours=2)
