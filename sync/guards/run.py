"""Run every check over a batch of orders."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from sync.guards.address import address_problems
from sync.guards.cross import Candidate, cross_checks
from sync.guards.customer import customer_checks
from sync.guards.model import Check, Finding, GuardSettings, OrderFacts, Outcome


def evaluate(
    orders: Iterable[OrderFacts],
    neighbours: Mapping[int, Sequence[OrderFacts]],
    settings: GuardSettings,
    now: datetime,
    customer_only: Collection[int] = frozenset(),
) -> Outcome:
    """The checks holding at ``now`` on each of ``orders`` (neighbours: the other orders of the
    same customer, by order id), and when checks that hold only later must be looked at again.

    For the orders in ``customer_only`` (a changed order's neighbours, themselves unchanged) only
    the checks across a customer's orders (:data:`CUSTOMER_CHECKS`) are run."""
    outcome = Outcome()
    for order in orders:
        found: dict[Check, Finding] = {}
        later: list[datetime] = []
        mates = neighbours.get(order.id, ())
        if order.id in customer_only:
            candidates = list(customer_checks(order, mates, settings))
        else:
            candidates = _candidates(order, mates, settings)
        for check, detail, since in candidates:
            if check in settings.off or check in found:
                continue
            if since > now:
                later.append(since)
            else:
                found[check] = Finding(check, detail, since)
        if found:
            outcome.findings[order.id] = tuple(found.values())
        if later:
            outcome.recheck[order.id] = min(later)
    return outcome


def _candidates(
    order: OrderFacts, neighbours: Sequence[OrderFacts], settings: GuardSettings
) -> list[Candidate]:
    found = list(cross_checks(order, settings))
    found.extend(customer_checks(order, neighbours, settings))
    found.extend(_address(order))
    if order.conflict:
        found.append(
            (Check.CONFLICTING_EDIT, order.conflict, order.conflict_at or order.created_at)
        )
    return found


def _address(order: OrderFacts) -> list[Candidate]:
    if not order.active or order.fulfillment_status == "not_required":
        return []
    carriers = tuple(p.carrier for p in order.parcels)
    problems: list[str] = []
    if not any(p.last_checkpoint_at for p in order.parcels):  # the courier does not have it yet
        problems = address_problems(order, carriers)
    since = order.created_at
    stamps = [p.shipped_at for p in order.parcels if p.shipped_at is not None]
    label = min(stamps) if stamps else None
    changed = order.address_changed_at
    if label is not None and changed is not None and changed > label:
        problems.append("address changed after the label was printed")
        since = changed
    if not problems:
        return []
    return [(Check.ADDRESS_PROBLEM, "; ".join(problems), since)]
