"""Orders whose last change is an escalation the engine itself opened are not decided again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

import daemon.engine
from daemon.engine import RulesEngine
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.store import Store
from sync.store.timers import Saved
from tests.conftest import T0, OrderFactory
from tests.daemon.test_engine import RULES


@pytest.fixture
def decided(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The subject of every decision the engine makes, in turn."""
    seen: list[int] = []
    decide = daemon.engine.decide

    def counting(rule: Any, subject: Any, *args: Any) -> Any:
        seen.append(subject.subject_id)
        return decide(rule, subject, *args)

    monkeypatch.setattr(daemon.engine, "decide", counting)
    return seen


async def _fired(store: Store, make_order: OrderFactory) -> tuple[RulesEngine, list[int]]:
    """An engine five hours after three orders were paid (and not shipped), and their ids."""
    page = [make_order(n, paid_at=T0) for n in (1, 2, 3)]
    ids = await store.save_order_page("shop", "shopify", page, "", T0)
    clock = VirtualClock(T0 + timedelta(hours=5))
    return RulesEngine(store, clock, parse_rules(RULES)), ids


async def test_orders_whose_escalations_it_opened_are_not_decided_again(
    store: Store, make_order: OrderFactory, decided: list[int]
) -> None:
    engine, ids = await _fired(store, make_order)
    before = await store.change_seq()
    assert await engine.replan_changed() == 3
    assert sorted(decided) == sorted(ids)
    # The openings moved the orders' stamps, so readers that follow orders see them...
    touched, _ = await store.changed_order_ids(before)
    assert sorted(touched) == sorted(ids)
    # ...but the engine, which decided them from what it had just read, does not look again.
    decided.clear()
    assert await engine.replan_changed() == 0
    assert decided == []

    # A change of one of them afterwards is decided, and only that one.
    shipped = make_order(2, paid_at=T0, tracking="SF200", updated_at=engine.clock.now(), rev=1)
    (changed,) = await store.save_order_page("shop", "shopify", [shipped], "", engine.clock.now())
    assert await engine.replan_changed() == 1
    assert decided == [changed]
    assert {e.order_id for e in await store.open_escalations()} == set(ids) - {changed}


async def test_a_write_between_its_reads_and_its_save_has_them_decided_again(
    store: Store, make_order: OrderFactory, decided: list[int]
) -> None:
    engine, ids = await _fired(store, make_order)
    save = store.save_decisions

    async def after_another_write(decisions: Sequence[Any], now: Any) -> Saved:
        # say, an agent's note on one of the orders, from the console, at that moment
        await store.add_note(ids[0], "agent", "customer called", now)
        return await save(decisions, now)

    store.save_decisions = after_another_write  # type: ignore[method-assign]
    assert await engine.replan_changed() == 3
    # Once as they came, once again for what they might have missed (nothing, here).
    assert sorted(decided) == sorted(ids * 2)
    assert len(await store.open_escalations()) == 3
