from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from daemon.rules.expr import ExpressionError, compile_expr
from daemon.rules.schema import FIELDS, Kind
from daemon.rules.subject import Subject, sample_subject
from sync.domain import SubjectKind

ORDER = SubjectKind.ORDER
SOURCE = SubjectKind.SOURCE
SHIPMENT = SubjectKind.SHIPMENT
PAID = datetime(2025, 3, 27, 9, 30, tzinfo=UTC)

MakeSubject = Callable[..., Subject]


def holds(text: str, subject: Subject) -> bool:
    return compile_expr(text, subject.kind, Kind.BOOL).holds(subject)


def error_of(
    text: str, subject: SubjectKind = ORDER, expect: Kind | None = None
) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        compile_expr(text, subject, expect)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order.total == 80", True),
        ("order.total != 80", False),
        ("order.total < 80.5", True),
        ("order.total <= 80", True),
        ("order.total > 80", False),
        ("order.total >= 80", True),
        ("order.payment_status == 'paid'", True),
        ('order.payment_status == "paid"', True),
        ("order.country in ['DE', 'AT']", True),
        ("order.country not in ['DE', 'AT']", False),
        ("'vip' in order.tags", True),
        ("'gift' not in order.tags", True),
        ("order.vip and order.total > 50", True),
        ("order.vip and order.total > 500", False),
        ("order.total > 500 or order.vip", True),
        ("not order.vip", False),
        ("not (order.vip and order.total > 500)", True),
        ("order.vip == true", True),
        ("order.paid_at > order.created_at", True),
        ("duration('2h') > 90m", True),
        ("1d == 24h", True),
    ],
)
def test_operators(order_subject: MakeSubject, text: str, expected: bool) -> None:
    assert holds(text, order_subject()) is expected


def test_and_binds_tighter_than_or(order_subject: MakeSubject) -> None:
    subject = order_subject()
    assert holds("order.vip or order.total > 500 and false", subject)
    assert not holds("(order.vip or order.total > 500) and false", subject)


def test_missing_values_compare_false_and_never_raise(order_subject: MakeSubject) -> None:
    unpaid = order_subject(paid_at=None)
    for text in [
        "order.paid_at < order.created_at",
        "order.paid_at > order.created_at",
        "order.paid_at == order.paid_at",
        "order.paid_at != order.created_at",
        "order.paid_at in []",
        "order.paid_at not in []",
    ]:
        assert holds(text, unpaid) is False, text


def test_an_unreadable_total_is_missing(order_subject: MakeSubject) -> None:
    subject = order_subject(total="n/a")
    assert compile_expr("order.total", ORDER).evaluate(subject) is None
    assert not holds("order.total < 1000", subject)


def test_max_and_min_ignore_missing_values(shipment_subject: MakeSubject) -> None:
    subject = shipment_subject(last_checkpoint_at=None, shipped_at=PAID)
    latest = compile_expr("max(shipment.last_checkpoint_at, shipment.shipped_at)", SHIPMENT)
    earliest = compile_expr("min(shipment.delivered_at, shipment.shipped_at)", SHIPMENT)
    assert latest.instant(subject) == PAID
    assert earliest.instant(subject) == PAID
    assert latest.type.kind is Kind.TIME


def test_max_of_nothing_set_is_missing(shipment_subject: MakeSubject) -> None:
    subject = shipment_subject(last_checkpoint_at=None, shipped_at=None)
    assert (
        compile_expr("max(shipment.last_checkpoint_at, shipment.shipped_at)", SHIPMENT).instant(
            subject
        )
        is None
    )


def test_coalesce_takes_the_first_value_set(shipment_subject: MakeSubject) -> None:
    later = PAID + timedelta(hours=5)
    expr = compile_expr("coalesce(shipment.last_checkpoint_at, shipment.shipped_at)", SHIPMENT)
    assert expr.instant(shipment_subject(last_checkpoint_at=None, shipped_at=PAID)) == PAID
    assert expr.instant(shipment_subject(last_checkpoint_at=later, shipped_at=PAID)) == later


def test_has_tag_ignores_case_and_is_set_tests_presence(order_subject: MakeSubject) -> None:
    subject = order_subject(tags=("VIP", "Express"), promised_at=None)
    assert holds("has_tag('vip') and has_tag('EXPRESS')", subject)
    assert holds("not is_set(order.promised_at) and is_set(order.paid_at)", subject)


def test_shipment_rules_read_the_parcel_and_its_order(shipment_subject: MakeSubject) -> None:
    subject = shipment_subject(status="delivered", order={"tags": ()})
    assert holds("shipment.terminal and shipment.status == 'delivered' and not order.vip", subject)


def test_expr_lists_the_fields_it_reads() -> None:
    expr = compile_expr("order.vip or has_tag('x') or order.total > 1", ORDER)
    assert expr.fields == {"order.vip", "order.tags", "order.total"}


def test_unknown_field_is_an_error_with_its_column() -> None:
    error = error_of("order.vip and order.payment_stats == 'paid'")
    assert error.column == 15
    assert "unknown field 'order.payment_stats'" in error.message
    assert "did you mean order.payment_status?" in error.message


def test_shipment_fields_are_refused_in_order_rules() -> None:
    error = error_of("shipment.status == 'delivered'")
    assert error.message == "shipment.status is only available in shipment rules"


def test_unknown_function_is_an_error_with_its_column() -> None:
    error = error_of("order.vip or len(order.tags) > 1")
    assert (error.column, error.message.split(" (")[0]) == (14, "unknown function 'len'")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "order.__class__",
        "order.number.__class__.__mro__",
        "open('/etc/passwd')",
        "eval('1')",
        "[x for x in order.tags]",
        "lambda: 1",
        "order.tags[0]",
        "{'a': 1}",
    ],
)
def test_nothing_runs_the_shops_text(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expr(text, ORDER)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("order.payment_status == 3", "cannot compare a payment status with a number"),
        ("order.paid_at > 4h", "cannot compare a time with a duration"),
        ("order.payment_status == shipment.status", "cannot compare"),
        ("order.number < 'A'", "< needs numbers, times or durations, not text"),
        ("order.payment_status == 'payed'", "'payed' is not a payment status"),
        ("order.lifecycle in ['open', 'shipped']", "'shipped' is not an order lifecycle"),
        ("order.vip in order.tags", "cannot look for a true/false condition in a list of text"),
        ("order.country in 'DE'", "'in' needs a list on its right"),
        ("order.total and order.vip", "expected a true/false condition, but this gives a number"),
        ("not order.paid_at", "expected a true/false condition"),
        ("order.country in ['DE', 1]", "a list cannot mix number and text"),
        ("order.country in [order.city]", "list items must be plain values"),
        ("max(order.paid_at, 3)", "max() cannot mix time and number"),
        ("max(order.number)", "max() works on numbers, times or durations, not text"),
        ("max()", "max() takes at least 1 argument"),
        ("is_set(order.vip, order.vip)", "is_set() takes exactly 1 argument, got 2"),
        ("duration(order.number)", "duration() takes a quoted text, e.g. duration('2h')"),
        ("duration('four hours')", "'four hours' is not a duration"),
    ],
)
def test_types_are_checked_when_compiling(text: str, message: str) -> None:
    assert message in error_of(text, SHIPMENT).message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("order.total = 3", 13, "unexpected '=': use == to compare"),
        ("order.vip && order.vip", 11, "use 'and'"),
        ("order.total - 1 > 2", 13, "arithmetic is not supported"),
        ("order.number == 'open", 17, "string is not closed"),
        ("order.vip and", 14, "expected a value, found the end of the expression"),
        ("(order.vip", 11, "expected ')'"),
        ("order.vip order.vip", 11, "unexpected 'order.vip' after a complete expression"),
        ("1 < order.total < 5", 17, "comparisons cannot be chained"),
        ("order.total > 4hours", 15, "unknown unit 'hours'"),
        ("", 1, "empty expression"),
    ],
)
def test_syntax_errors_point_at_their_column(text: str, column: int, message: str) -> None:
    error = error_of(text)
    assert error.column == column
    assert message in error.message


def test_the_expected_kind_is_enforced() -> None:
    error = error_of("order.paid_at", expect=Kind.BOOL)
    assert error.message == "expected a true/false condition, but this gives a time"
    assert (
        "expected a time, but this gives text" in error_of("order.number", expect=Kind.TIME).message
    )


def test_deep_nesting_is_refused() -> None:
    assert "nested too deeply" in error_of("(" * 100 + "order.vip" + ")" * 100).message
    assert "nested too deeply" in error_of("not " * 100 + "order.vip").message


def test_every_field_compiles_and_reads_the_sample(shipment_subject: MakeSubject) -> None:
    subjects = {SHIPMENT: shipment_subject(), SOURCE: sample_subject(SOURCE)}
    for path, field in FIELDS.items():
        scope = SOURCE if field.scope is SOURCE else SHIPMENT
        expr = compile_expr(path, scope)
        value = expr.evaluate(subjects[scope])
        assert value is None or expr.type.kind is not Kind.NUMBER or isinstance(value, Decimal)
