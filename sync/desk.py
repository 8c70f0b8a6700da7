"""What the daemon tells the agents' console about the desk, through the database.

The console never imports the daemon, yet it needs some of ``rules.toml``: the delay reasons an
agent picks from when resolving, the agents one can assign to, the reply templates, the longest
snooze. On every (re)load the daemon writes them as JSON into ``daemon_state`` under the keys
below; :mod:`sync.store.actions` reads them back. Before the daemon ever ran, the defaults here
apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

DELAY_REASONS_KEY = "desk.delay_reasons"
AGENTS_KEY = "desk.agents"
REPLIES_KEY = "desk.replies"
MAX_SNOOZE_KEY = "desk.max_snooze"
SHOP_ZONE_KEY = "desk.timezone"
"""The rules file's time zone: the shop's days, as the console's reports count them."""

DEFAULT_MAX_SNOOZE = timedelta(hours=24)

CONFLICT_FLAG = "conflicting_edits"
"""The order flag raised when several actors changed one order's status within a day."""

STATUS_EVENT_KINDS = ("status", "stage", "manual_status")
"""Timeline kinds that change an order's status, as counted for conflicting edits."""


@dataclass(frozen=True, slots=True)
class DelayReason:
    """Why an escalation was late, as an agent resolving it says. ``needs_note``: the agent must
    also say in words (the reason "other")."""

    code: str
    label: str
    needs_note: bool = False


DEFAULT_DELAY_REASONS = (
    DelayReason("payment_failed", "Payment failed"),
    DelayReason("stock_shortage", "Stock shortage"),
    DelayReason("packing_delay", "Packing delay"),
    DelayReason("courier_not_collected", "Courier did not collect"),
    DelayReason("address_problem", "Address problem"),
    DelayReason("customs", "Held in customs"),
    DelayReason("customer_request", "Customer's request"),
    DelayReason("other", "Other (say what)", needs_note=True),
)


@dataclass(frozen=True, slots=True)
class DeskAgent:
    """An agent as the console lists them (to assign to): OS login, name, team, backup."""

    login: str
    name: str
    team: str = ""
    backup: str = ""


def reasons_to_json(reasons: tuple[DelayReason, ...]) -> str:
    return json.dumps(
        [[r.code, r.label, r.needs_note] for r in reasons],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def reasons_from_json(text: str) -> tuple[DelayReason, ...]:
    """The reasons stored by the daemon, or the defaults when there are none (or unreadable)."""
    try:
        items = json.loads(text) if text else []
        found = tuple(DelayReason(str(c), str(label), bool(note)) for c, label, note in items)
    except (ValueError, TypeError):
        return DEFAULT_DELAY_REASONS
    return found or DEFAULT_DELAY_REASONS


def agents_to_json(agents: tuple[DeskAgent, ...]) -> str:
    return json.dumps(
        [[a.login, a.name, a.team, a.backup] for a in agents],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def agents_from_json(text: str) -> tuple[DeskAgent, ...]:
    try:
        items = json.loads(text) if text else []
        return tuple(DeskAgent(str(a), str(b), str(c), str(d)) for a, b, c, d in items)
    except (ValueError, TypeError):
        return ()
