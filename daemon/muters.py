"""The instances that mute others right now, read from the store (see :mod:`daemon.rules.muting`).

Feeds' instances come from the source timers; order and parcel rules that an ``[[inhibit]]``
names as its source have their instances in a muting state read back with their subjects, so
their labels, order and carrier can be matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from daemon.rules.model import RuleSet
from daemon.rules.muting import Muter, source_muter, values_of
from daemon.rules.subject import Subject, subjects_of
from sync.domain import SubjectKind
from sync.store import SourceHealth, SourceTimer, Store


def muter_rules(rules: RuleSet) -> frozenset[str]:
    """The order and parcel rules some ``[[inhibit]]`` uses as its source."""
    sources = {inhibit.source_rule for inhibit in rules.inhibits}
    return frozenset(
        rule.id for rule in rules.rules if rule.id in sources and rule.subject != SubjectKind.SOURCE
    )


def _names(rules: RuleSet, rule_id: str) -> list[str]:
    return sorted({n for i in rules.inhibits if i.source_rule == rule_id for n in i.equal})


def feed_muters(
    rules: RuleSet, timers: Sequence[SourceTimer], sources: Sequence[SourceHealth]
) -> list[Muter]:
    """The feed rules' instances, with the carriers each feed follows."""
    carriers = {health.name: health.carriers for health in sources}
    return [
        source_muter(timer, _names(rules, timer.rule_id), carriers)
        for timer in timers
        if timer.state != "resolved"
    ]


async def rule_muters(store: Store, rules: RuleSet, now: datetime) -> list[Muter]:
    """The order and parcel rules' instances that are in a state their inhibit mutes in."""
    wanted = muter_rules(rules)
    if not wanted:
        return []
    states = {state for i in rules.inhibits if i.source_rule in wanted for state in i.states}
    timers = await store.timers_in_states(sorted(wanted), sorted(states))
    if not timers:
        return []
    order_ids = sorted({timer.order_id for timer in timers})
    parcels = await store.shipments_of_orders(order_ids)
    subjects: dict[tuple[str, int], Subject] = {}
    for order in await store.orders_by_id(order_ids):
        for each in subjects_of(order, tuple(parcels.get(order.id, ()))):
            subjects[(str(each.kind), each.subject_id)] = each
    found = []
    for timer in timers:
        rule = rules.rule(timer.rule_id)
        subject = subjects.get((timer.subject_kind, timer.subject_id))
        if rule is None or subject is None:
            continue
        values = values_of(rule, subject, _names(rules, rule.id), now)
        found.append(Muter(rule.id, timer.state, values, subject.key))
    return found
