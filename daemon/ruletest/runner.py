"""``orderwatchd rules test``: play scenarios through the production rules engine on a virtual
clock, and check what agents would see.

Each scenario starts from an empty in-memory database and a :class:`~sync.clock.VirtualClock` at
its ``start``. The clock jumps from event to event, stopping at every moment the engine asked
to be woken (a warning, a deadline, a feed check) in between, so nothing is polled and a
three-day scenario runs in a moment. Events are written through the store like a sync would; a
``reload`` goes through the same parse-check-swap as the daemon's. A failed expectation prints
the instance's timeline: every state it went through, with its deadline and why.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w

from daemon.engine import RulesEngine
from daemon.ladder.driver import Ladder
from daemon.rules.loader import parse_rules
from daemon.rules.model import RuleSet
from daemon.ruletest.checks import check
from daemon.ruletest.guards import ScenarioGuards
from daemon.ruletest.spec import Case, Event, TestFile
from daemon.ruletest.view import Instance, clocks_of, show, source_instance, timer_instance
from daemon.ruletest.world import SOURCE, World
from sync.clock import VirtualClock
from sync.domain import EscalationRow, SubjectKind, TimerRow
from sync.errors import ConfigError
from sync.store import Store

MAX_WAKES = 200_000


@dataclass
class Outcome:
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Reloads:
    version: int = 1
    result: str = "ok"
    error: str = ""


class CaseRun:
    """One scenario in progress."""

    def __init__(self, file: TestFile, case: Case, text: str, filename: str) -> None:
        self.file = file
        self.case = case
        self.text = text
        self.filename = filename
        self.zone = ZoneInfo(file.timezone)
        self.clock = VirtualClock(case.start)
        self.reloads = Reloads()
        self.timelines: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._last: dict[tuple[str, str], str] = {}
        self._seq = -1
        self.policy_versions: dict[str, int] = {}

    async def run(self) -> Outcome:
        outcome = Outcome(self.case.name)
        store = await Store.open(":memory:")
        try:
            self.store = store
            self.world = World(store, self.zone, str(self.file.path), self.file.fixtures)
            self.engine = RulesEngine(store, self.clock, parse_rules(self.text, self.filename))
            self.engine.guards = ScenarioGuards(
                store, self.clock, lambda: self.engine.rules.guards, self.world.guards
            )
            self.ladder = Ladder(store, self.clock, lambda: self.engine.rules)
            self._remember_policies()
            await self.engine.replan_all()
            for stop in self._stops():
                await self._wake_until(stop)
                self.clock.set(stop)
                await self._events_at(stop)
                await self._pass()
                for expect in self.case.expects:
                    if (expect.until or expect.at) == stop:
                        outcome.failures += await check(self, expect)
        finally:
            await store.close()
        return outcome

    @property
    def rules(self) -> RuleSet:
        return self.engine.rules

    def _stops(self) -> list[datetime]:
        stops = {self.case.start, *(event.at for event in self.case.events)}
        stops.update(expect.until or expect.at for expect in self.case.expects)
        end = self.case.end
        for beat in self.case.heartbeats:
            at = self.case.start
            while at <= end:
                stops.add(at)
                at += beat.every
        return sorted(stops)

    async def _wake_until(self, stop: datetime) -> None:
        for _ in range(MAX_WAKES):
            wake = await self._next_wake()
            if wake is None or wake >= stop or wake <= self.clock.now():
                return
            self.clock.set(wake)
            await self._pass()
        raise ConfigError(f"{self.file.path}: {self.case.name}: the engine never settles")

    async def _next_wake(self) -> datetime | None:
        """The engine's next wake, or the ladder's when that comes first."""
        found = [await self.engine.next_wake(), await self.ladder.next_wake()]
        return min((at for at in found if at is not None), default=None)

    def _remember_policies(self) -> None:
        """Number each escalation policy by the rules version that first had it, so a scenario
        can say an escalation runs on "policy_version = 1" after a reload."""
        workflow = self.engine.rules.workflow
        for policy in workflow.policies.values() if workflow is not None else ():
            self.policy_versions.setdefault(policy.version, self.reloads.version)

    async def _events_at(self, stop: datetime) -> None:
        for beat in self.case.heartbeats:
            if (stop - self.case.start) % beat.every == timedelta():
                await self.world.heartbeat(beat.source, beat.kind, stop)
        for event in self.case.events:
            if event.at != stop:
                continue
            if event.kind == "reload":
                await self._reload(event)
            elif event.kind == "ack":
                await self._ack(event)
            else:
                await self.world.apply(event)

    async def _pass(self) -> None:
        await self.engine.tick()
        await self.ladder.step()
        seq = await self.store.change_seq()
        if seq == self._seq:  # nothing was written: every instance is as it was
            return
        self._seq = seq
        for instance in await self.instances():
            key = (instance.rule_id, instance.key)
            line = instance.line(self.zone)
            if self._last.get(key) != line:
                self._last[key] = line
                self.timelines[key].append(f"{show(self.clock.now(), self.zone)}  {line}")

    async def _reload(self, event: Event) -> None:
        try:
            text = self._edited(event)
            rules = parse_rules(text, self.filename)
        except ConfigError as error:
            self.reloads.result, self.reloads.error = "rejected", "\n".join(error.problems)
            return
        self.text = text
        self.reloads = Reloads(self.reloads.version + 1)
        self.engine.swap(rules)
        self._remember_policies()
        await self.engine.replan_all()

    def _edited(self, event: Event) -> str:
        data = event.data
        if "file" in data:
            path = self.file.path.parent / str(data["file"])
            return path.read_text(encoding="utf-8")
        if "text" in data:
            return str(data["text"])
        document = tomllib.loads(self.text)
        for path, value in dict(data.get("set", {})).items():
            _set(document, str(path), value, self.file.path, event.line)
        return tomli_w.dumps(document)

    async def _ack(self, event: Event) -> None:
        rule_id, key = str(event.data.get("rule", "")), str(event.data.get("key", ""))
        escalation = await self.escalation_of(rule_id, key)
        if escalation is None or not escalation.open:
            raise ConfigError(f"{self.file.path}:{event.line}: ack: nothing is firing to ack")
        agent = str(event.data.get("by", "agent"))
        await self.store.acknowledge(escalation.id, escalation.version, agent, self.clock.now())

    async def keys(self) -> tuple[dict[int, str], dict[int, str]]:
        """Store ids → scenario ids, for orders and for parcels."""
        orders = await self.store.order_ids_by_external(SOURCE, list(self.world.orders))
        parcels = await self.store.shipment_ids_by_external(list(self.world.parcels))
        return {v: k for k, v in orders.items()}, {v: k for k, v in parcels.items()}

    async def timer(self, rule_id: str, key: str) -> TimerRow | None:
        """The stored timer of ``rule_id`` about scenario id ``key``."""
        rule = self.rules.rule(rule_id)
        kind = rule.subject if rule is not None else None
        order_key = (
            key
            if kind != SubjectKind.SHIPMENT
            else self.world.parcels.get(key, {}).get("order", "")
        )
        ids = await self.store.order_ids_by_external(SOURCE, [order_key])
        if order_key not in ids:
            return None
        subject_id = ids[order_key]
        if kind == SubjectKind.SHIPMENT:
            subject_id = (await self.store.shipment_ids_by_external([key])).get(key, -1)
        for timer in await self.store.timers_for_orders([ids[order_key]]):
            if timer.rule_id == rule_id and timer.subject_id == subject_id:
                return timer
        return None

    async def escalation_of(self, rule_id: str, key: str) -> EscalationRow | None:
        """The escalation the instance of ``rule_id`` about ``key`` raised last (for a rule
        about a source, ``key`` is the source's name)."""
        rule = self.rules.rule(rule_id)
        escalation_id: int | None = None
        if rule is not None and rule.subject == SubjectKind.SOURCE:
            feeds = await self.store.source_timers()
            found = [t for t in feeds if (t.rule_id, t.source) == (rule_id, key)]
            escalation_id = found[0].escalation_id if found else None
        elif (timer := await self.timer(rule_id, key)) is not None:
            escalation_id = timer.escalation_id
        return await self._escalation_numbered(escalation_id)

    async def _escalation_numbered(self, escalation_id: int | None) -> EscalationRow | None:
        return None if escalation_id is None else await self.store.escalation(escalation_id)

    async def instances(self) -> list[Instance]:
        orders, parcels = await self.keys()
        clocks = clocks_of(self.rules)
        now = self.clock.now()
        found = [
            source_instance(timer, await self._escalation_numbered(timer.escalation_id))
            for timer in await self.store.source_timers()
        ]
        for timer in await self.store.timers_for_orders(list(orders)):
            names = parcels if timer.subject_kind == SubjectKind.SHIPMENT else orders
            key = names.get(timer.subject_id, str(timer.subject_id))
            escalation = await self._escalation(timer.order_id, timer.rule_id, timer.subject_id)
            found.append(timer_instance(timer, key, now, clocks, escalation))
        return found

    async def _escalation(
        self, order_id: int, rule_id: str, subject_id: int
    ) -> EscalationRow | None:
        latest = None
        for row in await self.store.escalations_for_order(order_id):
            if row.rule_id == rule_id and row.subject_id == subject_id:
                latest = row
        return latest


def _set(document: dict[str, Any], path: str, value: object, where: Path, line: int) -> None:
    """Set ``rules.<id>.<key>`` (a rule found by id) or any dotted path in ``document``."""
    parts: list[str] = path.split(".")
    node: Any = document
    while len(parts) > 1:
        part = parts.pop(0)
        if part == "rules" and isinstance(node, dict) and isinstance(node.get("rules"), list):
            rule_id = parts.pop(0)
            matches = [rule for rule in node["rules"] if rule.get("id") == rule_id]
            if not matches:
                raise ConfigError(f"{where}:{line}: reload: no rule with id {rule_id!r}")
            node = matches[0]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise ConfigError(f"{where}:{line}: reload: cannot set {path}")
    if isinstance(node, list) and parts[0].isdigit():
        node[int(parts[0])] = value
    elif isinstance(node, dict):
        node[parts[0]] = value
    else:
        raise ConfigError(f"{where}:{line}: reload: cannot set {path}")


async def run_file(file: TestFile, pattern: str | None = None) -> list[Outcome]:
    """Every scenario of ``file`` (those whose name matches ``pattern``), in order."""
    texts = [(path.read_text(encoding="utf-8"), str(path)) for path in file.rule_files]
    text, filename = texts[0] if len(texts) == 1 else (_joined(texts), str(file.rule_files[0]))
    outcomes = []
    for case in file.cases:
        if pattern is not None and re.search(pattern, case.name) is None:
            continue
        outcomes.append(await CaseRun(file, case, text, filename).run())
    return outcomes


def _joined(texts: list[tuple[str, str]]) -> str:
    """Several rule files as one document (later files add rules and tables)."""
    merged: dict[str, Any] = {}
    for text, _ in texts:
        for key, value in tomllib.loads(text).items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = merged[key] + value
            elif isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return tomli_w.dumps(merged)
