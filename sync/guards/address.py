"""Address checks: parts missing, a PO box the courier cannot reach, a change after the label."""

from __future__ import annotations

import re

from sync.guards.keys import normalize_text
from sync.guards.model import OrderFacts

# Couriers that hand parcels to a person at a door, never to a post-office box; the postal
# services (USPS, China Post, EMS) deliver to boxes. Codes are sync.carriers' own.
NO_PO_BOX = frozenset(
    {"sf", "zto", "yto", "sto", "yunda", "jd", "jtexpress", "ups", "dhl", "fedex"}
)
PO_BOX_OK = frozenset({"usps", "china-post", "ems"})

_PO_BOX = re.compile(
    r"\bp\s*o\s*box\b|\bpost\s+office\s+box\b|\bpostfach\b|\bpo\s*b\s*\d|邮政信箱|信箱\s*\d",
)
_CN_DISTRICT = re.compile(r"[区县旗]|市.+")


def is_po_box(order: OrderFacts) -> bool:
    return bool(_PO_BOX.search(normalize_text(order.address)))


def address_problems(order: OrderFacts, carriers: tuple[str, ...]) -> list[str]:
    """What is wrong with the shipping address before it ships, in the agent's words."""
    problems: list[str] = []
    if not order.phone.strip():
        problems.append("no phone")
    if order.postcode is not None and not order.postcode.strip() and _needs_postcode(order):
        problems.append("no postcode")
    if _missing_district(order):
        problems.append("no district")
    if is_po_box(order):
        blocked = sorted({c for c in carriers if c in NO_PO_BOX})
        if blocked:
            problems.append(
                f"PO box, which {', '.join(c.upper() for c in blocked)} cannot deliver to"
            )
    return problems


def _needs_postcode(order: OrderFacts) -> bool:
    # Hong Kong and Macau have no postcodes.
    return order.country.strip().upper() not in {"HK", "MO"}


def _missing_district(order: OrderFacts) -> bool:
    if order.country.strip().upper() != "CN" or order.district is None:
        return False
    if order.district.strip():
        return False
    return not _CN_DISTRICT.search(order.address)
