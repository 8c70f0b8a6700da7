"""The console's views by name: the fixed ones and the role views from the config.

Views 1–4 are the queue and three escalation lists; ``5`` steps through the role views; "all
orders" is where a find with several matches lands. Each order view is a base (open or all
orders), a fixed filter, a sort and a grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.store.console import EscalationList
from sync.store.views import Group, Sort, View
from tui.config import RoleView


@dataclass(frozen=True, slots=True)
class OrderView:
    mode: str
    title: str
    noun: str
    """What a row is, plural (``open orders``)."""
    base: View = View.QUEUE
    filter: str = ""
    """A filter always applied (a role view's); the agent's own ``/`` filter comes on top."""
    sort: Sort = Sort.AGE
    reverse: bool = False
    group: Group = Group.NONE
    empty: str = "No orders"


@dataclass(frozen=True, slots=True)
class EscalationView:
    mode: str
    title: str
    which: EscalationList
    empty: str
    help: str


QUEUE = OrderView("queue", "Queue", "open orders", empty="No open orders")
ALL = OrderView("all", "All orders", "orders", base=View.ALL, empty="No orders yet")

ESCALATIONS = EscalationView(
    "escalations",
    "Escalations",
    EscalationList.OPEN,
    "No open escalations",
    "Open escalations, firing and warning first, then by time left.",
)
MINE = EscalationView(
    "mine",
    "Mine",
    EscalationList.MINE,
    "Nothing assigned to you",
    "Open escalations assigned to you (t takes one).",
)
SNOOZED = EscalationView(
    "snoozed",
    "Snoozed",
    EscalationList.SNOOZED,
    "Nothing snoozed",
    "Snoozed escalations, the soonest to wake first.",
)


def role_view(role: RoleView) -> OrderView:
    noun = "open orders" if role.orders is View.QUEUE else "orders"
    return OrderView(
        mode=f"view:{role.name}",
        title=role.title,
        noun=noun,
        base=role.orders,
        filter=role.filter,
        sort=role.sort,
        reverse=role.reverse,
        group=role.group,
        empty=f"Nothing for {role.title}",
    )


SORT_LABELS: dict[Sort, str] = {
    Sort.AGE: "age: newest first",
    Sort.NUMBER: "order number: highest first",
    Sort.CUSTOMER: "customer: A to Z",
    Sort.STATUS: "status: open first",
    Sort.PARCEL: "parcel status",
    Sort.DUE: "rule deadline: soonest first",
}
