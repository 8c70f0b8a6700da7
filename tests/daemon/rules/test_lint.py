"""``rules check`` lints: what loads but cannot be what was meant."""

from __future__ import annotations

from daemon.rules.lint import lint, summary
from daemon.rules.loader import parse_rules

RULE = """
[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "true"
timeout = "4h"
"""


def _lint(text: str) -> list[str]:
    return lint(parse_rules(text, "rules.toml"), text, "rules.toml")


def test_a_clean_file_has_no_warnings() -> None:
    assert _lint(RULE) == []


def test_under_min_an_override_matched_by_a_shorter_one_never_applies() -> None:
    text = RULE + (
        'override_policy = "min"\noverrides = [\n'
        '  { name = "vip", when = "order.vip", timeout = "1h" },\n'
        '  { name = "vip abroad", when = "order.country != \'DE\' and order.vip", '
        'timeout = "2h" },\n'
        '  { name = "abroad", when = "order.country != \'DE\'", timeout = "30m" },\n]\n'
    )
    (warning,) = _lint(text)
    assert warning.startswith(
        "rules.toml:11: rules[0].overrides[1]: warning: override 'vip abroad'"
    )


def test_unused_periods_and_calendars_are_reported() -> None:
    text = (
        '[calendars.spare]\nhours.mon = ["09:00-10:00"]\n'
        '[periods.never]\ndates = ["2027-01-01"]\n' + RULE
    )
    warnings = _lint(text)
    assert "calendar 'spare' is not used" in warnings[0]
    assert "period 'never' is not used by any modifier" in warnings[1]


def test_a_calendar_used_for_holidays_only_is_used() -> None:
    text = (
        '[calendars.holidays]\nholidays = ["2027-12-25"]\n'
        '[calendars.shop]\nhours.mon = ["09:00-10:00"]\nholidays_from = "holidays"\n'
        + RULE
        + 'clock = "shop"\n'
    )
    assert [w for w in _lint(text) if "not used" in w] == []
    assert any("has no open hours" in w for w in _lint(text))


def test_the_summary_says_what_was_understood() -> None:
    lines = summary(parse_rules('[calendars.shop]\nhours.mon-fri = ["09:00-17:00"]\n' + RULE), "r")
    assert lines[0].startswith("r: ok, 1 rule (1 timeout, 0 condition), 1 calendar")
    assert "  rule late [order]: 4h on wall" in lines
    assert any(
        line.startswith("  calendar shop (UTC): 40h a week; mon-fri 09:00-17:00") for line in lines
    )


def test_a_ladder_step_shorter_than_the_evaluation_interval_is_reported() -> None:
    text = (
        'eval_interval = "2m"\n' + RULE + 'escalation = "desk"\n'
        '[agents.anna]\nteam = "desk"\n[teams.desk]\n'
        '[escalations.desk]\n[[escalations.desk.levels]]\nnotify = ["team:desk"]\n'
        'channels = ["console"]\nack_within = "30s"\n'
        '[[escalations.desk.levels]]\nnotify = ["agent:anna"]\nchannels = ["console"]\n'
    )
    (warning,) = _lint(text)
    assert "escalations.desk.levels[0].ack_within: warning: 30s is shorter than" in warning


def test_the_summary_tells_a_learned_timeout_and_a_rule_waiting_for_its_feed() -> None:
    learned = (
        '\n[[rules]]\nid = "silent"\nsubject = "shipment"\n'
        'starts_at = "shipment.last_checkpoint_at"\nactive_while = "true"\n'
        'timeout = "route.p90_transit"\nfallback = "3d"\nmin_samples = 12\n'
    )
    waiting = RULE + 'needs_feed = "warehouse_stages"\n'
    lines = summary(parse_rules(waiting + learned), "r")
    assert (
        "  rule silent [shipment]: route.p90_transit of each parcel's route (at least 12 "
        "samples, else 3d) on wall"
    ) in lines
    assert "  rule late [order]: off until [feeds] warehouse_stages = true" in lines
