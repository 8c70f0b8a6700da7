"""The console's queries: typed filters, sorts, stage groups, and reading only what changed."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from sync.store import Store
from sync.store.console import EscalationList
from sync.store.filters import Field, Moment, OneOf, Within
from sync.store.views import Group, OrderQuery, Sort, View, order_by, where
from tests.tui.seed import NOW, T0, seed_small

Shop = tuple[Store, dict[str, int]]


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    path = tmp_path / "orderwatch.db"
    ids = await seed_small(path)
    store = await Store.open(path)
    yield store, ids
    await store.close()


async def numbers(store: Store, query: OrderQuery) -> list[str]:
    return [o.number for o in await store.orders_by_id(await store.order_ids(query))]


def filtered(*filters: OneOf | Within, sort: Sort = Sort.AGE) -> OrderQuery:
    return OrderQuery(view=View.ALL, filters=filters, sort=sort)


async def test_status_matches_a_parcel_status_too(shop: Shop) -> None:
    store, _ = shop
    assert await numbers(store, filtered(OneOf(Field.STATUS, ("exception",)))) == ["#1003"]
    assert await numbers(store, filtered(OneOf(Field.STATUS, ("pending",)))) == ["#1008"]


async def test_carrier_and_its_negation(shop: Shop) -> None:
    store, _ = shop
    assert await numbers(store, filtered(OneOf(Field.CARRIER, ("sf",)))) == ["#1002", "#1004"]
    others = await numbers(store, filtered(OneOf(Field.CARRIER, ("sf",), negate=True)))
    assert "#1002" not in others
    assert len(others) == 8


async def test_escalation_state_and_assignee(shop: Shop) -> None:
    store, _ = shop
    firing = filtered(OneOf(Field.ESCALATION, ("firing",)))
    assert await numbers(store, firing) == ["#1001", "#1003"]
    assert await numbers(store, filtered(OneOf(Field.ASSIGNEE, ("alice",)))) == ["#1006"]


async def test_created_and_due_bounds(shop: Shop) -> None:
    store, _ = shop
    older = filtered(Within(Moment.CREATED, before=T0 - timedelta(hours=5)))
    assert await numbers(store, older) == ["#1009", "#1010"]
    overdue = filtered(Within(Moment.DUE, before=NOW))
    assert await numbers(store, overdue) == ["#1001", "#1006"]


async def test_channel_matches_by_prefix_of_channel_or_source(shop: Shop) -> None:
    store, _ = shop
    assert len(await numbers(store, filtered(OneOf(Field.CHANNEL, ("sho",))))) == 10
    assert await numbers(store, filtered(OneOf(Field.CHANNEL, ("woo",)))) == []


async def test_sorts_and_their_reverse(shop: Shop) -> None:
    store, _ = shop
    by_name = await numbers(store, filtered(sort=Sort.CUSTOMER))
    assert by_name[:2] == ["#1002", "#1004"]  # Alice Martin, Bob Chen
    newest = await numbers(store, filtered())
    oldest = await numbers(store, OrderQuery(view=View.ALL, reverse=True))
    assert oldest == newest[::-1]
    due = await numbers(store, filtered(sort=Sort.DUE))
    assert due[:3] == ["#1001", "#1006", "#1003"]


async def test_groups_by_warehouse_stage(shop: Shop, tmp_path: Path) -> None:
    store, ids = shop
    raw = sqlite3.connect(tmp_path / "orderwatch.db")
    with raw:
        raw.execute(
            "UPDATE orders SET picked_at = '2026-11-20T09:00:00Z' WHERE id = ?", (ids["#1009"],)
        )
        raw.execute(
            "UPDATE orders SET packed_at = '2026-11-20T10:00:00Z', picked_at = "
            "'2026-11-20T09:00:00Z' WHERE id = ?",
            (ids["#1002"],),
        )
    raw.close()
    listed, groups = await store.grouped_order_ids(OrderQuery(view=View.QUEUE, group=Group.STAGE))
    assert groups == [("waiting", 7), ("picked", 1), ("packed", 1)]
    assert listed[-2:] == [ids["#1009"], ids["#1002"]]


async def test_which_changed_orders_still_belong(shop: Shop) -> None:
    store, ids = shop
    among = await store.order_ids_among(OrderQuery(view=View.QUEUE), [ids["#1005"], ids["#1001"]])
    assert among == [ids["#1001"]]
    keys = await store.order_sort_keys(Sort.AGE, [ids["#1001"]])
    assert keys == {ids["#1001"]: ("2026-11-20T07:23:00Z", ids["#1001"])}
    with pytest.raises(ValueError):
        await store.order_sort_keys(Sort.CUSTOMER, [ids["#1001"]])


async def test_escalation_lists(shop: Shop) -> None:
    store, ids = shop
    open_ = await store.escalation_list(EscalationList.OPEN, agent="ana", now=NOW)
    assert [(e.order_number, e.state) for e in open_] == [
        ("#1001", "firing"),
        ("#1003", "firing"),
        ("#1006", "acknowledged"),
    ]
    mine = await store.escalation_list(EscalationList.MINE, agent="alice", now=NOW)
    assert [e.order_number for e in mine] == ["#1006"]
    narrowed = OrderQuery(view=View.ALL, filters=(OneOf(Field.CARRIER, ("zto",)),))
    only = await store.escalation_list(EscalationList.OPEN, agent="ana", now=NOW, query=narrowed)
    assert [e.order_number for e in only] == ["#1003"]
    assert await store.escalation_list(EscalationList.SNOOZED, agent="ana", now=NOW) == []
    found = await store.open_escalations_of([ids["#1001"], ids["#1002"]])
    assert list(found) == [ids["#1001"]]


async def test_desk_health_counts_and_rules_state(shop: Shop) -> None:
    store, _ = shop
    await store.set_state({"rules.version": "v7", "rules.error": "rules.toml:3: bad"}, NOW)
    health = await store.desk_health(NOW)
    assert (health.firing, health.warning) == (2, 0)
    assert (health.rules_version, health.rules_error) == ("v7", "rules.toml:3: bad")
    assert [s.name for s in health.sources] == ["shop"]


async def test_notices_for_an_agent_after_an_id(shop: Shop, tmp_path: Path) -> None:
    store, ids = shop
    assert await store.last_notice_id() == 0
    raw = sqlite3.connect(tmp_path / "orderwatch.db")
    with raw:
        for agent in ("ana", "bob", "ana"):
            raw.execute(
                "INSERT INTO notices (agent, order_id, severity, title, created_at) "
                "VALUES (?, ?, 'critical', 'Escalation for you', '2026-11-20T14:00:00Z')",
                (agent, ids["#1001"]),
            )
    raw.close()
    found = await store.notices_since("ana", 0)
    assert [n.id for n in found] == [1, 3]
    assert [n.id for n in await store.notices_since("ana", 1)] == [3]
    assert await store.last_notice_id() == 3


async def test_a_selective_filter_reads_its_orders_not_the_whole_view(shop: Shop) -> None:
    store, _ = shop
    query = OrderQuery(view=View.QUEUE, filters=(OneOf(Field.ASSIGNEE, ("alice",)),))
    condition, params = where(query)
    plan = await store.db.fetchall(
        f"EXPLAIN QUERY PLAN SELECT o.id FROM orders o WHERE {condition} "
        f"ORDER BY {order_by(query)}",
        params,
    )
    details = " ".join(str(row["detail"]) for row in plan)
    assert "orders_queue" not in details
    assert "INTEGER PRIMARY KEY" in details
    assert await numbers(store, query) == ["#1006"]
