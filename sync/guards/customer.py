"""Checks across one customer's orders: orders to pack together, parcels sent twice.

``neighbours`` are the other orders sharing a customer key with the order. Orders linked to one
another (a gift or an add-on tagged ``main:<number>``) and orders that declare split shipments
are never reported against each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sync.guards.cross import Candidate
from sync.guards.model import Check, GuardSettings, OrderFacts

CUSTOMER_CHECKS = frozenset({Check.MERGE_SUGGESTED, Check.DUPLICATE_SHIPMENT})
"""The checks :func:`customer_checks` decides, whole: all a neighbour's change can move."""


def bare_number(number: str) -> str:
    return number.strip().lstrip("#").casefold()


def links(order: OrderFacts, settings: GuardSettings) -> frozenset[str]:
    """The bare numbers of the main orders ``order`` is linked to."""
    found = set()
    for tag in order.tags:
        lowered = tag.strip().casefold()
        for prefix in settings.link_prefixes:
            if lowered.startswith(prefix.casefold()):
                found.add(bare_number(lowered[len(prefix) :]))
    return frozenset(found)


def linked(a: OrderFacts, b: OrderFacts, settings: GuardSettings) -> bool:
    """A gift and its main order, or two add-ons of one main order."""
    la, lb = links(a, settings), links(b, settings)
    return bare_number(b.number) in la or bare_number(a.number) in lb or bool(la & lb)


def declares_split(order: OrderFacts, settings: GuardSettings) -> bool:
    wanted = {tag.casefold() for tag in settings.split_tags}
    return any(tag.strip().casefold() in wanted for tag in order.tags)


def customer_checks(
    order: OrderFacts, neighbours: Sequence[OrderFacts], settings: GuardSettings
) -> Iterator[Candidate]:
    if not order.active:
        return
    yield from _second_tracking(order, settings)
    if not order.unshipped:  # both checks below warn before an order ships
        return
    others = [
        n for n in neighbours if n.id != order.id and n.active and not linked(order, n, settings)
    ]
    yield from _merge(order, others, settings)
    yield from _same_sku_again(order, others, settings)


def _second_tracking(order: OrderFacts, settings: GuardSettings) -> Iterator[Candidate]:
    numbers = order.tracking_numbers
    if len(numbers) < 2 or declares_split(order, settings):
        return
    stamps = [p.shipped_at for p in order.parcels if p.shipped_at is not None]
    yield (
        Check.DUPLICATE_SHIPMENT,
        f"{len(numbers)} tracking numbers for one order: {', '.join(numbers)}",
        max(stamps) if stamps else order.created_at,
    )


def _merge(
    order: OrderFacts, others: Sequence[OrderFacts], settings: GuardSettings
) -> Iterator[Candidate]:
    if not order.unshipped:
        return
    window = settings.merge_within
    close = [n for n in others if n.unshipped and abs(n.created_at - order.created_at) <= window]
    if not close:
        return
    close.sort(key=lambda n: (n.created_at, n.id))
    since = max([order.created_at, *(n.created_at for n in close)])
    numbers = ", ".join(n.number for n in close)
    yield (Check.MERGE_SUGGESTED, f"same customer, not shipped yet: {numbers}", since)


def _same_sku_again(
    order: OrderFacts, others: Sequence[OrderFacts], settings: GuardSettings
) -> Iterator[Candidate]:
    if not order.unshipped or not order.skus:
        return
    window = settings.same_sku_within
    wanted = set(order.skus)
    for other in sorted(others, key=lambda n: (n.created_at, n.id)):
        sent = _sent_at(other)
        if sent is None or not (order.created_at - window <= sent <= order.created_at + window):
            continue
        same = sorted(wanted & set(other.skus))
        if same:
            yield (
                Check.DUPLICATE_SHIPMENT,
                f"{', '.join(same)} already sent to this customer with {other.number}",
                order.created_at,
            )
            return


def _sent_at(order: OrderFacts) -> datetime | None:
    stamps = [p.shipped_at for p in order.parcels if p.tracking_number and p.shipped_at]
    return min(stamps) if stamps else None
