"""The rules language beyond plain timeouts: calendars, periods, segments, modifiers, condition
rules, inhibit and rollout, as the loader reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from daemon.rules.calendar import Window
from daemon.rules.loader import parse_rules
from daemon.rules.model import Combine, ConditionRule, TimeoutRule
from sync.domain import SubjectKind
from sync.errors import ConfigError

RULE = """
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.lifecycle == 'open'"
timeout = "4h"
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.toml")
    return caught.value.problems


def test_a_calendar_reads_day_ranges_several_windows_and_overnight_hours() -> None:
    rules = parse_rules(
        'timezone = "Europe/Berlin"\n[calendars.shop]\n'
        'hours.mon-fri = ["08:00-12:00", "12:30-18:00"]\nhours.sat = ["22:00-02:00"]\n' + RULE
    )
    (calendar,) = rules.calendars
    assert calendar.timezone == "Europe/Berlin"
    assert calendar.week[0] == (Window(480, 720), Window(750, 1080))
    assert calendar.week[5] == (Window(1320, 1560),)
    assert calendar.week[6] == ()


def test_daily_and_wrapping_day_ranges() -> None:
    rules = parse_rules('[calendars.a]\nhours.daily = ["09:00-10:00"]\n' + RULE)
    assert all(day == (Window(540, 600),) for day in rules.calendars[0].week)
    rules = parse_rules('[calendars.b]\nhours.fri-mon = ["09:00-10:00"]\n' + RULE)
    assert rules.calendars[0].open_days() == ["mon", "fri", "sat", "sun"]


def test_bad_hours_are_reported_with_their_line() -> None:
    problems = problems_of(
        '[calendars.shop]\nhours.mon = ["8-12"]\nhours.funday = ["09:00-10:00"]\n'
        'hours.tue = ["09:00-12:00", "11:00-13:00"]\nhours.mon-fri = ["09:00-10:00"]\n' + RULE
    )
    assert problems[0].startswith("rules.toml:2: calendars.shop.hours.mon[0]: '8-12' is not")
    assert "rules.toml:3: calendars.shop.hours.funday: 'funday' is not a day" in problems[1]
    assert "overlap" in problems[2]
    assert "given hours twice" in problems[3]


def test_holidays_come_from_another_calendar() -> None:
    rules = parse_rules(
        '[calendars.a]\nhours.mon = ["09:00-10:00"]\nholidays = ["2027-12-25"]\n'
        '[calendars.b]\nhours.mon = ["09:00-10:00"]\nholidays_from = "a"\n'
        'holidays = ["2027-12-26"]\n' + RULE
    )
    by_name = {calendar.name: calendar for calendar in rules.calendars}
    assert by_name["b"].holidays == {date(2027, 12, 25), date(2027, 12, 26)}


def test_holidays_from_an_unknown_calendar_or_a_loop_is_refused() -> None:
    assert (
        "unknown calendar 'x'"
        in problems_of('[calendars.a]\nhours.mon = ["09:00-10:00"]\nholidays_from = "x"\n' + RULE)[
            0
        ]
    )
    looped = problems_of(
        '[calendars.a]\nholidays_from = "b"\n[calendars.b]\nholidays_from = "a"\n' + RULE
    )
    assert any("through a loop" in problem for problem in looped)


def test_closures_are_local_date_times() -> None:
    rules = parse_rules(
        '[calendars.a]\nhours.mon = ["09:00-10:00"]\n'
        'closures = [{ from = 2027-12-27T00:00:00, to = "2027-12-28T12:00", note = "move" }]\n'
        + RULE
    )
    (closure,) = rules.calendars[0].closures
    assert (closure.start, closure.end, closure.note) == (
        datetime(2027, 12, 27),
        datetime(2027, 12, 28, 12),
        "move",
    )


def test_a_rule_counts_on_a_calendar_clock() -> None:
    rules = parse_rules(
        '[calendars.shop]\nhours.mon-fri = ["09:00-17:00"]\n' + RULE + 'clock = "shop"\n'
    )
    rule = rules.rule("late")
    assert isinstance(rule, TimeoutRule) and rule.clock.name == "shop"


def test_an_unknown_clock_or_a_closed_calendar_is_refused() -> None:
    assert "unknown clock 'shop'" in problems_of(RULE + 'clock = "shop"\n')[0]
    closed = problems_of("[calendars.shut]\nholidays = []\n" + RULE + 'clock = "shut"\n')
    assert any("has no open hours" in problem for problem in closed)


def test_periods_combine_days_weekdays_and_times() -> None:
    rules = parse_rules(
        'timezone = "Europe/Berlin"\n[calendars.a]\nhours.mon = ["09:00-10:00"]\n'
        'holidays = ["2027-12-25"]\n'
        '[periods.nights]\nweekdays = ["fri-sun"]\ntimes = ["22:00-06:00"]\n'
        '[periods.xmas]\nholidays_of = "a"\n'
        '[[modifiers]]\nname = "m"\nduring = ["nights", "xmas"]\nmultiply = 2\n' + RULE
    )
    nights, xmas = rules.periods
    assert nights.contains(datetime(2027, 4, 9, 21, 0, tzinfo=UTC))  # Friday 23:00 in Berlin
    assert nights.contains(datetime(2027, 4, 10, 3, 0, tzinfo=UTC))  # Saturday 05:00
    assert not nights.contains(datetime(2027, 4, 12, 21, 0, tzinfo=UTC))  # Monday 23:00
    assert xmas.contains(datetime(2027, 12, 25, 12, tzinfo=UTC))


def test_segments_are_usable_by_name_in_any_expression() -> None:
    rules = parse_rules(
        '[segments]\nvip = "order.vip"\nbig = "order.total >= 300"\nimportant = "vip or big"\n'
        + RULE
        + 'overrides = [{ when = "important", timeout = "1h" }]\n'
    )
    rule = rules.rule("late")
    assert isinstance(rule, TimeoutRule)
    assert rule.overrides[0].when.segments == {"important", "vip", "big"}
    assert rule.overrides[0].when.fields == {"order.vip", "order.total"}


def test_unknown_looping_or_mistyped_segments_are_refused() -> None:
    assert (
        "unknown field or segment 'vipp'"
        in problems_of(
            '[segments]\nvip = "order.vip"\n' + RULE.replace("order.lifecycle == 'open'", "vipp")
        )[0]
    )
    looped = problems_of('[segments]\na = "b"\nb = "a"\n' + RULE)
    assert any("in a loop" in problem for problem in looped)
    typed = problems_of(
        '[segments]\nwhen = "order.paid_at"\n' + RULE.replace("order.lifecycle == 'open'", "when")
    )
    assert any("must be a true/false condition" in problem for problem in typed)


def test_modifiers_read_segments_combine_floor_and_cap() -> None:
    rules = parse_rules(
        "[segments]\nmarket = \"order.channel == 'amazon'\"\n"
        '[[modifiers]]\nname = "m"\nsegments = ["market"]\nmultiply = 0.5\ncombine = "product"\n'
        'floor = "3h"\ncap = "10h"\n' + RULE
    )
    (modifier,) = rules.modifiers
    assert (modifier.multiply, modifier.combine, modifier.floor, modifier.cap) == (
        Decimal("0.5"),
        Combine.PRODUCT,
        timedelta(hours=3),
        timedelta(hours=10),
    )
    rule = rules.rule("late")
    assert isinstance(rule, TimeoutRule) and rule.modifiers[0].when is not None


def test_a_modifier_must_say_when_it_applies() -> None:
    assert (
        "say when it applies" in problems_of("[[modifiers]]\nname = 'm'\nmultiply = 2\n" + RULE)[0]
    )


def test_a_condition_rule_reads_fires_when_for_and_keep_firing_for() -> None:
    rules = parse_rules(
        '[[rules]]\nid = "stale"\nsubject = "source"\n'
        "fires_when = \"source.age > 2h\"\nfor = '10m'\nkeep_firing_for = '15m'\n"
    )
    rule = rules.rule("stale")
    assert isinstance(rule, ConditionRule)
    assert (rule.subject, rule.hold_for, rule.keep_firing_for) == (
        SubjectKind.SOURCE,
        timedelta(minutes=10),
        timedelta(minutes=15),
    )


def test_condition_and_timeout_keys_do_not_mix() -> None:
    problems = problems_of(
        '[[rules]]\nid = "x"\nsubject = "order"\nfires_when = "order.vip"\ntimeout = "1h"\n'
    )
    assert "condition rules (with fires_when) do not take this key" in problems[0]
    problems = problems_of(RULE + 'for = "1h"\n')
    assert "only condition rules (with fires_when) take this key" in problems[0]


def test_source_rules_read_source_fields_only() -> None:
    problems = problems_of('[[rules]]\nid = "x"\nsubject = "source"\nfires_when = "order.vip"\n')
    assert "not available in source rules" in problems[0]
    problems = problems_of(RULE.replace("order.lifecycle == 'open'", "source.failing"))
    assert "only available in source rules" in problems[0]


STALE = """
[[rules]]
id = "stale"
subject = "source"
fires_when = "source.age > 2h"
labels = { feed = "{source.name}" }

[[rules]]
id = "silent"
subject = "shipment"
starts_at = "shipment.last_checkpoint_at"
active_while = "not shipment.terminal"
timeout = "48h"
labels = { feed = "{shipment.tracked_by}" }
"""


def test_inhibit_reads_source_states_target_and_equal() -> None:
    rules = parse_rules(
        STALE + '[[inhibit]]\nsource = { rule = "stale", states = ["pending", "firing"] }\n'
        'target = { rule = "silent" }\nequal = ["feed"]\n'
    )
    (inhibit,) = rules.inhibits
    assert (inhibit.source_rule, inhibit.states, inhibit.target_rule, inhibit.equal) == (
        "stale",
        {"pending", "firing"},
        "silent",
        ("feed",),
    )


def test_inhibit_needs_labels_or_a_built_in_match_on_both_sides() -> None:
    problems = problems_of(
        STALE + '[[inhibit]]\nsource = { rule = "stale" }\ntarget = { rule = "silent" }\n'
        'equal = ["team"]\n'
    )
    assert any("rule stale has no label 'team'" in problem for problem in problems)
    problems = problems_of(
        STALE + '[[inhibit]]\nsource = { rule = "stale" }\ntarget = { rule = "silent" }\n'
        'equal = ["order"]\n'
    )
    assert any("'order' needs order or shipment rules on both sides" in p for p in problems)
    for equal in ('["carrier"]', '["feed", "carrier"]'):
        text = '[[inhibit]]\nsource = { rule = "stale" }\ntarget = { rule = "silent" }\n'
        assert parse_rules(STALE + text + f"equal = {equal}\n").inhibits


def test_any_rule_can_mute_another_but_no_rule_about_sources_is_muted() -> None:
    problems = problems_of(
        STALE + '[[inhibit]]\nsource = { rule = "silent" }\ntarget = { rule = "stale" }\n'
    )
    assert "stale is about sources" in problems[0]
    mutes = STALE + (
        '[[rules]]\nid = "late"\nsubject = "order"\nstarts_at = "order.paid_at"\n'
        'active_while = "order.payment_status == \'paid\'"\ntimeout = "4h"\n'
    )
    rules = parse_rules(
        mutes + '[[inhibit]]\nsource = { rule = "late", states = ["firing"] }\n'
        'target = { rule = "silent" }\nequal = ["order"]\n'
    )
    assert [(i.source_rule, i.target_rule, i.equal) for i in rules.inhibits] == [
        ("late", "silent", ("order",))
    ]
    assert (
        "silent cannot mute itself"
        in problems_of(
            STALE + '[[inhibit]]\nsource = { rule = "silent" }\ntarget = { rule = "silent" }\n'
        )[0]
    )


def test_rollout_is_a_share_of_orders() -> None:
    rule = parse_rules(RULE + 'rollout = "12.5%"\n').rule("late")
    assert rule is not None and rule.rollout == Decimal("12.5")
    assert "write a share above 0%" in problems_of(RULE + 'rollout = "0%"\n')[0]
