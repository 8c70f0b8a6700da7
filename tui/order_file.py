"""Everything the detail screen shows about one order, read in one go, and its merged timeline.

The timeline merges the order's events (status changes, parcels, escalations, agents' actions)
with its parcels' courier checkpoints, in time order. A checkpoint whose provider gave no zone has
no instant: it is listed after the others with the time as the provider wrote it, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sync.domain import CheckpointRow, EscalationRow, EventRow, LineItem, OrderRow, ShipmentRow
from sync.store import GuardFlag, RefreshRequest, Store
from tui.words import fulfillment_words, payment_words, shipment_words, words


@dataclass(frozen=True, slots=True)
class Parcel:
    shipment: ShipmentRow
    checkpoints: tuple[CheckpointRow, ...]
    refresh: RefreshRequest | None = None
    """The last time an agent asked for this parcel's track now, with the daemon's answer."""


@dataclass(frozen=True, slots=True)
class OrderFile:
    order: OrderRow
    items: tuple[LineItem, ...]
    parcels: tuple[Parcel, ...]
    events: tuple[EventRow, ...]
    escalations: tuple[EscalationRow, ...]
    guards: tuple[GuardFlag, ...] = ()
    """The order guards' flags that are up (dismissed ones too)."""

    @property
    def notes(self) -> list[EventRow]:
        return [e for e in self.events if e.kind == "note"]

    def ladder(self, escalation: EscalationRow) -> list[EventRow]:
        """What happened to one escalation: its levels, notices, agents' actions, notes."""
        return [
            e
            for e in self.events
            if e.subject_kind == "escalation" and e.subject_id == escalation.id
        ]

    def tracking_url(self) -> str | None:
        """The latest parcel's tracking page: the shop's link, else 17TRACK's public page."""
        for parcel in reversed(self.parcels):
            shipment = parcel.shipment
            if shipment.tracking_url:
                return shipment.tracking_url
            if shipment.tracking_number:
                return f"https://t.17track.net/en#nums={shipment.tracking_number}"
        return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline."""

    at: datetime | None
    at_raw: str
    """The provider's own text, shown when ``at`` is unknown."""
    who: str
    text: str
    kind: str
    """``event`` or ``checkpoint``; the screen styles them apart."""


async def read_order_file(store: Store, order_id: int) -> OrderFile | None:
    order = await store.order(order_id)
    if order is None:
        return None
    parcels = []
    shipments = await store.shipments(order_id)
    refreshes = await store.latest_refreshes([s.id for s in shipments])
    for shipment in shipments:
        scans = tuple(await store.checkpoints(shipment.id))
        parcels.append(Parcel(shipment, scans, refreshes.get(shipment.id)))
    return OrderFile(
        order=order,
        items=tuple(await store.line_items(order_id)),
        parcels=tuple(parcels),
        events=tuple(await store.events(order_id)),
        escalations=tuple(await store.escalations_for_order(order_id)),
        guards=tuple(await store.guard_flags(order_id)),
    )


def timeline(file: OrderFile) -> list[Entry]:
    entries = [Entry(e.at, "", e.actor, describe(e), "event") for e in file.events]
    for parcel in file.parcels:
        label = parcel.shipment.carrier.upper() or parcel.shipment.tracking_number
        for checkpoint in parcel.checkpoints:
            place = f"{checkpoint.location} · " if checkpoint.location else ""
            entries.append(
                Entry(
                    checkpoint.at,
                    checkpoint.at_raw,
                    label,
                    f"{place}{checkpoint.description}",
                    "checkpoint",
                )
            )
    known = sorted((e for e in entries if e.at is not None), key=_instant)
    return known + [e for e in entries if e.at is None]


def _instant(entry: Entry) -> datetime:
    assert entry.at is not None
    return entry.at


_FIELDS: dict[str, tuple[str, Callable[[str], str]]] = {
    "payment_status": ("payment", payment_words),
    "fulfillment_status": ("fulfilment", fulfillment_words),
    "lifecycle": ("order", words),
    "shipment_status": ("parcel", shipment_words),
}


def describe(event: EventRow) -> str:
    """An event of the timeline as a sentence fragment."""
    if event.kind == "created":
        return event.detail or "order created"
    if event.kind == "status":
        return _status_change(event)
    if event.kind == "shipped":
        return f"shipped {event.to_value}" + (f", {event.detail}" if event.detail else "")
    if event.kind == "tracking":
        return f"tracking number {event.from_value} → {event.to_value}"
    if event.kind == "acknowledged":
        return f"acknowledged escalation {event.field}"
    if event.kind == "note":
        return f"note: {event.detail}"
    if event.kind in _AGENT_VERBS:
        return _agent_action(event)
    if event.kind in _PUSHES:
        return _PUSHES[event.kind].format(e=event)
    if event.kind == "escalation":
        change = f"{event.from_value} → {event.to_value}" if event.from_value else "opened"
        tail = f": {event.detail}" if event.detail else ""
        return f"escalation {event.field} {change}{tail}"
    parts = [words(event.kind), event.field, event.to_value, event.detail]
    return " ".join(part for part in parts if part)


_PUSHES = {
    "push_tracking": "push tracking {e.to_value} to {e.field}: {e.detail}",
    "push_attempt": "push of {e.to_value} to {e.field}: {e.detail}",
    "push_done": "pushed {e.to_value} to {e.field}: {e.detail}",
    "push_failed": "push of {e.to_value} to {e.field} {e.detail}",
}
"""A tracking number pushed back to the shop (:mod:`sync.store.shop_pushes`)."""

_AGENT_VERBS = {
    "taken": "took",
    "assigned": "assigned",
    "snoozed": "snoozed",
    "resolved": "resolved",
    "reopened": "reopened",
    "escalated": "escalated",
}


def _agent_action(event: EventRow) -> str:
    verb = _AGENT_VERBS[event.kind]
    if event.kind == "assigned":
        return f"assigned escalation {event.field} to {event.to_value}"
    if event.kind == "escalated":
        return f"escalated {event.field} {event.from_value} → {event.to_value}"
    if event.kind == "snoozed":
        return f"snoozed escalation {event.field}"
    tail = f": {event.detail}" if event.detail else ""
    return f"{verb} escalation {event.field}{tail}"


def _status_change(event: EventRow) -> str:
    name, say = _FIELDS.get(event.field, (words(event.field), words))
    if not event.from_value:
        return f"{name} {say(event.to_value)}"
    return f"{name} {say(event.from_value)} → {say(event.to_value)}"
