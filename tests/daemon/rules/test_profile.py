"""The remembered answers of a rule's conditions are the answers the conditions give."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.rules.loader import parse_rules
from daemon.rules.model import TimeoutRule
from daemon.rules.plan import Memory, plan
from daemon.rules.profile import evaluate, key_of, modified, profile_of
from daemon.rules.subject import Subject, sample_order, sample_shipment

ROOT = Path(__file__).resolve().parents[3]
RULES = parse_rules((ROOT / "rules.toml").read_text(encoding="utf-8"))
TIMEOUT_RULES = [rule for rule in RULES.rules if isinstance(rule, TimeoutRule)]
START = datetime(2026, 12, 20, tzinfo=UTC)

orders = st.builds(
    lambda payment, fulfillment, lifecycle, total, tags, channel, minutes: replace(
        sample_order(),
        payment_status=payment,
        fulfillment_status=fulfillment,
        lifecycle=lifecycle,
        total=total,
        tags=tags,
        channel=channel,
        paid_at=START + timedelta(minutes=minutes),
    ),
    st.sampled_from(["paid", "pending", "partially_refunded"]),
    st.sampled_from(["unfulfilled", "on_hold", "fulfilled", "scheduled"]),
    st.sampled_from(["open", "closed", "cancelled"]),
    st.sampled_from(["20.00", "300.00", "299.99", "x"]),
    st.sampled_from([(), ("vip",), ("Express",), ("VIP", "next-day")]),
    st.sampled_from(["web", "amazon", "jd"]),
    st.integers(0, 60 * 24 * 20),
)
parcels = st.builds(
    lambda status, tracked_by, carrier: replace(
        sample_shipment(), status=status, tracked_by=tracked_by, carrier=carrier
    ),
    st.sampled_from(["in_transit", "pending", "exception", "delivery_failed", "delivered"]),
    st.sampled_from(["", "17track"]),
    st.sampled_from(["dhl", "sf", ""]),
)
subjects = st.one_of(
    orders.map(Subject),
    st.tuples(orders, parcels).map(lambda pair: Subject(pair[0], pair[1], (pair[1],))),
)


@settings(max_examples=300, deadline=None)
@given(subject=subjects)
def test_a_remembered_profile_is_the_evaluated_one(subject: Subject) -> None:
    for rule in TIMEOUT_RULES:
        if rule.subject is subject.kind:
            assert profile_of(rule, subject) == evaluate(rule, subject)
            assert profile_of(rule, subject) == evaluate(rule, subject)  # from the memo


@settings(max_examples=200, deadline=None)
@given(subject=subjects, minutes=st.integers(0, 60 * 24 * 20))
def test_remembered_modifiers_follow_the_start_minute_by_minute(
    subject: Subject, minutes: int
) -> None:
    started = START + timedelta(minutes=minutes, seconds=minutes % 59)  # never :59
    for rule in TIMEOUT_RULES:
        if rule.subject is subject.kind and rule.modifiers:
            segments = evaluate(rule, subject).segments
            first = modified(rule, segments, started, rule.timeout)
            again = modified(rule, segments, started + timedelta(seconds=1), rule.timeout)
            assert first == again


def test_a_rule_reading_a_time_in_its_conditions_is_not_remembered() -> None:
    (rule,) = [r for r in RULES.dormant if r.id == "stock_not_reserved"]
    assert isinstance(rule, TimeoutRule)
    assert key_of(rule) is None  # active_while reads order.reserved_at


def test_plans_agree_with_and_without_memory_of_the_conditions() -> None:
    rule = RULES.rule("paid_not_shipped")
    assert isinstance(rule, TimeoutRule)
    subject = Subject(replace(sample_order(), paid_at=START))
    first = plan(rule, subject, START + timedelta(hours=1))
    assert first is not None
    again = plan(rule, subject, START + timedelta(hours=1), Memory("pending", START))
    assert again is not None
    assert (again.deadline_at, again.timeout, again.override) == (
        first.deadline_at,
        first.timeout,
        first.override,
    )
