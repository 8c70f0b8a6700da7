from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from daemon.rules.expr import compile_expr
from daemon.rules.model import (
    Modifier,
    Override,
    OverridePolicy,
    Period,
    TimeoutRule,
    WarnBefore,
)
from daemon.rules.plan import plan, render_labels, render_summary
from daemon.rules.schema import Kind
from daemon.rules.subject import Subject, sample_order
from daemon.rules.template import parse_template
from sync.domain import SubjectKind, TimerState

ORDER = SubjectKind.ORDER
PAID = datetime(2025, 3, 27, 9, 30, tzinfo=UTC)
MakeSubject = Callable[..., Subject]


def override(name: str, when: str, timeout: timedelta) -> Override:
    return Override(name, compile_expr(when, ORDER, Kind.BOOL), timeout)


def paid_not_shipped(**changes: Any) -> TimeoutRule:
    rule = TimeoutRule(
        id="paid_not_shipped",
        title="Paid but not shipped",
        subject=ORDER,
        starts_at=compile_expr("order.paid_at", ORDER, Kind.TIME),
        active_while=compile_expr(
            "order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'",
            ORDER,
            Kind.BOOL,
        ),
        timeout=timedelta(hours=4),
        summary=parse_template(
            "Order {order.number} paid {elapsed} ago, limit {timeout}{modifier_note}", ORDER
        ),
    )
    return replace(rule, **changes)


def test_deadline_is_start_plus_timeout(order_subject: MakeSubject) -> None:
    planned = plan(paid_not_shipped(), order_subject(tags=()), PAID + timedelta(minutes=5))
    assert planned is not None
    assert planned.started_at == PAID
    assert planned.deadline_at == PAID + timedelta(hours=4)
    assert planned.timeout == timedelta(hours=4)
    assert (planned.override, planned.override_index, planned.warn_at) == ("", None, None)


def test_inactive_rule_plans_nothing(order_subject: MakeSubject) -> None:
    shipped = order_subject(fulfillment_status="fulfilled")
    assert plan(paid_not_shipped(), shipped, PAID) is None


def test_no_start_time_plans_nothing(order_subject: MakeSubject) -> None:
    rule = paid_not_shipped(active_while=compile_expr("true", ORDER, Kind.BOOL))
    assert plan(rule, order_subject(paid_at=None), PAID) is None


def test_a_rule_about_parcels_ignores_orders(order_subject: MakeSubject) -> None:
    rule = paid_not_shipped(subject=SubjectKind.SHIPMENT)
    assert plan(rule, order_subject(), PAID) is None


def test_first_matching_override_wins(order_subject: MakeSubject) -> None:
    rule = paid_not_shipped(
        overrides=(
            override("big", "order.total >= 300", timedelta(hours=2)),
            override("vip", "order.vip", timedelta(hours=1)),
        )
    )
    vip_big = plan(rule, order_subject(total="500"), PAID)
    vip_small = plan(rule, order_subject(total="50"), PAID)
    assert vip_big is not None and vip_small is not None
    assert (vip_big.override, vip_big.override_index, vip_big.timeout) == (
        "big",
        0,
        timedelta(hours=2),
    )
    assert (vip_small.override, vip_small.deadline_at) == ("vip", PAID + timedelta(hours=1))


def test_min_policy_takes_the_shortest_matching_override(order_subject: MakeSubject) -> None:
    rule = paid_not_shipped(
        overrides=(
            override("big", "order.total >= 300", timedelta(hours=2)),
            override("vip", "order.vip", timedelta(hours=1)),
        ),
        override_policy=OverridePolicy.MIN,
    )
    planned = plan(rule, order_subject(total="500"), PAID)
    assert planned is not None
    assert (planned.override, planned.override_index) == ("vip", 1)


def test_warning_by_percentage_and_by_lead(order_subject: MakeSubject) -> None:
    subject = order_subject(tags=())
    share = plan(paid_not_shipped(warn_before=WarnBefore(percent=Decimal(25))), subject, PAID)
    lead = plan(paid_not_shipped(warn_before=WarnBefore(lead=timedelta(minutes=30))), subject, PAID)
    assert share is not None and lead is not None
    assert share.warn_at == PAID + timedelta(hours=3)
    assert lead.warn_at == PAID + timedelta(hours=3, minutes=30)


def test_state_and_next_change_follow_now(order_subject: MakeSubject) -> None:
    rule = paid_not_shipped(warn_before=WarnBefore(lead=timedelta(hours=1)))
    subject = order_subject(tags=())
    expected = [
        (PAID, TimerState.PENDING, PAID + timedelta(hours=3)),
        (PAID + timedelta(hours=3), TimerState.WARNING, PAID + timedelta(hours=4)),
        (PAID + timedelta(hours=4), TimerState.FIRING, None),
    ]
    for now, state, next_at in expected:
        planned = plan(rule, subject, now)
        assert planned is not None
        assert (planned.state, planned.next_at) == (state, next_at)


def test_deadline_is_real_hours_across_a_dst_switch(order_subject: MakeSubject) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 00:30 local on the night clocks jump from 02:00 to 03:00.
    paid = datetime(2025, 3, 30, 0, 30, tzinfo=berlin)
    planned = plan(paid_not_shipped(), order_subject(tags=(), paid_at=paid), paid)
    assert planned is not None
    assert planned.deadline_at.tzinfo is UTC
    assert planned.deadline_at - planned.started_at == timedelta(hours=4)
    assert planned.deadline_at.astimezone(berlin).hour == 5


def test_modifier_scales_the_timeout_on_its_days(order_subject: MakeSubject) -> None:
    holidays = Period("holidays", frozenset({date(2025, 12, 25)}), timezone="Asia/Shanghai")
    slack = Modifier("holiday-slack", Decimal("1.5"), (holidays,))
    rule = paid_not_shipped(modifiers=(slack,), timezone="Asia/Shanghai")
    # 17:00 UTC on the 24th is already the 25th in Shanghai.
    christmas = datetime(2025, 12, 24, 17, tzinfo=UTC)
    planned = plan(rule, order_subject(tags=(), paid_at=christmas), christmas)
    ordinary = plan(rule, order_subject(tags=(), paid_at=christmas - timedelta(days=1)), christmas)
    assert planned is not None and ordinary is not None
    assert (planned.timeout, planned.modifiers, planned.factor) == (
        timedelta(hours=6),
        ("holiday-slack",),
        Decimal("1.5"),
    )
    assert ordinary.timeout == timedelta(hours=4)


def test_the_largest_modifier_wins(order_subject: MakeSubject) -> None:
    days = Period("days", ranges=((date(2025, 12, 1), date(2025, 12, 31)),))
    rule = paid_not_shipped(
        modifiers=(Modifier("a", Decimal(2), (days,)), Modifier("b", Decimal(3), (days,)))
    )
    start = datetime(2025, 12, 10, 8, tzinfo=UTC)
    planned = plan(rule, order_subject(tags=(), paid_at=start), start)
    assert planned is not None
    assert (planned.timeout, planned.modifiers) == (timedelta(hours=12), ("b",))


def test_render_summary_fills_in_the_plan(order_subject: MakeSubject) -> None:
    text = render_summary(paid_not_shipped(), order_subject(tags=()), PAID + timedelta(hours=5))
    assert text == "Order 1001 paid 5h ago, limit 4h"


def test_render_summary_names_the_modifier(order_subject: MakeSubject) -> None:
    days = Period("peak", ranges=((date(2025, 3, 1), date(2025, 3, 31)),))
    rule = paid_not_shipped(modifiers=(Modifier("peak-slack", Decimal(2), (days,)),))
    text = render_summary(rule, order_subject(tags=()), PAID + timedelta(minutes=30))
    assert text == "Order 1001 paid 30m ago, limit 8h (4h x2 peak-slack)"


def test_render_summary_of_an_inactive_rule_shows_dashes(order_subject: MakeSubject) -> None:
    subject = order_subject(fulfillment_status="fulfilled")
    assert render_summary(paid_not_shipped(), subject, PAID) == "Order 1001 paid - ago, limit 4h"


def test_render_labels(shipment_subject: MakeSubject) -> None:
    rule = paid_not_shipped(
        subject=SubjectKind.SHIPMENT,
        labels=(("carrier", parse_template("{shipment.carrier}", SubjectKind.SHIPMENT)),),
    )
    labels = render_labels(rule, shipment_subject(carrier="sf-express"), PAID)
    assert labels == {"carrier": "sf-express"}


_ZONES = st.sampled_from(
    [ZoneInfo(name) for name in ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "UTC")]
)


@given(
    paid=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=_ZONES
    ),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 30),
)
def test_deadline_is_always_exactly_the_timeout_later_in_utc(paid: datetime, minutes: int) -> None:
    timeout = timedelta(minutes=minutes)
    rule = paid_not_shipped(timeout=timeout)
    subject = Subject(replace(sample_order(), tags=(), paid_at=paid))
    planned = plan(rule, subject, paid)
    assert planned is not None
    assert planned.deadline_at.utcoffset() == timedelta()
    assert planned.deadline_at.timestamp() - paid.timestamp() == timeout.total_seconds()
