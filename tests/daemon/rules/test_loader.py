from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from daemon.rules.loader import load_rules, parse_rules
from daemon.rules.model import OverridePolicy, WarnBefore
from sync.domain import Severity, SubjectKind
from sync.errors import ConfigError

GOOD = """\
timezone = "Europe/Berlin"

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.payment_status == 'paid' and order.fulfillment_status == 'unfulfilled'"
timeout = "4h"
overrides = [{ name = "vip", when = "order.vip", timeout = "1h" }]
warn_before = "25%"
severity = "critical"
summary = "Order {order.number} paid {elapsed} ago"
labels = { team = "warehouse" }
escalation = "warehouse"

[[rules]]
id = "no_courier_scan"
subject = "shipment"
starts_at = "coalesce(shipment.last_checkpoint_at, shipment.shipped_at)"
active_while = "not shipment.terminal"
timeout = "48h"
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.toml")
    return caught.value.problems


def test_a_good_file_loads_into_typed_rules() -> None:
    rules = parse_rules(GOOD, "rules.toml")
    first, second = rules.rules
    assert rules.timezone == "Europe/Berlin"
    assert (first.id, first.title, first.subject) == (
        "paid_not_shipped",
        "paid_not_shipped",
        "order",
    )
    assert first.timeout == timedelta(hours=4)
    assert [(o.name, o.timeout) for o in first.overrides] == [("vip", timedelta(hours=1))]
    assert first.override_policy is OverridePolicy.FIRST
    assert first.warn_before == WarnBefore(percent=Decimal(25))
    assert first.severity is Severity.CRITICAL
    assert [name for name, _ in first.labels] == ["team"]
    assert (first.escalation, first.timezone) == ("warehouse", "Europe/Berlin")
    assert second.subject is SubjectKind.SHIPMENT
    assert second.severity is Severity.WARNING
    assert rules.for_subject(SubjectKind.SHIPMENT) == (second,)
    assert rules.rule("no_courier_scan") is second


def test_version_is_a_hash_of_the_text() -> None:
    assert parse_rules(GOOD).version == parse_rules(GOOD).version
    assert parse_rules(GOOD).version != parse_rules(GOOD + "\n# edited\n").version


def test_the_brief_example_message() -> None:
    text = GOOD.replace('timeout = "48h"', 'timeout = "four hours"')
    assert problems_of(text) == [
        "rules.toml:21: rules[1].timeout: 'four hours' is not a duration (use 90s, 15m, 4h, 2d)"
    ]


def test_every_problem_is_reported_in_line_order() -> None:
    text = (
        GOOD.replace('severity = "critical"', 'severity = "urgent"')
        .replace('timeout = "1h" }', 'timeout = "soon" }')
        .replace('starts_at = "order.paid_at"', 'starts_at = "order.payd_at"')
        .replace('escalation = "warehouse"', 'escalation = "warehouse"\ntimout = "4h"')
        .replace('active_while = "not shipment.terminal"', 'active_while = "shipment.terminal =="')
    )
    problems = problems_of(text)
    assert [problem.split(": ")[0:2] for problem in problems] == [
        ["rules.toml:6", "rules[0].starts_at"],
        ["rules.toml:9", "rules[0].overrides[0].timeout"],
        ["rules.toml:11", "rules[0].severity"],
        ["rules.toml:15", "rules[0].timout"],
        ["rules.toml:21", "rules[1].active_while"],
    ]
    assert "column 1: unknown field 'order.payd_at' (did you mean order.paid_at?)" in problems[0]
    assert "'soon' is not a duration" in problems[1]
    assert "'urgent' is not one of 'info', 'warning', 'critical'" in problems[2]
    assert "unknown key (did you mean timeout?)" in problems[3]
    assert "column 21: expected a value" in problems[4]


def test_a_toml_syntax_error_names_its_line() -> None:
    text = GOOD.replace('timeout = "48h"', "timeout = 48h")
    [problem] = problems_of(text)
    assert problem.startswith("rules.toml:21: syntax: ")
    assert problem.endswith("(column 13)")


def test_a_syntax_error_at_the_end_names_the_last_line() -> None:
    [problem] = problems_of('[[rules]]\nid = "a"\nlabels = {')
    assert problem.startswith("rules.toml:3: syntax: ")


def test_missing_keys_point_at_the_rule_header() -> None:
    problems = problems_of('\n[[rules]]\nid = "x"\nsubject = "order"\n')
    assert problems == [
        "rules.toml:2: rules[0].starts_at: missing (this key is required)",
        "rules.toml:2: rules[0].active_while: missing (this key is required)",
        "rules.toml:2: rules[0].timeout: missing (this key is required)",
    ]


def test_duplicate_rule_ids_are_refused() -> None:
    text = GOOD.replace('id = "no_courier_scan"', 'id = "paid_not_shipped"')
    assert problems_of(text) == [
        "rules.toml:17: rules[1].id: duplicate rule id 'paid_not_shipped' (first used on line 4)"
    ]


def test_wrong_value_types_say_what_they_got() -> None:
    problems = problems_of(GOOD.replace('timeout = "48h"', "timeout = 48"))
    assert problems == [
        'rules.toml:21: rules[1].timeout: expected a duration in quotes, like "4h", '
        "got the number 48"
    ]


def test_expressions_are_checked_against_the_rule_subject() -> None:
    text = GOOD.replace("order.vip", "shipment.status == 'delivered'")
    [problem] = problems_of(text)
    assert problem == (
        "rules.toml:9: rules[0].overrides[0].when: column 1: "
        "shipment.status is only available in shipment rules"
    )


def test_starts_at_must_be_a_time_and_active_while_a_condition() -> None:
    text = GOOD.replace('"order.paid_at"', '"order.vip"').replace(
        '"not shipment.terminal"', '"shipment.shipped_at"'
    )
    problems = problems_of(text)
    assert (
        "rules[0].starts_at: column 1: expected a time, but this gives a true/false" in problems[0]
    )
    assert "rules[1].active_while: column 1: expected a true/false condition" in problems[1]


def test_unknown_placeholders_are_load_errors() -> None:
    text = GOOD.replace("{order.number}", "{order.numbr}").replace(
        'team = "warehouse"', 'team = "{shipment.carrier}"'
    )
    assert problems_of(text) == [
        "rules.toml:12: rules[0].summary: unknown placeholder {order.numbr} "
        "(did you mean {order.number}?)",
        "rules.toml:13: rules[0].labels.team: "
        "{shipment.carrier} is only available in shipment rules",
    ]


def test_a_warning_lead_must_be_shorter_than_every_timeout() -> None:
    problems = problems_of(GOOD.replace('warn_before = "25%"', 'warn_before = "2h"'))
    assert problems == [
        "rules.toml:9: rules[0].overrides[0].timeout: 1h is not longer than warn_before 2h; "
        "use a percentage for warn_before"
    ]


@pytest.mark.parametrize("value", ['"0%"', '"100%"', '"lots%"'])
def test_a_warning_percentage_is_between_0_and_100(value: str) -> None:
    [problem] = problems_of(GOOD.replace('"25%"', value))
    assert "a percentage must be between 0% and 100%" in problem


def test_zero_timeouts_and_bad_ids_are_refused() -> None:
    text = GOOD.replace('timeout = "48h"', 'timeout = "0s"').replace(
        '"no_courier_scan"', '"no courier scan"'
    )
    assert problems_of(text) == [
        "rules.toml:17: rules[1].id: 'no courier scan': use letters, digits, '_' and '-' only",
        "rules.toml:21: rules[1].timeout: must be longer than 0s",
    ]


def test_unknown_keys_at_the_top() -> None:
    text = 'schema = 2\ntimezone = "Mars/Olympus"\nchannels = []\nrulez = []\n' + GOOD
    problems = problems_of(text.replace('timezone = "Europe/Berlin"\n', ""))
    assert problems[0] == "rules.toml:1: schema: this orderwatch reads schema 1, not 2"
    assert problems[1].startswith("rules.toml:2: timezone: 'Mars/Olympus' is not a time zone")
    assert problems[2].startswith("rules.toml:3: channels: expected tables like [channels.")
    assert problems[3].startswith("rules.toml:4: rulez: unknown key (did you mean rules?)")


def test_a_bad_subject_still_reports_the_other_keys() -> None:
    text = GOOD.replace('subject = "shipment"', 'subject = "parcel"').replace(
        "not shipment.terminal", "not shipment.terminl"
    )
    problems = problems_of(text)
    assert [problem.split(": ")[1] for problem in problems] == [
        "rules[1].subject",
        "rules[1].active_while",
    ]


PERIODS = """
[periods.holidays]
dates = ["2025-12-25", 2025-12-26]

[periods.peak]
ranges = [{ from = "2025-11-24", to = "2025-12-24" }]

[[modifiers]]
name = "slack"
during = ["holidays", "peak"]
multiply = 1.5
applies_to = ["paid_not_shipped"]
"""


def test_periods_and_modifiers_attach_to_their_rules() -> None:
    rules = parse_rules(GOOD + PERIODS)
    first, second = rules.rules
    [slack] = first.modifiers
    assert (slack.name, slack.multiply) == ("slack", Decimal("1.5"))
    assert [period.name for period in slack.during] == ["holidays", "peak"]
    assert second.modifiers == ()
    assert [period.name for period in rules.periods] == ["holidays", "peak"]


def test_modifier_mistakes_are_reported() -> None:
    text = GOOD + PERIODS.replace('"peak"]', '"peek"]').replace("1.5", "0").replace(
        '["paid_not_shipped"]', '["paid_not_shiped"]'
    ).replace('"2025-12-25"', '"25.12.2025"')
    problems = problems_of(text)
    assert [problem.split(": ")[1] for problem in problems] == [
        "periods.holidays.dates[0]",
        "modifiers[0].during[1]",
        "modifiers[0].multiply",
        "modifiers[0].applies_to[0]",
    ]
    assert "unknown period 'peek' (holidays, peak)" in problems[1]


def test_load_rules_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_rules(path).source == str(path)


def test_load_rules_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the rules file"):
        load_rules(tmp_path / "absent.toml")


def test_an_empty_file_has_no_rules() -> None:
    assert parse_rules("").rules == ()


def test_a_multi_line_expression_error_names_its_line_in_the_expression() -> None:
    text = GOOD.replace(
        "active_while = \"order.payment_status == 'paid' and order.fulfillment_status == "
        "'unfulfilled'\"",
        'active_while = """\n  order.payment_status == \'paid\'\n  and order.vipp\n"""',
    )
    [problem] = problems_of(text)
    assert problem.startswith(
        "rules.toml:7: rules[0].active_while: line 2 of the expression, column 7: "
        "unknown field 'order.vipp'"
    )


def test_a_rule_needing_a_feed_that_is_off_is_checked_but_not_run() -> None:
    text = GOOD.replace(
        'escalation = "warehouse"', 'escalation = "warehouse"\nneeds_feed = "warehouse_stages"'
    )
    rules = parse_rules(text, "rules.toml")
    assert [rule.id for rule in rules.rules] == ["no_courier_scan"]
    assert [rule.id for rule in rules.dormant] == ["paid_not_shipped"]
    switched = parse_rules(text + "\n[feeds]\nwarehouse_stages = true\n", "rules.toml")
    assert [rule.id for rule in switched.rules] == ["paid_not_shipped", "no_courier_scan"]


def test_an_unknown_feed_is_a_problem_with_its_line() -> None:
    text = GOOD.replace('escalation = "warehouse"', 'escalation = "warehouse"\nneeds_feed = "erp"')
    (problem,) = problems_of(text)
    assert (
        problem.startswith("rules.toml:15: rules[0].needs_feed:") and "warehouse_stages" in problem
    )


def test_who_is_told_is_not_part_of_a_rules_fingerprint() -> None:
    before = parse_rules(GOOD, "rules.toml")
    told = GOOD + '\n[agents.anna]\nname = "Anna"\n'
    calendar = GOOD + '\n[calendars.shop]\nhours.mon-fri = ["09:00-17:00"]\n'
    assert [r.fingerprint for r in parse_rules(told).rules] == [r.fingerprint for r in before.rules]
    moved = [r.fingerprint for r in parse_rules(calendar).rules]
    assert all(new != old.fingerprint for new, old in zip(moved, before.rules, strict=True))
