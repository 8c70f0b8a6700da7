from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from daemon.rules.subject import Subject
from daemon.rules.template import TemplateError, parse_template
from sync.domain import SubjectKind

MakeSubject = Callable[..., Subject]


def test_fields_and_computed_values_are_filled_in(order_subject: MakeSubject) -> None:
    template = parse_template("Order {order.number} paid {elapsed} ago", SubjectKind.ORDER)
    text = template.render(order_subject(number="2042"), {"elapsed": "4h12m"}, UTC)
    assert text == "Order 2042 paid 4h12m ago"


def test_values_are_shown_for_people(order_subject: MakeSubject) -> None:
    template = parse_template(
        "{order.paid_at} | {order.total} | {order.vip} | {order.tags} | {order.promised_at}",
        SubjectKind.ORDER,
    )
    subject = order_subject(total="80.50", tags=("vip", "gift"), promised_at=None)
    text = template.render(subject, {}, ZoneInfo("Europe/Berlin"))
    assert text == "2025-03-27 10:30 CET | 80.50 | yes | vip, gift | -"


def test_double_braces_are_literal(order_subject: MakeSubject) -> None:
    template = parse_template("{{order.number}} is {order.number}", SubjectKind.ORDER)
    assert template.render(order_subject(), {}, UTC) == "{order.number} is 1001"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Order {order.nubmer}",
            "unknown placeholder {order.nubmer} (did you mean {order.number}?)",
        ),
        ("{elapsd} ago", "unknown placeholder {elapsd} (did you mean {elapsed}?)"),
        ("{order.__class__}", "unknown placeholder {order.__class__}"),
        ("{shipment.carrier}", "{shipment.carrier} is only available in shipment rules"),
        ("{}", "empty placeholder {}"),
        ("a { b", "unmatched '{'"),
        ("a } b", "unmatched '}'"),
    ],
)
def test_unknown_placeholders_are_refused(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text, SubjectKind.ORDER)
    assert str(caught.value).startswith(message)
