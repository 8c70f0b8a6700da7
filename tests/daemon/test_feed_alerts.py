"""A feed rule that fires tells people once per feed and firing, and once when it clears."""

from __future__ import annotations

import json
from datetime import timedelta

from daemon.engine import RulesEngine
from daemon.rules.loader import parse_rules
from sync.clock import VirtualClock
from sync.store import Store
from tests.conftest import T0, OrderFactory

STALE = """
[[rules]]
id = "stale"
title = "Tracking feed stale"
subject = "source"
fires_when = "source.age > 2h"
for = "10m"
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

[teams.ops]
name = "Operations"

[escalations.ops]
[[escalations.ops.levels]]
notify = ["team:ops"]
channels = ["console", "hook"]

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
"""

RULES = STALE + SILENT + INHIBIT + WORKFLOW


async def test_a_stale_feed_is_one_message_per_channel_however_many_parcels_it_mutes(
    store: Store, make_order: OrderFactory
) -> None:
    for n in range(1, 6):
        order = make_order(n, tracking=f"SF{n}")
        await store.save_order_page("shop", "x", [order], "", T0)
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(RULES))
    await engine.replan_all()
    assert await store.outbox_rows() == []  # pending: nobody is told yet
    for minutes in (10, 11, 30, 60):
        clock.set(T0 + timedelta(minutes=minutes))
        await engine.tick()
    rows = await store.outbox_rows()
    assert [(row.channel, row.escalation_id) for row in rows] == [("console", None), ("hook", None)]
    message = json.loads(rows[0].payload)
    assert message["title"] == "[critical] Feed 17track: Tracking feed stale"
    assert [person["login"] for person in message["recipients"]] == ["owner"]
    assert await store.escalations_for_order(1) == []  # the muted parcels raise nothing


async def test_a_feed_that_answers_again_says_so_once(
    store: Store, make_order: OrderFactory
) -> None:
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(RULES))
    await engine.replan_all()
    clock.set(T0 + timedelta(minutes=10))
    await engine.tick()
    await store.record_source_success("17track", "17track", 0, clock.now())
    clock.set(clock.now() + timedelta(minutes=1))
    await engine.tick()
    await engine.tick()
    titles = [json.loads(row.payload)["title"] for row in await store.outbox_rows()]
    assert titles == [
        "[critical] Feed 17track: Tracking feed stale",
        "[critical] Feed 17track: Tracking feed stale",
        "cleared Feed 17track: Tracking feed stale",
        "cleared Feed 17track: Tracking feed stale",
    ]


async def test_a_reload_that_removes_the_feed_rule_tells_nobody(store: Store) -> None:
    await store.record_source_success("17track", "17track", 0, T0 - timedelta(hours=3))
    clock = VirtualClock(T0)
    engine = RulesEngine(store, clock, parse_rules(RULES))
    await engine.replan_all()
    clock.set(T0 + timedelta(minutes=10))
    await engine.tick()
    raised = len(await store.outbox_rows())
    assert raised == 2  # console and hook
    engine.swap(parse_rules(SILENT + WORKFLOW))
    await engine.replan_all()
    assert (await store.source_timers())[0].reason == "rule removed"
    assert len(await store.outbox_rows()) == raised
