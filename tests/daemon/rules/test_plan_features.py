"""Planning with pauses, calendars, modifiers, rollout and condition rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from daemon.rules.decide import Muting
from daemon.rules.loader import parse_rules
from daemon.rules.model import ConditionRule, Inhibit, TimeoutRule, rollout_bucket
from daemon.rules.muting import source_muter
from daemon.rules.plan import Memory, plan
from daemon.rules.subject import Subject, sample_source, source_subject
from sync.domain import TimerState
from sync.store import SourceTimer

MakeSubject = Callable[..., Subject]
MONDAY_9 = datetime(2027, 4, 12, 7, 0, tzinfo=UTC)  # 09:00 in Berlin

RULES = """
timezone = "Europe/Berlin"

[calendars.warehouse]
hours.mon-fri = ["08:00-12:00", "12:30-18:00"]

[periods.peak]
ranges = [{ from = "2027-04-01", to = "2027-04-30" }]

[segments]
market = "order.channel == 'amazon'"

[[modifiers]]
name = "peak"
during = ["peak"]
multiply = 1.5
applies_to = ["late"]

[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.fulfillment_status in ['unfulfilled', 'on_hold']"
pause_while = "order.fulfillment_status == 'on_hold'"
clock = "warehouse"
timeout = "2h"
warn_before = "25%"
"""


def _rule(text: str = RULES, rule_id: str = "late") -> TimeoutRule:
    rule = parse_rules(text).rule(rule_id)
    assert isinstance(rule, TimeoutRule)
    return rule


def test_a_calendar_deadline_with_a_modifier(order_subject: MakeSubject) -> None:
    subject = order_subject(tags=(), paid_at=MONDAY_9)
    planned = plan(_rule(), subject, MONDAY_9)
    assert planned is not None
    assert (planned.timeout, planned.modifiers) == (timedelta(hours=3), ("peak",))
    assert planned.deadline_at == MONDAY_9 + timedelta(hours=3)  # 09:00-12:00
    assert planned.warn_at == MONDAY_9 + timedelta(hours=2, minutes=15)


def test_a_pause_starts_now_and_keeps_the_time_left(order_subject: MakeSubject) -> None:
    held = order_subject(tags=(), paid_at=MONDAY_9, fulfillment_status="on_hold")
    at = MONDAY_9 + timedelta(hours=1)
    memory = Memory("pending", MONDAY_9)
    planned = plan(_rule(), held, at, memory)
    assert planned is not None
    assert (planned.state, planned.paused_since, planned.next_at) == (TimerState.PAUSED, at, None)
    assert planned.remaining(at + timedelta(hours=5)) == timedelta(hours=2)


def test_resuming_adds_the_paused_business_time(order_subject: MakeSubject) -> None:
    running = order_subject(tags=(), paid_at=MONDAY_9)
    paused_since = MONDAY_9 + timedelta(hours=1)  # 10:00
    back = MONDAY_9 + timedelta(hours=3)  # 12:00
    memory = Memory("paused", MONDAY_9, paused_since=paused_since)
    planned = plan(_rule(), running, back, memory)
    assert planned is not None
    assert planned.paused_seconds == 7200  # 10:00-12:00 of warehouse time
    # 2h left from 12:00: lunch, then 12:30-14:30
    assert planned.deadline_at == MONDAY_9 + timedelta(hours=5, minutes=30)


def test_a_firing_timer_is_not_paused(order_subject: MakeSubject) -> None:
    held = order_subject(tags=(), paid_at=MONDAY_9, fulfillment_status="on_hold")
    at = MONDAY_9 + timedelta(hours=4)
    planned = plan(_rule(), held, at, Memory("firing", MONDAY_9))
    assert planned is not None and planned.state == TimerState.FIRING


def test_a_moved_start_restarts_the_clock(order_subject: MakeSubject) -> None:
    subject = order_subject(tags=(), paid_at=MONDAY_9 + timedelta(hours=1))
    planned = plan(_rule(), subject, MONDAY_9 + timedelta(hours=5), Memory("firing", MONDAY_9))
    assert planned is not None and planned.restarted and planned.state == TimerState.FIRING


MODIFIERS = """
[periods.always]
ranges = [{ from = "2000-01-01", to = "2100-01-01" }]
[[modifiers]]
name = "a"
during = ["always"]
multiply = 2
[[modifiers]]
name = "b"
during = ["always"]
multiply = 3
combine = "COMBINE"
cap = "CAP"
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "true"
timeout = "1h"
"""


def _timeout(order_subject: MakeSubject, combine: str, cap: str = "100h") -> tuple[object, ...]:
    text = MODIFIERS.replace("COMBINE", combine).replace("CAP", cap)
    planned = plan(_rule(text), order_subject(tags=()), MONDAY_9)
    assert planned is not None
    return planned.timeout, planned.modifiers


def test_combine_max_keeps_the_larger_factor(order_subject: MakeSubject) -> None:
    assert _timeout(order_subject, "max") == (timedelta(hours=3), ("b",))


def test_combine_product_multiplies(order_subject: MakeSubject) -> None:
    assert _timeout(order_subject, "product") == (timedelta(hours=6), ("a", "b"))


def test_combine_first_yields_to_an_earlier_modifier(order_subject: MakeSubject) -> None:
    assert _timeout(order_subject, "first") == (timedelta(hours=2), ("a",))


def test_cap_bounds_the_scaled_timeout(order_subject: MakeSubject) -> None:
    assert _timeout(order_subject, "product", cap="4h") == (timedelta(hours=4), ("a", "b"))


def test_a_segment_modifier_applies_to_its_segment_only(order_subject: MakeSubject) -> None:
    text = RULES + (
        '[[modifiers]]\nname = "market"\nsegments = ["market"]\nmultiply = 2\n'
        'combine = "product"\napplies_to = ["late"]\n'
    )
    rule = _rule(text)
    market = plan(rule, order_subject(tags=(), paid_at=MONDAY_9, channel="amazon"), MONDAY_9)
    web = plan(rule, order_subject(tags=(), paid_at=MONDAY_9, channel="web"), MONDAY_9)
    assert market is not None and web is not None
    assert (market.factor, web.factor) == (Decimal(3), Decimal("1.5"))


def test_rollout_picks_a_stable_share_that_grows_without_losing_members() -> None:
    keys = [f"shop:{n}" for n in range(2000)]
    ten = {key for key in keys if rollout_bucket("late", key) < 1000}
    twenty = {key for key in keys if rollout_bucket("late", key) < 2000}
    assert 120 < len(ten) < 280
    assert ten <= twenty
    assert ten != {key for key in keys if rollout_bucket("other", key) < 1000}


def test_outside_the_rollout_no_timer_is_planned(order_subject: MakeSubject) -> None:
    rule = replace(_rule(), rollout=Decimal("0.01"))
    inside = [
        n
        for n in range(400)
        if plan(rule, order_subject(tags=(), external_id=str(n), paid_at=MONDAY_9), MONDAY_9)
    ]
    assert len(inside) < 5


CONDITION = """
[[rules]]
id = "stale"
subject = "source"
fires_when = "source.age > 2h"
for = "10m"
keep_firing_for = "15m"
labels = { feed = "{source.name}" }
"""


def _stale() -> ConditionRule:
    rule = parse_rules(CONDITION).rule("stale")
    assert isinstance(rule, ConditionRule)
    return rule


def _feed(age: timedelta, now: datetime) -> Subject:
    return source_subject(replace(sample_source(), last_success_at=now - age), now)


def test_a_condition_is_pending_for_its_for_then_fires() -> None:
    now = MONDAY_9
    first = plan(_stale(), _feed(timedelta(hours=3), now), now)
    assert first is not None and (first.state, first.next_at) == (
        TimerState.PENDING,
        now + timedelta(minutes=10),
    )
    later = now + timedelta(minutes=10)
    fired = plan(_stale(), _feed(timedelta(hours=3), later), later, Memory("pending", now))
    assert fired is not None and fired.state == TimerState.FIRING


def test_a_pending_condition_that_stops_holding_goes_away() -> None:
    now = MONDAY_9
    assert plan(_stale(), _feed(timedelta(minutes=5), now), now, Memory("pending", now)) is None


def test_a_firing_condition_keeps_firing_after_it_stops_holding() -> None:
    now = MONDAY_9
    fresh = _feed(timedelta(minutes=1), now)
    held = plan(_stale(), fresh, now, Memory("firing", now - timedelta(hours=1)))
    assert held is not None and held.state == TimerState.FIRING
    assert (held.last_true_at, held.next_at) == (now, now + timedelta(minutes=15))
    later = now + timedelta(minutes=15)
    memory = Memory("firing", now - timedelta(hours=1), last_true_at=now)
    assert plan(_stale(), _feed(timedelta(minutes=16), later), later, memory) is None


def _source_timer(state: str, feed: str) -> SourceTimer:
    return SourceTimer("stale", feed, state, MONDAY_9, None, None, None, {"feed": feed})


def test_muting_is_strict_about_labels(shipment_subject: MakeSubject) -> None:
    rules = parse_rules(
        CONDITION + "[[rules]]\nid = 'silent'\nsubject = 'shipment'\n"
        "starts_at = 'shipment.last_checkpoint_at'\nactive_while = 'true'\ntimeout = '1h'\n"
        "labels = { feed = '{shipment.tracked_by}' }\n"
    )
    silent = rules.rule("silent")
    assert silent is not None
    inhibit = Inhibit("stale", frozenset({"pending", "firing"}), "silent", ("feed",))
    muting = Muting.of(
        (inhibit,), [source_muter(_source_timer("pending", "17track"), ["feed"], {})]
    )
    tracked = shipment_subject(tracked_by="17track")
    other = shipment_subject(tracked_by="aftership")
    blank = shipment_subject(tracked_by="")
    planned = plan(silent, tracked, MONDAY_9)
    assert planned is not None
    assert muting.muted_by(silent, tracked, MONDAY_9, planned) == "stale"
    assert muting.muted_by(silent, other, MONDAY_9, planned) == ""
    assert muting.muted_by(silent, blank, MONDAY_9, planned) == ""
    resolved = Muting.of(
        (inhibit,), [source_muter(_source_timer("resolved", "17track"), ["feed"], {})]
    )
    assert resolved.muted_by(silent, tracked, MONDAY_9, planned) == ""
