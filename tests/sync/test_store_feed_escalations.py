"""The escalations table after migration 16: a row about a source instead of an order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.store import Store
from sync.store.db import _split_sql
from sync.store.migrations import MIGRATIONS

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
