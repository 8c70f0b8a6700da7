"""A reload keeps what unchanged calendars and periods worked out; a changed one starts over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon.rules.business import BusinessClock
from daemon.rules.loader import parse_rules
from daemon.rules.memos import carry_memos
from daemon.rules.model import RuleSet, TimeoutRule

TEXT = """
[calendars.shop]
hours.mon-fri = ["09:00-17:00"]

[periods.peak]
ranges = [{ from = "2027-11-20", to = "2027-12-24" }]

[[modifiers]]
name = "peak"
during = ["peak"]
multiply = 2

[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "true"
clock = "shop"
timeout = "TIMEOUT"
"""

MONDAY = datetime(2027, 4, 12, 9, tzinfo=UTC)


def _load(timeout: str = "4h", hours: str = "09:00-17:00") -> RuleSet:
    return parse_rules(TEXT.replace("TIMEOUT", timeout).replace("09:00-17:00", hours))


def _clock(rules: RuleSet) -> BusinessClock:
    rule = rules.rule("late")
    assert isinstance(rule, TimeoutRule) and isinstance(rule.clock, BusinessClock)
    return rule.clock


def test_an_unchanged_calendar_keeps_its_open_hours_and_answers_the_same() -> None:
    old = _load()
    deadline = _clock(old).add(MONDAY, timedelta(hours=10))
    new = _load(timeout="5h")
    carry_memos(old, new)
    assert _clock(new)._index is _clock(old)._index
    assert _clock(new).add(MONDAY, timedelta(hours=10)) == deadline
    (period,) = new.periods
    assert period.contains(MONDAY) is False


def test_a_changed_calendar_starts_over() -> None:
    old = _load()
    _clock(old).add(MONDAY, timedelta(hours=10))
    new = _load(hours="08:00-17:00")
    carry_memos(old, new)
    assert _clock(new)._index is not _clock(old)._index
    assert _clock(new).add(MONDAY, timedelta(hours=10)) == MONDAY + timedelta(days=1, hours=1)
