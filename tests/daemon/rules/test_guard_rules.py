"""The ``[guards]`` table and the ``guard.*`` fields of rules.toml."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daemon.rules.loader import parse_rules
from daemon.rules.schema import BOOL, FIELDS
from sync.errors import ConfigError
from sync.guards import Check, GuardSettings

HEAD = 'timezone = "UTC"\n'


def test_no_guards_table_keeps_the_defaults() -> None:
    assert parse_rules(HEAD).guards == GuardSettings()


def test_the_guards_table_sets_waits_tags_and_checks_off() -> None:
    rules = parse_rules(
        HEAD + '[guards]\nnot_released_after = "6h"\nsplit_tags = ["two-boxes"]\n'
        'off = ["address_problem"]\n'
    )
    assert rules.guards.not_released_after == timedelta(hours=6)
    assert rules.guards.split_tags == ("two-boxes",)
    assert rules.guards.off == frozenset({"address_problem"})
    assert rules.guards.merge_within == timedelta(hours=24)


def test_a_guard_that_does_not_exist_is_a_located_error() -> None:
    with pytest.raises(ConfigError, match=r"rules.toml:3: guards.off: 'merge' is not a guard"):
        parse_rules(HEAD + "[guards]\noff = ['merge']\n")


def test_an_unknown_key_and_a_bad_duration_are_both_reported() -> None:
    with pytest.raises(ConfigError) as error:
        parse_rules(HEAD + '[guards]\nlabel_not_scanned_after = "soon"\nmerge_window = "1h"\n')
    found = "\n".join(error.value.problems)
    assert "guards.label_not_scanned_after: 'soon' is not a duration" in found
    assert "guards.merge_window: unknown key (did you mean merge_within?)" in found


def test_every_guard_is_a_true_false_field() -> None:
    for check in Check:
        assert FIELDS[f"guard.{check}"].type == BOOL


def test_a_condition_rule_on_a_guard_loads() -> None:
    rules = parse_rules(
        HEAD + '[[rules]]\nid = "pack"\ntitle = "Pack together"\nsubject = "order"\n'
        'fires_when = "guard.merge_suggested and not order.vip"\nseverity = "info"\n'
        'summary = "Order {order.number}"\n'
    )
    assert rules.rule("pack") is not None


def test_a_misspelt_guard_field_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigError, match=r"did you mean guard\.merge_suggested"):
        parse_rules(
            HEAD + '[[rules]]\nid = "pack"\ntitle = "Pack"\nsubject = "order"\n'
            'fires_when = "guard.merge_suggest"\nseverity = "info"\nsummary = "x"\n'
        )
