"""The ``/`` filter language: tokens become typed filters, the rest is free text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.store.filters import Field, Moment, OneOf, Within
from tui.filters import Context, parse

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
CONTEXT = Context(agent="ana", now=NOW, zone=ZoneInfo("Asia/Shanghai"))


def test_tokens_and_free_text() -> None:
    parsed = parse("王芳 status:exception carrier:顺丰 channel:Woo", CONTEXT)
    assert parsed.text == "王芳"
    assert parsed.filters == (
        OneOf(Field.STATUS, ("exception",)),
        OneOf(Field.CARRIER, ("sf",)),
        OneOf(Field.CHANNEL, ("woo",)),
    )
    assert parsed.problems == ()


def test_bang_negates_and_commas_are_alternatives() -> None:
    parsed = parse("!parcel:exception,delayed", CONTEXT)
    assert parsed.filters == (OneOf(Field.PARCEL, ("exception", "delayed"), negate=True),)


def test_me_is_the_agent_and_none_is_nobody() -> None:
    assert parse("assignee:me", CONTEXT).filters == (OneOf(Field.ASSIGNEE, ("ana",)),)
    assert parse("assignee:none", CONTEXT).filters == (OneOf(Field.ASSIGNEE, ("",)),)


def test_age_spans() -> None:
    older = parse("age:>2d", CONTEXT).filters
    assert older == (Within(Moment.CREATED, before=NOW - timedelta(days=2)),)
    younger = parse("age:<30m", CONTEXT).filters
    assert younger == (Within(Moment.CREATED, after=NOW - timedelta(minutes=30)),)


def test_due_today_ends_at_the_agents_midnight() -> None:
    (due,) = parse("due:today", CONTEXT).filters
    assert isinstance(due, Within)
    # 22:00 in Shanghai: the day ends two hours later.
    assert due.before == NOW + timedelta(hours=2)
    assert parse("due:overdue", CONTEXT).filters == (Within(Moment.DUE, before=NOW),)


def test_snoozed_is_a_time_bound() -> None:
    assert parse("esc:snoozed", CONTEXT).filters == (Within(Moment.SNOOZED, after=NOW),)


def test_problems_are_collected_and_the_rest_still_applies() -> None:
    parsed = parse("bogus:1 status:exeption age:soon carrier:sf", CONTEXT)
    assert parsed.filters == (OneOf(Field.CARRIER, ("sf",)),)
    assert len(parsed.problems) == 3
    assert "did you mean “exception”?" in parsed.problems[1]


def test_a_time_of_day_is_free_text() -> None:
    assert parse("12:30", CONTEXT).text == "12:30"
