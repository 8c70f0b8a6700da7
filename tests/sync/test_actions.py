"""Agents' actions on escalations: compare-and-swap on the version, every one on the timeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sync.desk import (
    AGENTS_KEY,
    DELAY_REASONS_KEY,
    DelayReason,
    DeskAgent,
    agents_to_json,
    reasons_to_json,
)
from sync.domain import EscalationRow, EscalationState, TimerState
from sync.errors import ActionError, ConflictError
from sync.store import Store, TimerDecision
from tests.conftest import T0, OrderFactory

NOW = T0 + timedelta(hours=5)


async def _escalation(store: Store, make_order: OrderFactory, n: int = 1) -> EscalationRow:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(n)], "", T0)
    decision = TimerDecision(
        rule_id="paid_not_shipped",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=4),
        warn_at=None,
        next_at=None,
        rules_version="v1",
        severity="critical",
        summary=f"Order #{1000 + n} late",
    )
    await store.save_timers([decision], T0 + timedelta(hours=4))
    (found,) = await store.escalations_for_order(order_id)
    return found


async def _kinds(store: Store, order_id: int) -> list[tuple[str, str, str, str]]:
    return [
        (e.actor, e.kind, e.from_value, e.to_value)
        for e in await store.events(order_id)
        if e.subject_kind == "escalation" and e.actor != "daemon"
    ]


async def test_take_acknowledges_and_owns(store: Store, make_order: OrderFactory) -> None:
    escalation = await _escalation(store, make_order)
    taken = await store.take(escalation.id, escalation.version, "anna", NOW)
    assert (taken.state, taken.assignee, taken.acked_by) == ("acknowledged", "anna", "anna")
    assert taken.version == escalation.version + 1
    assert await _kinds(store, escalation.order_id) == [("anna", "taken", "", "anna")]


async def test_two_takes_at_once_one_wins_and_the_other_is_told_who(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    await store.take(escalation.id, escalation.version, "anna", NOW)
    with pytest.raises(ConflictError) as lost:
        await store.take(escalation.id, escalation.version, "ben", NOW)
    assert (lost.value.changed_by, lost.value.change) == ("anna", "taken")
    found = await store.escalation(escalation.id)
    assert found is not None and found.assignee == "anna"


async def test_a_note_in_between_does_not_hide_who_won(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    await store.take(escalation.id, escalation.version, "anna", NOW)
    await store.add_note(escalation.order_id, "mia", "called the courier", NOW, escalation.id)
    with pytest.raises(ConflictError) as lost:
        await store.assign(escalation.id, escalation.version, "ben", "mia", NOW)
    assert (lost.value.changed_by, lost.value.change) == ("anna", "taken")


async def test_first_acknowledgement_is_recorded_for_the_figures(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    acked = await store.acknowledge(escalation.id, escalation.version, "anna", NOW)
    again = await store.escalate_now(acked.id, acked.version, "ben", NOW + timedelta(minutes=1))
    taken = await store.take(again.id, again.version, "ben", NOW + timedelta(minutes=2))
    assert (taken.first_acked_by, taken.first_acked_at, taken.first_ack_level) == ("anna", NOW, 1)


async def test_assign_to_an_agent_not_in_the_rules_is_refused(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    agents = (DeskAgent("anna", "Anna"), DeskAgent("ben", "Ben"))
    await store.set_state({AGENTS_KEY: agents_to_json(agents)}, T0)
    with pytest.raises(ActionError, match="'zoe' is not an agent"):
        await store.assign(escalation.id, escalation.version, "anna", "zoe", NOW)


async def test_assign_tells_the_new_owner(store: Store, make_order: OrderFactory) -> None:
    escalation = await _escalation(store, make_order)
    assigned = await store.assign(escalation.id, escalation.version, "anna", "ben", NOW)
    assert assigned.assignee == "ben"
    (notice,) = await store.agent_notices("ben")
    assert notice.title == f"anna assigned you escalation {escalation.id}"
    assert await store.unread_notice_count("anna") == 0


async def test_snooze_needs_an_end_after_now(store: Store, make_order: OrderFactory) -> None:
    escalation = await _escalation(store, make_order)
    with pytest.raises(ActionError, match="end after now"):
        await store.snooze(escalation.id, escalation.version, "anna", NOW, NOW)


async def test_snooze_longer_than_the_limit_is_refused(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    with pytest.raises(ActionError, match="at most 24h"):
        await store.snooze(escalation.id, escalation.version, "anna", NOW + timedelta(days=2), NOW)


async def test_snooze_holds_the_ladder_until_its_end(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    until = NOW + timedelta(hours=2)
    snoozed = await store.snooze(escalation.id, escalation.version, "anna", until, NOW)
    assert (snoozed.snoozed_until, snoozed.next_step_at) == (until, until)
    assert snoozed.snoozed(NOW) and not snoozed.snoozed(until)


async def test_resolve_with_an_unknown_reason_is_refused(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    with pytest.raises(ActionError, match="unknown delay reason 'lazy'"):
        await store.resolve(escalation.id, escalation.version, "anna", "lazy", "", NOW)


async def test_resolve_with_other_needs_a_note(store: Store, make_order: OrderFactory) -> None:
    escalation = await _escalation(store, make_order)
    with pytest.raises(ActionError, match="needs a note"):
        await store.resolve(escalation.id, escalation.version, "anna", "other", " ", NOW)


async def test_resolve_records_the_reason_and_the_note(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    done = await store.resolve(
        escalation.id, escalation.version, "anna", "stock_shortage", "restock Friday", NOW
    )
    assert (done.state, done.resolution, done.resolved_by) == ("resolved", "stock_shortage", "anna")
    notes = [e.detail for e in await store.events(escalation.order_id) if e.kind == "note"]
    assert notes == ["restock Friday"]


async def test_the_shops_delay_reasons_replace_the_defaults(store: Store) -> None:
    assert ("customs", "Held in customs") in await store.delay_reasons()
    reasons = (DelayReason("rain", "Rain"), DelayReason("other", "Other", needs_note=True))
    await store.set_state({DELAY_REASONS_KEY: reasons_to_json(reasons)}, T0)
    assert await store.delay_reasons() == [("rain", "Rain"), ("other", "Other")]


async def test_reopen_restarts_the_ladder_at_level_one(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    done = await store.resolve(escalation.id, escalation.version, "anna", "customs", "", NOW)
    again = await store.reopen(done.id, done.version, "ben", NOW + timedelta(hours=1))
    assert (again.state, again.level, again.ladder_round) == ("firing", 1, 2)
    assert (again.resolution, again.acked_by) == ("", "")
    assert again.next_step_at == NOW + timedelta(hours=1)


async def test_reopen_of_an_open_escalation_is_a_conflict(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    with pytest.raises(ConflictError, match="already firing"):
        await store.reopen(escalation.id, escalation.version, "anna", NOW)


async def test_escalate_now_withdraws_the_acknowledgement(
    store: Store, make_order: OrderFactory
) -> None:
    escalation = await _escalation(store, make_order)
    acked = await store.acknowledge(escalation.id, escalation.version, "anna", NOW)
    up = await store.escalate_now(acked.id, acked.version, "ben", NOW)
    assert (up.state, up.level, up.acked_by) == (EscalationState.FIRING, 2, "")
    assert ("ben", "escalated", "level 1", "level 2") in await _kinds(store, escalation.order_id)


async def test_a_note_goes_on_the_orders_timeline(store: Store, make_order: OrderFactory) -> None:
    escalation = await _escalation(store, make_order)
    await store.add_note(escalation.order_id, "anna", "called the customer", NOW, escalation.id)
    (note,) = [e for e in await store.events(escalation.order_id) if e.kind == "note"]
    assert (note.actor, note.detail, note.subject_id) == ("anna", "called the customer", 1)


async def test_a_note_on_another_orders_escalation_is_refused(
    store: Store, make_order: OrderFactory
) -> None:
    first = await _escalation(store, make_order, 1)
    second = await _escalation(store, make_order, 2)
    with pytest.raises(ActionError, match="not about order"):
        await store.add_note(first.order_id, "anna", "hello", NOW, second.id)


async def test_an_action_on_a_missing_escalation_says_so(store: Store) -> None:
    with pytest.raises(ActionError, match="escalation 99 does not exist"):
        await store.take(99, 1, "anna", NOW)


async def test_agents_write_with_full_sync(tmp_path: Path) -> None:
    durable = await Store.open(tmp_path / "a.db", durable=True)
    try:
        assert await durable.db.scalar("PRAGMA synchronous") == 2
    finally:
        await durable.close()
