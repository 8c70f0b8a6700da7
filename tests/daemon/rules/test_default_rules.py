"""The default rules.toml is the documentation by example: it must load and show every key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.rules.loader import ACCEPTED_KEYS, load_rules, parse_rules
from daemon.rules.model import TimeoutRule
from daemon.rules.plan import plan, render_summary
from daemon.rules.schema import FIELDS
from daemon.rules.subject import sample_subject
from daemon.rules.template import COMPUTED

DEFAULT = Path(__file__).parents[3] / "rules.toml"


def test_the_default_rules_load() -> None:
    rules = load_rules(DEFAULT)
    assert [rule.id for rule in rules.rules] == [
        "paid_not_shipped",
        "promised_tomorrow_not_shipped",
        "packed_not_handed_over",
        "label_no_pickup",
        "no_courier_scan",
        "delivery_failed",
        "courier_exception",
        "courier_feed_stale",
    ]
    assert [calendar.name for calendar in rules.calendars] == ["warehouse", "courier", "support"]


def test_stock_reservation_waits_for_a_warehouse_stage_feed() -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    assert [rule.id for rule in load_rules(DEFAULT).dormant] == ["stock_not_reserved"]
    switched = parse_rules(text.replace("warehouse_stages = false", "warehouse_stages = true"))
    assert switched.rule("stock_not_reserved") is not None
    assert switched.dormant == ()


def _tables(name: str, value: Any) -> Iterator[tuple[str, str]]:
    """(table, key) for ``value`` found at table ``name``, named as in ACCEPTED_KEYS."""
    if isinstance(value, list):
        for item in value:
            yield from _tables(name + "[]", item)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        yield name, key
        if name.endswith(("hours", "segments", "labels")):
            continue
        child = f"{name}.{key}" if name else key
        if name in {"calendars", "periods"}:
            child = f"{name}.*"
        yield from _tables(child, item)


def _keys_used(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(table, key) for table, key in _tables("", data) if table in ACCEPTED_KEYS}


def test_every_accepted_key_is_shown_in_the_default_rules() -> None:
    used = _keys_used(tomllib.loads(DEFAULT.read_text(encoding="utf-8")))
    accepted = {(table, key) for table, keys in ACCEPTED_KEYS.items() for key in keys}
    assert accepted - used == set()
    assert used - accepted == set()


def test_every_field_and_placeholder_is_listed_in_its_comments() -> None:
    comments = "\n".join(
        line for line in DEFAULT.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    words = set(re.findall(r"[a-z_]+\.[a-z_]+", comments))
    assert set(FIELDS) - words == set()
    assert {name for name in COMPUTED if "{" + name + "}" not in comments} == set()


def test_the_default_rules_plan_the_sample_subjects() -> None:
    now = datetime(2025, 3, 27, 12, tzinfo=UTC)  # a Thursday
    rules = load_rules(DEFAULT)
    paid_not_shipped = rules.rule("paid_not_shipped")
    no_courier_scan = rules.rule("no_courier_scan")
    assert isinstance(paid_not_shipped, TimeoutRule)
    assert isinstance(no_courier_scan, TimeoutRule)
    order = sample_subject(paid_not_shipped.subject)
    vip = plan(paid_not_shipped, order, now)
    assert vip is not None and (vip.override, vip.timeout) == ("vip or big", timedelta(hours=1))
    assert vip.clock.name == "warehouse"
    assert render_summary(paid_not_shipped, order, now).startswith("Order 1001 paid 2h30m ago")
    parcel = sample_subject(no_courier_scan.subject)
    silent = plan(no_courier_scan, parcel, now)
    assert silent is not None and silent.timeout == timedelta(hours=48)
