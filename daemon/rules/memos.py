"""Carrying what rule objects have worked out across a reload.

A reload builds every rule object anew, so each calendar clock would build its index of open
hours again, and each period forget which days it contains, on the first timer it plans. A
calendar or period that the edit left exactly as it was gives the same answers, so the new
object takes the old one's memo: a reload that changed one rule's timeout re-plans that rule
without recomputing a year of business hours.
"""

from __future__ import annotations

from collections.abc import Iterator

from daemon.rules.business import BusinessClock, RuleClock
from daemon.rules.model import Period, RuleSet, TimeoutRule


def carry_memos(old: RuleSet, new: RuleSet) -> None:
    """Give ``new``'s clocks and periods the memos of ``old``'s equal ones."""
    built = {clock.calendar.name: clock for clock in _clocks(old)}
    for clock in _clocks(new):
        before = built.get(clock.calendar.name)
        if before is not None and before is not clock and before.calendar == clock.calendar:
            clock.adopt(before)
    known = {period.name: period for period in _periods(old)}
    for period in _periods(new):
        previous = known.get(period.name)
        if previous is not None and previous is not period and previous == period:
            period.adopt(previous)


def _clocks(rules: RuleSet) -> Iterator[BusinessClock]:
    for rule in rules.rules:
        if not isinstance(rule, TimeoutRule):
            continue
        clocks: list[RuleClock | None] = [rule.clock, *(o.clock for o in rule.overrides)]
        for clock in clocks:
            if isinstance(clock, BusinessClock):
                yield clock


def _periods(rules: RuleSet) -> Iterator[Period]:
    yield from rules.periods
    for modifier in rules.modifiers:
        yield from modifier.during
    for rule in rules.rules:
        if isinstance(rule, TimeoutRule):
            for modifier in rule.modifiers:
                yield from modifier.during
