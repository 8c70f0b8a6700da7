"""Escalations about a source (a stale feed) instead of an order: the schema and the store."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from sync.domain import EscalationRow, TimerState
from sync.errors import ActionError
from sync.store import FeedMove, SourceTimer, Store, TimerDecision
from sync.store.console import EscalationList
from sync.store.db import _split_sql
from sync.store.filters import Field, OneOf
from sync.store.migrations import MIGRATIONS
from sync.store.views import OrderQuery
from tests.conftest import T0, OrderFactory

REBUILT = 16


def _database_before_rebuild(path: Path) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    for number, sql in MIGRATIONS:
        if number >= REBUILT:
            break
        raw.execute("BEGIN")
        for statement in _split_sql(sql):
            raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {number}")
        raw.execute("COMMIT")
    raw.executescript(
        """
        INSERT INTO orders (id, source, external_id, number, created_at, updated_at,
            payment_status, fulfillment_status, lifecycle, change_seq)
            VALUES (7, 'shop', 'x7', '#1007', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
            'paid', 'unfulfilled', 'open', 1);
        INSERT INTO escalations (id, timer_id, rule_id, subject_kind, subject_id, order_id,
            severity, summary, state, rules_version, opened_at, deadline_at, change_seq, policy)
            VALUES (3, 9, 'ship_sla', 'order', 7, 7, 'warning', 'late', 'firing', 'v1',
            '2026-01-01T04:00:00Z', '2026-01-01T04:00:00Z', 1, 'warehouse');
        INSERT INTO outbox (id, escalation_id, channel, idempotency_key, payload,
            next_attempt_at, created_at) VALUES (1, 3, 'console', 'k1', '{}',
            '2026-01-01T04:00:00Z', '2026-01-01T04:00:00Z');
        INSERT INTO notices (agent, outbox_id, escalation_id, order_id, title, created_at)
            VALUES ('anna', 1, 3, 7, 'late', '2026-01-01T04:00:00Z');
        """
    )
    raw.close()


async def test_rebuilding_the_table_keeps_rows_and_what_points_at_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _database_before_rebuild(path)
    store = await Store.open(path)
    found = await store.escalation(3)
    await store.close()
    assert found is not None and found.order_number == "#1007" and found.policy == "warehouse"
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT escalation_id FROM notices").fetchall() == [(3,)]
    indexes = {row[1] for row in raw.execute("PRAGMA index_list(escalations)")}
    assert {"escalations_open", "escalations_order", "escalations_next_step"} <= indexes
    assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    raw.close()


async def test_an_escalation_is_about_an_order_or_a_source_never_both(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    await store.close()
    raw = sqlite3.connect(tmp_path / "a.db")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO escalations (timer_id, rule_id, subject_kind, subject_id, severity, "
            "summary, state, rules_version, opened_at, deadline_at, change_seq) "
            "VALUES (1, 'r', 'source', 1, 'critical', '', 'firing', 'v', 'x', 'x', 1)"
        )
    raw.close()


FIRED = T0 + timedelta(minutes=10)


async def _feed_escalation(store: Store) -> EscalationRow:
    timer = SourceTimer(
        rule_id="stale",
        source="17track",
        state=TimerState.FIRING,
        since=T0,
        fired_at=FIRED,
        last_true_at=FIRED,
        next_at=None,
        summary="17track silent",
        rules_version="v1",
    )
    moves = [FeedMove("stale", "17track", opens=True, severity="critical", summary="silent")]
    assert await store.save_source_timers([timer], moves, FIRED) == 1
    (found,) = [e for e in await store.open_escalations() if e.source == "17track"]
    return found


async def test_a_feed_escalation_names_its_source_and_no_order(store: Store) -> None:
    found = await _feed_escalation(store)
    assert (found.order_id, found.order_number, found.about) == (None, "", "17track")
    assert (found.subject_kind, found.state, found.deadline_at) == ("source", "firing", FIRED)
    (timer,) = await store.source_timers()
    assert timer.escalation_id == found.id


async def test_closing_a_feed_escalation_gives_the_reason(store: Store) -> None:
    found = await _feed_escalation(store)
    (timer,) = await store.source_timers()
    resolved = replace(timer, state=TimerState.RESOLVED, reason="condition cleared")
    moves = [FeedMove("stale", "17track", opens=False, reason="recovered")]
    assert await store.save_source_timers([resolved], moves, FIRED + timedelta(hours=1)) == 1
    closed = await store.escalation(found.id)
    assert closed is not None
    assert (closed.state, closed.resolution, closed.resolved_by) == (
        "resolved",
        "recovered",
        "daemon",
    )


async def test_a_note_on_a_feed_escalation_needs_no_order(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1)], "", T0)
    found = await _feed_escalation(store)
    await store.add_note(None, "anna", "17TRACK is down for everyone", FIRED, found.id)
    noted = await store.escalation(found.id)
    assert noted is not None and noted.change_seq > found.change_seq
    with pytest.raises(ActionError, match=f"is not about order {order_id}"):
        await store.add_note(order_id, "anna", "wrong place", FIRED, found.id)


async def test_a_feed_escalation_never_takes_an_order_timers_override(
    store: Store, make_order: OrderFactory
) -> None:
    (order_id,) = await store.save_order_page("shop", "x", [make_order(1)], "", T0)
    decision = TimerDecision(
        rule_id="late",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=T0,
        deadline_at=FIRED,
        warn_at=None,
        next_at=None,
        rules_version="v1",
        override="vip",
    )
    await store.save_timers([decision], FIRED)
    await _feed_escalation(store)  # its source timer has the same id as the order's timer
    overrides = {row.escalation.rule_id: row.override for row in await store.escalations_to_adopt()}
    assert overrides == {"late": "vip", "stale": ""}


async def test_free_text_in_the_escalation_list_finds_a_feed_by_its_name(
    store: Store, make_order: OrderFactory
) -> None:
    await store.save_order_page("shop", "x", [make_order(1)], "", T0)
    found = await _feed_escalation(store)

    async def listed(query: OrderQuery) -> list[int]:
        rows = await store.escalation_list(
            EscalationList.OPEN, agent="anna", now=FIRED, query=query
        )
        return [row.id for row in rows]

    assert await listed(OrderQuery(text="17TR")) == [found.id]
    assert await listed(OrderQuery(text="aftership")) == []
    by_carrier = OrderQuery(text="17track", filters=(OneOf(Field.CARRIER, ("zto",)),))
    assert await listed(by_carrier) == []
