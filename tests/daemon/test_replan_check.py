"""The quick first look of a big re-plan changes nothing that gets written.

A varied mirror (statuses, holds, tags, totals, channels, promised dates, parcels in every state)
is planned under the shipped rules, then disturbed (orders moved on, stored timers edited,
removed or left over from a removed rule, the clock advanced). Two copies of it are re-planned in
full after a reload: one with the quick look, one without; every table the engine writes must
come out the same.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import daemon.engine
import daemon.replan_aside
import daemon.replan_check
from daemon.engine import RulesEngine
from daemon.replan_aside import Helper, HelperGone, Setup
from daemon.replan_check import (
    SKIP_AFTER_BUSY,
    Loaded,
    QuickLook,
    Span,
    changed_runs,
    columns_of,
    read_ahead,
    spans,
)
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import OrderRow
from sync.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)  # peak season, two days before a holiday
ORDERS = 400


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _order(n: int, rng: random.Random) -> tuple[Any, ...]:
    paid = NOW - timedelta(minutes=rng.randint(1, 60 * 72))
    promised = paid + timedelta(days=rng.randint(1, 3)) if rng.random() < 0.3 else None
    packed = paid + timedelta(hours=1) if rng.random() < 0.3 else None
    return (
        n,
        "shop",
        f"o{n}",
        f"#{1000 + n}",
        rng.choice(["web", "web", "amazon", "pos"]),
        rng.choice(["paid", "paid", "paid", "partially_refunded", "pending", "refunded"]),
        rng.choice(["unfulfilled", "unfulfilled", "on_hold", "in_progress", "fulfilled"]),
        rng.choice(["open", "open", "open", "closed", "cancelled"]),
        f"{rng.choice([20, 80, 299, 300, 450])}.00",
        rng.choice(["[]", "[]", '["vip"]', '["express"]', '["VIP", "next-day"]']),
        _stamp(paid - timedelta(minutes=3)),
        _stamp(paid),
        _stamp(paid if rng.random() < 0.9 else None),
        _stamp(promised),
        _stamp(packed),
        rng.choice(["Bayern", "", "Berlin"]),
        rng.choice(["München", "Berlin", ""]),
    )


def _parcel(n: int, rng: random.Random) -> tuple[Any, ...]:
    shipped = NOW - timedelta(hours=rng.randint(1, 90))
    scanned = shipped + timedelta(hours=rng.randint(0, 40)) if rng.random() < 0.8 else None
    status = rng.choice(
        ["in_transit", "in_transit", "info_received", "pending", "delivery_failed", "exception",
         "out_for_delivery", "delivered", "refused"]
    )  # fmt: skip
    return (
        n,
        n,
        f"p{n}",
        rng.choice(["dhl", "sf", ""]),
        f"T{n:08d}",
        status,
        rng.choice(["17track", "17track", ""]),
        _stamp(shipped),
        _stamp(min(scanned, NOW) if scanned else None),
    )


def _build(path: Path) -> None:
    rng = random.Random(11)
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO orders (id, source, external_id, number, channel, payment_status, "
            "fulfillment_status, lifecycle, total, tags, created_at, updated_at, paid_at, "
            "promised_at, packed_at, province, city, change_seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [_order(n, rng) for n in range(1, ORDERS + 1)],
        )
        con.executemany(
            "INSERT INTO shipments (id, order_id, source, external_id, carrier, tracking_number, "
            "status, tracked_by, shipped_at, last_checkpoint_at, change_seq) "
            "VALUES (?, ?, 'shop', ?, ?, ?, ?, ?, ?, ?, 1)",
            [_parcel(n, rng) for n in range(1, ORDERS + 1) if n % 2 == 0],
        )
        con.execute(
            "INSERT INTO sources (name, kind, last_attempt_at, last_success_at) "
            "VALUES ('17track', '17track', ?, ?)",
            (_stamp(NOW), _stamp(NOW)),
        )
    con.close()


def _disturb(path: Path) -> None:
    """Orders move on, stored timers drift, vanish or belong to a removed rule."""
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE orders SET fulfillment_status = 'fulfilled' WHERE id % 17 = 0")
        con.execute("UPDATE orders SET fulfillment_status = 'on_hold' WHERE id % 19 = 0")
        con.execute("UPDATE orders SET tags = '[\"vip\"]' WHERE id % 23 = 0")
        con.execute("UPDATE shipments SET status = 'delivered' WHERE id % 7 = 0")
        con.execute(
            "UPDATE timers SET deadline_at = '2026-12-24T00:00:00Z' WHERE id % 11 = 0 "
            "AND state != 'resolved'"
        )
        con.execute("UPDATE timers SET state = 'warning' WHERE id % 13 = 0 AND state = 'pending'")
        con.execute("UPDATE timers SET muted_by = 'someone' WHERE id % 29 = 0")
        con.execute("UPDATE timers SET modifiers = '' WHERE id % 31 = 0")
        con.execute("DELETE FROM timers WHERE id % 37 = 0")
        con.execute(
            "INSERT INTO timers (rule_id, subject_kind, subject_id, order_id, started_at, "
            "deadline_at, next_at, state, rules_version, change_seq) "
            "VALUES ('retired_rule', 'order', 5, 5, ?, ?, ?, 'pending', 'old', 1)",
            (_stamp(NOW), _stamp(NOW + timedelta(hours=2)), _stamp(NOW + timedelta(hours=2))),
        )
    con.close()


async def _replan(
    path: Path, text: str, quick: bool, monkeypatch: pytest.MonkeyPatch, *, aside: bool = False
) -> int:
    with monkeypatch.context() as patch:
        # several batches, each read while the one before is looked at
        patch.setattr(daemon.engine, "BATCH", 90)
        patch.setattr(daemon.replan_check, "QUICK_LOOK_FROM", 50 if quick else 10**9)
        patch.setattr(daemon.replan_aside, "LOOK_ASIDE_FROM", 2 if aside else 10**9)
        store = await Store.open(path)
        engine = RulesEngine(store, VirtualClock(NOW + timedelta(hours=3)), parse_rules(text))
        engine.swap(parse_rules(text + "\n# edited\n"), everything=True)
        moved = await engine.replan_all()
        await store.close()
    return moved


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(path)
    try:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in ("timers", "escalations", "events")
        }
    finally:
        con.close()


def _full_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the orders the store reads in full from now on, as they are read."""
    read: list[int] = []
    orders_by_id = store.orders_by_id

    async def counting(order_ids: Sequence[int]) -> list[OrderRow]:
        read.extend(order_ids)
        return await orders_by_id(order_ids)

    monkeypatch.setattr(store, "orders_by_id", counting)
    return read


def _near_end_waits(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Have the engine's own batches (those read for a quick look) wait until the returned event
    is set (by a helper's first look), so that both ends of a small re-plan get batches."""
    replan = RulesEngine.replan
    helping = threading.Event()

    async def waiting(engine: RulesEngine, *args: Any) -> int:
        loaded = args[2] if len(args) > 2 else None
        for _ in range(3000 if loaded is not None else 0):
            if helping.is_set():
                break
            await asyncio.sleep(0.01)
        return await replan(engine, *args)

    monkeypatch.setattr(RulesEngine, "replan", waiting)
    return helping


async def _planned_shop(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shop.db"
    await (await Store.open(path)).close()
    _build(path)
    store = await Store.open(path)
    engine = RulesEngine(store, VirtualClock(NOW), parse_rules(text))
    await engine.replan_all()
    await store.close()
    _disturb(path)
    return path


async def _copies(tmp_path: Path, text: str, *names: str) -> list[Path]:
    """Copies of one planned and disturbed shop, one per name."""
    path = await _planned_shop(tmp_path, text)
    copies = [tmp_path / f"{name}.db" for name in names]
    for copy in copies:
        shutil.copy(path, copy)
    return copies


async def test_quick_look_writes_what_the_full_re_plan_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    quick, full = await _copies(tmp_path, text, "quick", "full")
    moved_quick = await _replan(quick, text, True, monkeypatch)
    moved_full = await _replan(full, text, False, monkeypatch)
    assert moved_quick == moved_full
    found, expected = _tables(quick), _tables(full)
    assert len(expected["timers"]) > ORDERS // 2  # the mirror keeps many rules busy
    assert found == expected


async def test_a_helper_process_looking_at_part_changes_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    aside, full = await _copies(tmp_path, text, "aside", "full")
    asked: list[Span] = []
    ask = Helper.ask
    helping = _near_end_waits(monkeypatch)

    def recording(helper: Helper, span: Span, now: datetime) -> None:
        asked.append(span)
        helping.set()
        ask(helper, span, now)

    monkeypatch.setattr(Helper, "ask", recording)
    moved_aside = await _replan(aside, text, True, monkeypatch, aside=True)
    monkeypatch.undo()
    moved_full = await _replan(full, text, False, monkeypatch)
    assert asked, "the helper looked at nothing"
    assert max(last for _, last in asked) == ORDERS  # from the far end
    assert moved_aside == moved_full
    assert _tables(aside) == _tables(full)


@pytest.mark.parametrize("when", ["at start", "mid-way"])
async def test_a_helper_that_fails_leaves_its_batches_to_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    aside, full = await _copies(tmp_path, text, "aside", "full")
    lost: list[Span] = []
    ask = Helper.ask

    def cannot_start(helper: Helper, setup: Setup) -> None:
        raise HelperGone("the helper cannot start: no spawning here")

    def asking(helper: Helper, span: Span, now: datetime) -> None:
        lost.append(span)
        ask(helper, span, now)

    def dies(helper: Helper) -> tuple[list[int], int]:
        helping.set()
        raise HelperGone("the helper exited")

    with monkeypatch.context() as patch:
        if when == "at start":
            patch.setattr(Helper, "__init__", cannot_start)
        else:
            helping = _near_end_waits(patch)
            patch.setattr(Helper, "ask", asking)
            patch.setattr(Helper, "answer", dies)
        moved_aside = await _replan(aside, text, True, monkeypatch, aside=True)
    moved_full = await _replan(full, text, False, monkeypatch)
    assert (len(lost) > 0) == (when == "mid-way")  # what it was asked is decided at home
    assert moved_aside == moved_full
    assert _tables(aside) == _tables(full)


async def test_quick_look_finds_nothing_to_do_on_a_plan_just_made(tmp_path: Path) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    path = await _planned_shop(tmp_path, text)
    store = await Store.open(path)
    engine = RulesEngine(store, VirtualClock(NOW + timedelta(hours=3)), parse_rules(text))
    await engine.replan_all()
    before = await store.change_seq()
    engine.swap(parse_rules(text + "\n# edited\n"), everything=True)
    assert await engine.replan_all() == 0
    assert await store.change_seq() == before
    await store.close()


def test_columns_hold_what_the_rules_read() -> None:
    rules = parse_rules((ROOT / "rules.toml").read_text(encoding="utf-8"))
    columns = columns_of(rules)
    assert {"payment_status", "fulfillment_status", "lifecycle", "paid_at", "tags"} <= (
        columns.orders
    )
    assert {"status", "tracked_by", "last_checkpoint_at", "carrier"} <= columns.shipments
    assert "phone" not in columns.orders


async def test_only_the_orders_with_something_to_change_are_read_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    path = await _planned_shop(tmp_path, text)
    store = await Store.open(path)
    read = _full_reads(store, monkeypatch)
    engine = RulesEngine(store, VirtualClock(NOW), parse_rules(text))
    engine.swap(parse_rules(text + "\n# edited\n"), everything=True)
    assert await engine.replan_all() > 0  # the disturbed timers are put right
    assert 0 < len(read) < ORDERS // 2
    await store.close()


def test_after_a_busy_span_the_next_ones_are_decided_in_full() -> None:
    look = QuickLook()
    assert look.looking()
    look.saw(1000, 900)
    assert [look.looking() for _ in range(SKIP_AFTER_BUSY + 1)] == [False] * SKIP_AFTER_BUSY + [
        True
    ]
    look.saw(1000, 900)  # still busy: it waits twice as long
    assert [look.looking() for _ in range(2 * SKIP_AFTER_BUSY + 1)] == [False] * (
        2 * SKIP_AFTER_BUSY
    ) + [True]
    look.saw(1000, 10)
    assert look.looking()
    look.saw(1000, 900)  # quiet in between: back to the short wait
    assert look.skip == SKIP_AFTER_BUSY


async def test_reading_ahead_hands_each_span_its_own_rows_and_stops_on_error() -> None:
    seen: list[tuple[list[int], int, int]] = []
    loads: list[Span] = []

    async def load(span: Span) -> Loaded:
        loads.append(span)
        return Loaded(list(range(span[0], span[1] + 1)), {"rule": {span[0]}}, None)

    async def replan(loaded: Loaded) -> int:
        await asyncio.sleep(0)  # as a real re-plan awaits its reads and writes
        seen.append((loaded.orders, min(loaded.only["rule"]), len(loads)))
        if loaded.orders == [5]:
            raise RuntimeError("store gone")
        return 1

    todo = iter([(1, 2), (3, 3), (4, 4), (5, 5), (6, 6)])
    with pytest.raises(RuntimeError):
        await read_ahead(lambda: next(todo, None), load, replan)
    # the next span is read while one is re-planned, and none is re-planned after a failure
    assert seen == [([1, 2], 1, 2), ([3], 3, 3), ([4], 4, 4), ([5], 5, 5)]
    assert loads == [(1, 2), (3, 3), (4, 4), (5, 5), (6, 6)]


def test_changed_ids_are_cut_into_close_runs_and_the_rest() -> None:
    thin = list(range(140, 170, 3))  # close enough, but a third of their span
    ids = [*range(100, 130), 131, 133, *thin, 500, 900, *range(1000, 1012)]
    runs, rest = changed_runs(list(reversed(ids)), least=10)
    assert runs == [[*range(100, 130), 131, 133], list(range(1000, 1012))]
    assert rest == [*thin, 500, 900]
    assert changed_runs(range(1000, 1009), least=10) == ([], list(range(1000, 1009)))
    assert changed_runs([], least=10) == ([], [])


def test_spans_cover_the_ids_in_order() -> None:
    assert spans(None, 10) == []
    assert spans((3, 3), 10) == [(3, 3)]
    assert spans((1, 25), 10) == [(1, 10), (11, 20), (21, 25)]


async def test_a_busy_first_plan_leaves_the_next_re_plan_its_quick_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "shop.db"
    await (await Store.open(path)).close()
    _build(path)
    store = await Store.open(path)
    try:
        engine = RulesEngine(store, VirtualClock(NOW), parse_rules(text))
        await engine.replan_all()  # every timer is new: its batch is as busy as can be
        read = _full_reads(store, monkeypatch)
        engine.swap(parse_rules(text + "\n# edited\n"), everything=True)
        moved = await engine.replan_all()
    finally:
        await store.close()
    assert moved == 0
    assert len(read) < ORDERS // 10


async def test_a_stop_ends_the_pass_and_the_next_one_does_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    stopped, whole = await _copies(tmp_path, text, "stopped", "whole")
    moved_whole = await _replan(whole, text, True, monkeypatch)
    stop = asyncio.Event()
    spans: list[int] = []
    replan = RulesEngine.replan

    async def stopping_after_one(engine: RulesEngine, *args: Any) -> int:
        spans.append(len(args[0]))
        stop.set()  # asked while the first span is re-planned
        return await replan(engine, *args)

    with monkeypatch.context() as patch:
        patch.setattr(daemon.engine, "BATCH", 90)
        patch.setattr(RulesEngine, "replan", stopping_after_one)
        store = await Store.open(stopped)
        engine = RulesEngine(store, VirtualClock(NOW + timedelta(hours=3)), parse_rules(text))
        engine.swap(parse_rules(text + "\n# edited\n"), everything=True)
        part = await engine.replan_all(stop)
        assert len(spans) <= 2 < ORDERS // 90  # the span under way, and the one read ahead
        patch.undo()
        rest = await engine.replan_all()  # the next pass re-plans every rule again
        await store.close()
    assert part + rest == moved_whole
    assert _state(stopped) == _state(whole)


def _state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What the tables say, whatever the order of the writes that said it (row ids, change
    numbers and the escalation an event names left out)."""
    con = sqlite3.connect(path)
    queries = {
        "timers": "SELECT rule_id, subject_kind, subject_id, state, started_at, deadline_at, "
        "warn_at, next_at, timeout_seconds, clock, override, modifiers, paused_seconds, "
        "paused_since, muted_by, last_true_at, reason, escalation_id IS NULL FROM timers",
        "escalations": "SELECT rule_id, subject_kind, subject_id, severity, summary, state, "
        "level, opened_at, deadline_at, resolved_at, resolution FROM escalations",
        "events": "SELECT at, actor, order_id, subject_kind, kind, field, from_value, to_value, "
        "detail FROM events",
    }
    try:
        return {
            table: sorted(con.execute(sql).fetchall(), key=repr) for table, sql in queries.items()
        }
    finally:
        con.close()


async def test_a_pass_done_before_its_helper_is_up_does_not_wait_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    aside, plain = await _copies(tmp_path, text, "aside", "plain")
    release = threading.Event()
    helpers: list[Helper] = []
    start = Helper.__init__

    def slow_to_start(helper: Helper, setup: Setup) -> None:
        release.wait(60)  # up only once the test lets it
        start(helper, setup)
        helpers.append(helper)

    monkeypatch.setattr(Helper, "__init__", slow_to_start)
    # waiting for the helper here would wait for ever: the pass must end without it
    moved = await asyncio.wait_for(_replan(aside, text, True, monkeypatch, aside=True), 30)
    release.set()
    for _ in range(600):  # once up, the helper nobody wants any more is stopped
        if helpers and helpers[0]._process.poll() is not None:
            break
        await asyncio.sleep(0.05)
    monkeypatch.undo()
    assert helpers and helpers[0]._process.returncode == 0
    assert moved == await _replan(plain, text, True, monkeypatch)
    assert _tables(aside) == _tables(plain)


def _changed_in_runs(path: Path) -> None:
    """Stamp the orders as a sync of pages of 50 orders each would, after a pass that planned
    them all: runs of ids, with a few orders between that did not change."""
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE orders SET change_seq = 1000 + id / 50")
        con.execute("UPDATE orders SET change_seq = 1 WHERE id % 10 = 3")
        con.execute("UPDATE change_counter SET value = 2000")
        con.execute(
            "INSERT OR REPLACE INTO daemon_state (key, value, updated_at) VALUES (?, '999', ?)",
            (daemon.engine.PLANNED_SEQ, _stamp(NOW)),
        )
    con.close()


async def _replan_changed(
    path: Path, text: str, quick: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[int]]:
    """Re-plan the orders changed since the last pass; the ids then read in full."""
    with monkeypatch.context() as patch:
        patch.setattr(daemon.engine, "BATCH", 90)
        patch.setattr(daemon.replan_check, "QUICK_LOOK_FROM", 20 if quick else 10**9)
        store = await Store.open(path)
        read = _full_reads(store, patch)
        engine = RulesEngine(store, VirtualClock(NOW + timedelta(hours=3)), parse_rules(text))
        moved = await engine.replan_changed()
        await store.close()
    return moved, read


async def test_changed_orders_re_planned_after_a_quick_look_come_out_as_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every order of the planned and disturbed shop counts as changed (no pass has recorded
    # its stamp yet), in runs of ids a quick look takes; those whose escalations the pass moves
    # are then changed again, spread out: they are decided in full.
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    quick, full = await _copies(tmp_path, text, "quick", "full")
    for path in (quick, full):
        _changed_in_runs(path)
    moved_quick, read_quick = await _replan_changed(quick, text, True, monkeypatch)
    moved_full, read_full = await _replan_changed(full, text, False, monkeypatch)
    assert moved_quick == moved_full > 0
    assert _tables(quick) == _tables(full)
    assert len(set(read_full)) == ORDERS - ORDERS // 10
    assert len(set(read_quick)) < ORDERS // 2


async def test_a_first_sync_decides_in_full_only_what_a_rule_could_apply_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "rules.toml").read_text(encoding="utf-8")
    quick, full = tmp_path / "quick.db", tmp_path / "full.db"
    await (await Store.open(quick)).close()
    _build(quick)
    con = sqlite3.connect(quick)
    with con:  # a quarter of the shop is long done: no rule could apply to those orders
        con.execute(
            "UPDATE orders SET payment_status = 'paid', fulfillment_status = 'fulfilled', "
            "lifecycle = 'closed' WHERE id % 4 = 0"
        )
        con.execute("DELETE FROM shipments WHERE order_id % 4 = 0")
    con.close()
    _changed_in_runs(quick)
    shutil.copy(quick, full)
    moved_quick, read_quick = await _replan_changed(quick, text, True, monkeypatch)
    moved_full, read_full = await _replan_changed(full, text, False, monkeypatch)
    assert moved_quick == moved_full
    found, expected = _tables(quick), _tables(full)
    assert len(expected["timers"]) > ORDERS // 3
    assert found == expected
    assert len(set(read_full)) == ORDERS - ORDERS // 10
    assert not {order_id for order_id in read_quick if order_id % 4 == 0 or order_id % 10 == 3}
