"""Reading ladders, people, channels, the desk and replies from rules.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.rules.channels import ChannelKind, quiet_until
from daemon.rules.ladders import OutsideHours, policy_from_snapshot
from daemon.rules.loader import load_rules, parse_rules
from daemon.rules.workflow import WORKFLOW_ACCEPTED_KEYS, WORKFLOW_TOP_KEYS, Workflow
from sync.errors import ConfigError
from sync.replies import Situation

DEFAULT = Path(__file__).parents[3] / "rules.toml"

BASE = """\
timezone = "Europe/Berlin"

[calendars.office]
hours.mon-fri = ["09:00-17:00"]

[periods.night]
times = ["22:00-07:00"]

[[rules]]
id = "paid_not_shipped"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.payment_status == 'paid'"
timeout = "4h"
escalation = "warehouse"

[agents.anna]
team = "warehouse"
backup = "ben"

[agents.ben]
team = "warehouse"

[teams.warehouse]
shifts = [{ days = "mon-fri", hours = "08:00-18:00" }]

[escalations.warehouse]
ack_expires = "2h"

[[escalations.warehouse.levels]]
notify = ["team:warehouse"]
channels = ["console"]
ack_within = "15m"

[[escalations.warehouse.levels]]
reassign_to = "backup"
channels = ["console"]
active_during = "office"
outside_hours = "skip"
"""


def workflow(text: str = BASE) -> Workflow:
    found = parse_rules(text, "rules.toml").workflow
    assert found is not None
    return found


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.toml")
    return caught.value.problems


def _keys(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(table, key) for every key of the workflow tables, named as in WORKFLOW_ACCEPTED_KEYS."""
    for table in ("agents", "teams", "escalations", "channels"):
        for body in data.get(table, {}).values():
            yield from ((f"{table}.*", key) for key in body)
    for team in data.get("teams", {}).values():
        for shift in team.get("shifts", []):
            yield from (("teams.*.shifts[]", key) for key in shift)
    for policy in data.get("escalations", {}).values():
        for level in policy.get("levels", []):
            yield from (("escalations.*.levels[]", key) for key in level)
            yield from (("escalations.*.levels[].repeat", k) for k in level.get("repeat", {}))
    for channel in data.get("channels", {}).values():
        for sub in ("retry", "quiet"):
            yield from ((f"channels.*.{sub}", key) for key in channel.get(sub, {}))
    desk = data.get("desk", {})
    yield from (("desk", key) for key in desk)
    for reason in desk.get("delay_reasons", []):
        yield from (("desk.delay_reasons[]", key) for key in reason)
    for key, value in data.get("replies", {}).items():
        if isinstance(value, dict):
            yield from (("replies.*", situation) for situation in value)
        else:
            yield "replies", key


def test_every_workflow_key_is_shown_in_the_default_rules() -> None:
    data = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    used = set(_keys(data))
    accepted = {(table, key) for table, keys in WORKFLOW_ACCEPTED_KEYS.items() for key in keys}
    assert accepted - used == set()
    assert used - accepted == set()
    assert set(data) >= WORKFLOW_TOP_KEYS


def test_the_default_rules_name_only_policies_they_define() -> None:
    rules = load_rules(DEFAULT)
    assert rules.workflow is not None
    for rule in rules.rules:
        assert rules.workflow.policy_for(rule) is not None, rule.id


def test_a_ladder_reads_into_levels() -> None:
    policy = workflow().policies["warehouse"]
    first, second = policy.levels
    assert (first.notify, first.ack_within) == (("team:warehouse",), timedelta(minutes=15))
    assert (second.reassign_to, second.outside_hours) == ("backup", OutsideHours.SKIP)
    assert second.active_during is not None and second.active_during.name == "office"
    assert policy.ack_expires == timedelta(hours=2)


def test_a_frozen_policy_reads_back_the_same() -> None:
    policy = workflow().policies["warehouse"]
    assert policy_from_snapshot(policy.snapshot()) == policy


def test_an_edited_policy_has_another_version() -> None:
    edited = workflow(BASE.replace('ack_within = "15m"', 'ack_within = "5m"'))
    assert edited.policies["warehouse"].version != workflow().policies["warehouse"].version


def test_a_rule_naming_an_unknown_policy_is_a_problem() -> None:
    text = BASE.replace('escalation = "warehouse"', 'escalation = "warehous"')
    assert problems_of(text) == [
        "rules.toml:15: rules[0].escalation: unknown escalation policy 'warehous' (warehouse)"
    ]


def test_a_level_naming_unknown_people_and_channels_is_a_problem() -> None:
    text = BASE.replace('["team:warehouse"]', '["team:shop", "anna"]').replace(
        'channels = ["console"]\nack_within', 'channels = ["pager"]\nack_within'
    )
    assert [p.split(": ", 2)[1:] for p in problems_of(text)] == [
        ["escalations.warehouse.levels[0].notify[0]", "unknown team 'shop' (warehouse)"],
        ["escalations.warehouse.levels[0].notify[1]", "'anna': write 'team:NAME' or 'agent:LOGIN'"],
        ["escalations.warehouse.levels[0].channels[0]", "unknown channel 'pager' (console)"],
    ]


def test_the_last_level_cannot_wait_for_an_acknowledgement() -> None:
    text = BASE + 'ack_within = "1h"\n'
    (problem,) = problems_of(text)
    assert "levels[1].ack_within: the last level has no level after it" in problem


def test_a_backup_who_is_not_an_agent_is_a_problem() -> None:
    (problem,) = problems_of(BASE.replace('backup = "ben"', 'backup = "bob"'))
    assert problem.endswith("agents.anna.backup: unknown agent 'bob' (anna, ben)")


def test_a_team_is_on_duty_only_in_its_shifts() -> None:
    team = workflow().roster.teams["warehouse"]
    monday_noon = datetime(2026, 11, 23, 11, tzinfo=UTC)
    saturday = datetime(2026, 11, 28, 11, tzinfo=UTC)
    assert team.on_duty(monday_noon) == ("anna", "ben")
    assert team.on_duty(saturday) == ()
    assert team.next_duty(saturday) == datetime(2026, 11, 30, 7, tzinfo=UTC)  # 08:00 Berlin


def test_a_night_watch_keeps_its_own_time_zone() -> None:
    text = BASE.replace(
        'shifts = [{ days = "mon-fri", hours = "08:00-18:00" }]',
        'shifts = [{ days = "daily", hours = "09:00-17:00", agents = ["ben"], '
        'timezone = "Asia/Shanghai" }]',
    )
    team = workflow(text).roster.teams["warehouse"]
    assert team.on_duty(datetime(2026, 11, 28, 2, tzinfo=UTC)) == ("ben",)  # 10:00 in Shanghai
    assert team.on_duty(datetime(2026, 11, 28, 12, tzinfo=UTC)) == ()


def test_a_secret_address_must_come_from_the_environment_or_be_written_once() -> None:
    text = BASE + '\n[channels.wecom]\ntype = "wecom"\n'
    (problem,) = problems_of(text)
    assert "channels.wecom.url: give the address as url, or (when it holds a key) as url_env" in (
        problem
    )


def test_a_key_of_another_channel_type_is_a_problem() -> None:
    text = BASE + '\n[channels.slack]\ntype = "slack"\nurl_env = "X"\nhost = "mail"\n'
    (problem,) = problems_of(text)
    assert "channels.slack.host: unknown key" in problem


def test_quiet_hours_end_when_their_period_ends() -> None:
    text = (
        BASE
        + '\n[channels.wecom]\ntype = "wecom"\nurl_env = "X"\n'
        + 'quiet = { during = ["night"], except_severity = ["critical"] }\n'
    )
    channel = workflow(text).channels["wecom"]
    assert channel.kind is ChannelKind.WECOM
    late = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert quiet_until(channel, late, "warning") == datetime(2026, 11, 24, 6, tzinfo=UTC)
    assert quiet_until(channel, late, "critical") is None


def test_the_shops_reply_replaces_only_the_situations_it_gives() -> None:
    text = (
        BASE
        + '\n[replies]\nshop_name = "Tea"\n[replies.en]\nnot_shipped = "Soon: {order.number}"\n'
    )
    book = workflow(text).replies
    assert book.templates["en"][Situation.NOT_SHIPPED] == "Soon: {order.number}"
    assert book.templates["en"][Situation.EXCEPTION].startswith("Hello {customer.name}")
    assert set(book.languages) == {"en", "zh"}


def test_a_reply_with_an_unknown_placeholder_is_a_problem() -> None:
    text = BASE + '\n[replies.en]\nexception = "Hi {customer.nam}"\n'
    (problem,) = problems_of(text)
    assert "replies.en.exception: unknown placeholder {customer.nam}" in problem


def test_the_desk_reasons_keep_the_shops_order() -> None:
    text = (
        BASE
        + '\n[desk]\ndelay_reasons = [{ code = "rain", label = "Rain" }, '
        + '{ code = "other", label = "Other", needs_note = true }]\n'
    )
    reasons = workflow(text).desk.delay_reasons
    assert [(r.code, r.needs_note) for r in reasons] == [("rain", False), ("other", True)]


def test_without_escalations_the_rules_name_policies_freely() -> None:
    text = BASE[: BASE.index("[escalations.warehouse]")]
    assert workflow(text).policies == {}
