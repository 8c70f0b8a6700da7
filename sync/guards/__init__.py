"""Order guards: cross-checks over everything the mirror knows about an order and its customer.

Pure functions, no I/O: the store hands in :class:`~sync.guards.model.OrderFacts` for the orders to
check and for the other orders of the same customers, and :func:`~sync.guards.run.evaluate` says
which checks hold on each, since when, and when a check that waits N hours must look again.

- :mod:`sync.guards.keys`: customer matching keys (phone, e-mail, name and address).
- :mod:`sync.guards.address`: missing parts, PO boxes a courier cannot reach, late changes.
- :mod:`sync.guards.cross`: the shop and the courier disagreeing, or an order left waiting.
- :mod:`sync.guards.customer`: merge suggestions and duplicate shipments across orders.
"""

from __future__ import annotations

from sync.guards.customer import CUSTOMER_CHECKS
from sync.guards.keys import customer_keys, normalize_email, normalize_phone, normalize_text
from sync.guards.model import (
    Check,
    Finding,
    GuardSettings,
    OrderFacts,
    Outcome,
    ParcelFacts,
)
from sync.guards.run import evaluate

__all__ = [
    "CUSTOMER_CHECKS",
    "Check",
    "Finding",
    "GuardSettings",
    "OrderFacts",
    "Outcome",
    "ParcelFacts",
    "customer_keys",
    "evaluate",
    "normalize_email",
    "normalize_phone",
    "normalize_text",
]
