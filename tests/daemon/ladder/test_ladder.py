"""Escalation ladders on a virtual clock, through the production engine, ladder and store.

These are the ladder's scenarios (ack in time, no ack then the backup, outside hours, repeats,
an acknowledgement that expires, a policy kept across a reload): each plays the rules engine and
the ladder at the moments a daemon would, over a real SQLite file.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.engine import RulesEngine
from daemon.ladder.driver import Ladder
from daemon.outbox.message import Message
from daemon.rules.loader import parse_rules
from daemon.rules.model import RuleSet
from sync.clock import VirtualClock
from sync.domain import EscalationRow
from sync.store import Store
from tests.conftest import T0, OrderFactory

FIRES = T0 + timedelta(hours=4)  # Friday 2026-11-20 12:00 UTC

RULES = """\
timezone = "UTC"

[calendars.office]
hours.mon-fri = ["09:00-17:00"]

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'"
timeout = "4h"
severity = "critical"
escalation = "desk"

[agents.anna]
team = "desk"
backup = "ben"

[agents.ben]
team = "desk"

[agents.owner]
name = "The owner"

[teams.desk]
backup = "ben"

[escalations.desk]
ack_expires = "2h"

[[escalations.desk.levels]]
notify = ["team:desk"]
channels = ["console"]
ack_within = "15m"

[[escalations.desk.levels]]
reassign_to = "backup"
channels = ["console"]
ack_within = "15m"

[[escalations.desk.levels]]
notify = ["agent:owner"]
channels = ["console"]
repeat = { every = "30m", times = 3 }
"""


class Desk:
    """The engine and the ladder over one store, on one virtual clock."""

    def __init__(self, store: Store, text: str = RULES, start: datetime = T0) -> None:
        self.store = store
        self.clock = VirtualClock(start)
        self.rules: RuleSet = parse_rules(text)
        self.engine = RulesEngine(store, self.clock, self.rules)
        self.ladder = Ladder(store, self.clock, lambda: self.rules)

    def reload(self, text: str) -> None:
        self.rules = parse_rules(text)
        self.engine.swap(self.rules)

    async def at(self, instant: datetime, *, catching_up: bool = False) -> None:
        self.clock.set(instant)
        await self.engine.replan_changed()
        await self.engine.fire_due()
        await self.ladder.step(catching_up=catching_up)

    async def escalation(self) -> EscalationRow:
        (found,) = await self.store.open_escalations() or await self.store.escalations_for_order(1)
        return found

    async def notified(self) -> list[tuple[int, int, int, str, tuple[str, ...]]]:
        """(round, level, repeat, state, recipients) of every queued notification."""
        found = []
        for row in await self.store.outbox_rows():
            message = Message.from_json(row.payload)
            details = message.escalation
            found.append(
                (
                    details.get("round", 0),
                    details.get("level", 0),
                    details.get("repeat", 0),
                    row.state,
                    tuple(r.login for r in message.recipients),
                )
            )
        return found


async def _paid(store: Store, make_order: OrderFactory, n: int = 1) -> None:
    await store.save_order_page("shop", "shopify", [make_order(n, paid_at=T0)], "", T0)


async def test_a_new_escalation_notifies_the_team_on_level_one(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    assert (escalation.policy, escalation.level) == ("desk", 1)
    assert escalation.next_step_at == FIRES + timedelta(minutes=15)
    assert await desk.notified() == [(1, 1, 0, "pending", ("anna", "ben"))]


async def test_an_acknowledgement_in_time_stops_the_ladder(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    await store.acknowledge(
        escalation.id, escalation.version, "anna", FIRES + timedelta(minutes=10)
    )
    await desk.at(FIRES + timedelta(minutes=30))
    after = await desk.escalation()
    assert (after.state, after.level) == ("acknowledged", 1)
    assert after.next_step_at == FIRES + timedelta(minutes=10, hours=2)  # when the ack expires
    assert len(await desk.notified()) == 1


async def test_no_acknowledgement_hands_it_to_the_backup(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    await desk.at(FIRES + timedelta(minutes=15))
    escalation = await desk.escalation()
    assert (escalation.level, escalation.assignee) == (2, "ben")
    assert (await desk.notified())[-1] == (1, 2, 0, "pending", ("ben",))
    kinds = [(e.kind, e.from_value, e.to_value) for e in await store.events(escalation.order_id)]
    assert ("reassigned", "", "ben") in kinds
    assert ("escalated", "level 1", "level 2") in kinds


async def test_the_backup_of_the_owner_comes_before_the_teams(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(
        store, RULES.replace('[teams.desk]\nbackup = "ben"', '[teams.desk]\nbackup = "owner"')
    )
    await desk.at(FIRES)
    escalation = await desk.escalation()
    await store.assign(escalation.id, escalation.version, "owner", "anna", FIRES)
    await desk.at(FIRES + timedelta(minutes=15))
    assert (await desk.escalation()).assignee == "ben"  # anna's backup


async def test_a_level_outside_its_hours_is_skipped(store: Store, make_order: OrderFactory) -> None:
    text = RULES.replace(
        'reassign_to = "backup"\n',
        'reassign_to = "backup"\nactive_during = "office"\noutside_hours = "skip"\n',
    )
    saturday = T0 + timedelta(days=1)
    await store.save_order_page("shop", "shopify", [make_order(1, paid_at=saturday)], "", T0)
    desk = Desk(store, text, saturday)
    await desk.at(saturday + timedelta(hours=4))
    await desk.at(saturday + timedelta(hours=4, minutes=15))
    escalation = await desk.escalation()
    assert escalation.level == 3
    assert [n[1] for n in await desk.notified()] == [1, 3]


async def test_a_level_waits_for_its_team_to_come_on_duty(
    store: Store, make_order: OrderFactory
) -> None:
    text = RULES.replace(
        "[teams.desk]\n", '[teams.desk]\nshifts = [{ days = "mon-fri", hours = "14:00-18:00" }]\n'
    )
    await _paid(store, make_order)
    desk = Desk(store, text)
    await desk.at(FIRES)  # 12:00: nobody of the team on duty until 14:00
    escalation = await desk.escalation()
    assert escalation.next_step_at == FIRES + timedelta(hours=2)
    assert await desk.notified() == []
    await desk.at(FIRES + timedelta(hours=2))
    assert await desk.notified() == [(1, 1, 0, "pending", ("anna", "ben"))]
    assert (await desk.escalation()).next_step_at == FIRES + timedelta(hours=2, minutes=15)


async def test_the_last_level_repeats_as_often_as_it_says(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    start = FIRES + timedelta(minutes=30)  # level 3 begins
    for minutes in (0, 15, 30, 60, 90, 120, 150, 180):
        await desk.at(FIRES + timedelta(minutes=minutes))
    level_three = [(n[2], n[4]) for n in await desk.notified() if n[1] == 3]
    assert level_three == [(repeat, ("owner", "ben")) for repeat in range(4)]
    assert (await desk.escalation()).next_step_at is None
    assert start + timedelta(minutes=90) <= desk.clock.now()


async def test_an_acknowledgement_expires_and_the_ladder_starts_over(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    await store.acknowledge(escalation.id, escalation.version, "anna", FIRES + timedelta(minutes=5))
    await desk.at(FIRES + timedelta(hours=2, minutes=5))
    again = await desk.escalation()
    assert (again.state, again.level, again.ladder_round, again.acked_by) == ("firing", 1, 2, "")
    assert (await desk.notified())[-1] == (2, 1, 0, "pending", ("anna", "ben"))
    kinds = [e.kind for e in await store.events(again.order_id)]
    assert "ack_expired" in kinds


async def test_an_escalation_keeps_its_policy_across_a_reload(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order, 1)
    desk = Desk(store)
    await desk.at(FIRES)
    first = await desk.escalation()
    faster = RULES.replace('ack_within = "15m"', 'ack_within = "5m"')
    desk.reload(faster)
    await desk.engine.replan_all()
    await desk.at(FIRES + timedelta(minutes=5))
    assert (await store.escalation(first.id)).level == 1  # type: ignore[union-attr]
    await desk.at(FIRES + timedelta(minutes=15))
    assert (await store.escalation(first.id)).level == 2  # type: ignore[union-attr]
    await store.save_order_page(
        "shop", "shopify", [make_order(2, paid_at=FIRES)], "", FIRES + timedelta(minutes=15)
    )
    await desk.at(FIRES + timedelta(hours=4))
    (second,) = [e for e in await store.open_escalations() if e.id != first.id]
    await desk.at(FIRES + timedelta(hours=4, minutes=5))
    after = await store.escalation(second.id)
    assert after is not None and after.level == 2
    assert after.policy_version != first.policy_version


async def test_a_snooze_holds_the_ladder_until_it_ends(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    until = FIRES + timedelta(hours=1)
    await store.snooze(escalation.id, escalation.version, "anna", until, FIRES)
    await desk.at(FIRES + timedelta(minutes=30))
    assert (await desk.escalation()).level == 1
    await desk.at(until)
    after = await desk.escalation()
    assert (after.level, after.ladder_round, after.snoozed_until) == (1, 2, None)
    assert (await desk.notified())[-1][:3] == (2, 1, 0)


async def test_escalate_now_notifies_the_next_level_at_once(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    await store.escalate_now(
        escalation.id, escalation.version, "anna", FIRES + timedelta(minutes=1)
    )
    await desk.at(FIRES + timedelta(minutes=1))
    assert (await desk.notified())[-1] == (2, 2, 0, "pending", ("ben",))


async def test_an_agents_action_during_a_step_wins(store: Store, make_order: OrderFactory) -> None:
    await _paid(store, make_order)
    desk = Desk(store)
    await desk.at(FIRES)
    desk.clock.set(FIRES + timedelta(minutes=15))
    (due,) = await store.due_ladder_steps(desk.clock.now())
    decided = desk.ladder._decide(due, desk.clock.now())
    escalation = due.escalation
    await store.acknowledge(escalation.id, escalation.version, "anna", desk.clock.now())
    assert await store.save_ladder([decided.step], desk.clock.now()) == []
    after = await desk.escalation()
    assert (after.state, after.level, after.acked_by) == ("acknowledged", 1, "anna")


async def test_what_came_due_while_down_goes_out_as_one_digest(
    store: Store, make_order: OrderFactory
) -> None:
    for n in (1, 2, 3):
        await _paid(store, make_order, n)
    desk = Desk(store)
    await desk.at(FIRES)
    seq = len(await store.outbox_rows())
    await desk.at(FIRES + timedelta(hours=1, minutes=10), catching_up=True)
    rows = (await store.outbox_rows())[seq:]
    states = sorted(row.state for row in rows)
    assert states == ["coalesced"] * 3 + ["pending"]
    (digest,) = [Message.from_json(row.payload) for row in rows if row.state == "pending"]
    assert digest.kind == "digest"
    assert digest.title == "3 escalations came due while orderwatch was not running"
    assert {r.login for r in digest.recipients} == {"ben", "owner"}


async def test_an_escalation_without_a_policy_is_left_to_the_console(
    store: Store, make_order: OrderFactory
) -> None:
    await _paid(store, make_order)
    text = RULES.replace('escalation = "desk"\n', "")
    desk = Desk(store, text)
    await desk.at(FIRES)
    escalation = await desk.escalation()
    assert (escalation.policy, escalation.next_step_at) == ("", None)
    assert await store.escalations_to_adopt() == []
    assert await desk.notified() == []
