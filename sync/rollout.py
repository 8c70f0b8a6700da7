"""Which orders a rule on trial (``rollout = "10%"``) runs for.

Each (rule, order) gets a stable number in 0..9999 from a hash of the rule's id and the order's
source and external id; the rule runs for the orders whose number is below its share times 100.
The daemon's rules engine chooses with it and the reports split the orders by it, so both agree
on who was in the trial. The same order stays in as the share grows, and each rule picks its own
orders.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

ROLLOUTS_KEY = "rules.rollouts"
"""``daemon_state`` key: JSON ``{rule id: share in percent}`` of the rules on trial, written by
the daemon on every (re)load of the rules."""


def rollout_bucket(rule_id: str, order_key: str) -> int:
    """A stable number in 0..9999 for (rule, order)."""
    digest = hashlib.blake2b(f"{rule_id}\x00{order_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000


def order_key(source: str, external_id: str) -> str:
    return f"{source}:{external_id}"


def in_rollout(rule_id: str, share: Decimal, source: str, external_id: str) -> bool:
    """Whether the rule on trial at ``share`` percent runs for this order."""
    return rollout_bucket(rule_id, order_key(source, external_id)) < int(share * 100)


def rollouts_to_json(shares: dict[str, Decimal]) -> str:
    return json.dumps({rule: str(share) for rule, share in sorted(shares.items())})


def rollouts_from_json(text: str) -> dict[str, Decimal]:
    """The stored shares; none when there are none or they cannot be read."""
    try:
        items = json.loads(text) if text else {}
        return {str(rule): Decimal(str(share)) for rule, share in items.items()}
    except (ValueError, TypeError, AttributeError, ArithmeticError):
        return {}
