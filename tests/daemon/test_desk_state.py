"""What the daemon publishes for the console on each load of the rules: here, the rules on
trial and the shop's zone, which the console's Reports screen reads."""

from __future__ import annotations

from decimal import Decimal

from daemon.desk_state import desk_state
from daemon.rules.loader import parse_rules
from sync.desk import SHOP_ZONE_KEY
from sync.rollout import ROLLOUTS_KEY, rollouts_from_json

RULES = """
timezone = "Asia/Shanghai"

[[rules]]
id = "late"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.lifecycle == 'open'"
timeout = "4h"
rollout = "12.5%"

[[rules]]
id = "later"
subject = "order"
starts_at = "order.paid_at"
active_while = "order.lifecycle == 'open'"
timeout = "8h"
"""


def test_the_rules_on_trial_are_published_with_their_shares() -> None:
    state = desk_state(parse_rules(RULES))
    assert rollouts_from_json(state[ROLLOUTS_KEY]) == {"late": Decimal("12.5")}


def test_the_shops_zone_is_published() -> None:
    assert desk_state(parse_rules(RULES))[SHOP_ZONE_KEY] == "Asia/Shanghai"


def test_unreadable_shares_read_as_none() -> None:
    assert rollouts_from_json("not json") == {}
    assert rollouts_from_json('{"late": "lots"}') == {}
