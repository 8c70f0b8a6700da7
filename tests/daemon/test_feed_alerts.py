"""A feed rule that fires opens an escalation about the feed, which climbs its policy's ladder
like an order's and resolves by itself once the feed has answered for ``keep_firing_for``."""

from __future__ import annotations

import json
from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.ladder.driver import Ladder
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.domain import EscalationRow
from sync.store import Store
from tests.conftest import T0, OrderFactory

STALE = """
[[rules]]
id = "stale"
title = "Tracking feed stale"
subject = "source"
fires_when = "source.age > 2h"
for = "10m"
keep_firing_for = "15m"
severity = "critical"
summary = "Feed {source.name} silent for {source.age}"
escalation = "ops"
"""

SILENT = """
[[rules]]
id = "silent"
subject = "shipment"
starts_at = "shipment.shipped_at"
active_while = "not shipment.terminal"
timeout = "1h"
"""

INHIBIT = """
[[inhibit]]
source = { rule = "stale", states = ["pending", "firing"] }
target = { rule = "silent" }
equal = ["carrier"]
"""

WORKFLOW = """
[agents.owner]
name = "The owner"
team = "ops"

[agents.lead]
name = "The lead"

[teams.ops]
name = "Operations"

[escalations.ops]
[[escalations.ops.levels]]
notify = ["team:ops"]
channels = ["console", "hook"]
ack_within = "15m"

[[escalations.ops.levels]]
notify = ["agent:lead"]
channels = ["console"]

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
"""

RULES = STALE + SILENT + INHIBIT + WORKFLOW
FIRES = T0 + timedelta(minutes=10)


class Desk:
    """The rules engine and the ladder, stepped at the moments a daemon would."""

    def __init__(self, store: Store, text: str = RULES) -> None:
        self.store = store
        self.clock = VirtualClock(T0)
        self.engine = RulesEngine(store, self.clock, parse_rules(text))
        self.ladder = Ladder(store, self.clock, lambda: self.engine.rules)

    async def at(self, minutes: float) -> None:
        self.clock.set(T0 + timedelta(minutes=minutes))
        await self.engine.tick()
        await self.ladder.step()

    async def feed_escalations(self) -> list[EscalationRow]:
        found = []
        for timer in await self.store.source_timers():
            if timer.escalation_id is not None:
                row = await self.store.escalation(timer.escalation_id)
                assert row is not None
                found.append(row)
        return found

    async def titles(self) -> list[str]:
        return [json.loads(row.payload)["title"] for row in await self.store.outbox_rows()]


async def _stale_feed(store: Store) -> Desk:
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    desk = Desk(store)
    await desk.engine.replan_all()
    return desk


async def test_a_stale_feed_opens_an_escalation_that_names_the_feed(store: Store) -> None:
    desk = await _stale_feed(store)
    await desk.at(5)
    assert await desk.feed_escalations() == []  # pending: nobody is told yet
    await desk.at(10)
    (escalation,) = await desk.feed_escalations()
    assert (escalation.order_id, escalation.source, escalation.about) == (
        None,
        "17track",
        "17track",
    )
    assert (escalation.state, escalation.level, escalation.policy) == ("firing", 1, "ops")
    assert await desk.titles() == ["[critical] Feed 17track: Tracking feed stale"] * 2


async def test_an_unacknowledged_feed_escalation_climbs_then_resolves_as_the_feed_recovers(
    store: Store,
) -> None:
    desk = await _stale_feed(store)
    await desk.at(10)
    await desk.at(24)
    assert [e.level for e in await desk.feed_escalations()] == [1]
    await desk.at(25)  # 15 minutes without an acknowledgement
    (escalation,) = await desk.feed_escalations()
    assert escalation.level == 2
    lead = [
        json.loads(row.payload)["recipients"][0]["login"]
        for row in await store.outbox_rows(escalation.id)
        if row.level == 2
    ]
    assert lead == ["lead"]
    await store.record_source_success("17track", "17track", 0, T0 + timedelta(minutes=30))
    await desk.at(31)
    assert (await desk.feed_escalations())[0].state == "firing"  # keep_firing_for holds it
    await desk.at(46)
    (done,) = await desk.feed_escalations()
    assert (done.state, done.resolution, done.resolved_by) == ("resolved", "recovered", "daemon")


async def test_an_acknowledged_feed_escalation_stops_climbing(store: Store) -> None:
    desk = await _stale_feed(store)
    await desk.at(10)
    (escalation,) = await desk.feed_escalations()
    await store.acknowledge(escalation.id, escalation.version, "owner", desk.clock.now())
    await desk.at(40)
    (after,) = await desk.feed_escalations()
    assert (after.state, after.level, after.acked_by) == ("acknowledged", 1, "owner")


async def test_a_stale_feed_mutes_its_parcels_and_raises_one_escalation(
    store: Store, make_order: OrderFactory
) -> None:
    for n in range(1, 6):
        await store.save_order_page("shop", "x", [make_order(n, tracking=f"SF{n}")], "", T0)
    desk = await _stale_feed(store)
    for minutes in (10, 11, 30, 60):
        await desk.at(minutes)
    assert len(await store.open_escalations()) == 1
    assert await store.escalations_for_order(1) == []  # the muted parcels raise nothing


async def test_a_reload_tells_nobody_and_removing_the_rule_closes_the_escalation(
    store: Store,
) -> None:
    desk = await _stale_feed(store)
    await desk.at(10)
    sent = await desk.titles()
    desk.engine.swap(parse_rules(RULES.replace("silent for", "quiet for")))
    await desk.engine.replan_all()
    await desk.ladder.step()
    assert await desk.titles() == sent
    desk.engine.swap(parse_rules(SILENT + WORKFLOW))
    await desk.engine.replan_all()
    await desk.ladder.step()
    (escalation,) = await desk.feed_escalations()
    assert (escalation.state, escalation.resolution) == ("resolved", "rule removed")
    assert await desk.titles() == sent


async def test_a_feed_escalation_skips_a_level_outside_its_hours(store: Store) -> None:
    office = '[calendars.office]\nhours.mon-fri = ["09:00-17:00"]\n'
    rules = (
        'timezone = "UTC"\n'
        + office
        + RULES.replace(
            'channels = ["console", "hook"]\nack_within = "15m"\n',
            'channels = ["console", "hook"]\nack_within = "15m"\n'
            'active_during = "office"\noutside_hours = "skip"\n',
        )
    )
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    desk = Desk(store, rules)
    await desk.engine.replan_all()
    await desk.at(10)  # Friday 08:10 UTC: the office opens at 09:00
    (escalation,) = await desk.feed_escalations()
    assert escalation.level == 2
    assert [row.level for row in await store.outbox_rows(escalation.id)] == [2]
