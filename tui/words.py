"""How the console says things: statuses in words, ages, countdowns and local times.

Pure functions of their arguments (the current instant is always passed in), so they are tested
without a terminal and snapshots do not depend on the wall clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

_PAYMENT = {
    "pending": "pending",
    "authorized": "authorized",
    "partially_paid": "part paid",
    "paid": "paid",
    "partially_refunded": "part refunded",
    "refunded": "refunded",
    "voided": "voided",
    "failed": "payment failed",
    "expired": "expired",
}

_FULFILLMENT = {
    "unfulfilled": "unfulfilled",
    "in_progress": "in progress",
    "on_hold": "on hold",
    "scheduled": "scheduled",
    "partially_fulfilled": "part shipped",
    "fulfilled": "fulfilled",
    "not_required": "no shipping",
    "restocked": "restocked",
}

_SHIPMENT = {
    "pending": "label made",
    "available_for_pickup": "at pickup point",
    "info_received": "info received",
}

_ESCALATION_STATE = {"acknowledged": "acked"}


def words(value: str) -> str:
    """A stored status as plain words (``out_for_delivery`` → ``out for delivery``)."""
    return value.replace("_", " ")


def payment_words(status: str) -> str:
    return _PAYMENT.get(status, words(status))


def fulfillment_words(status: str) -> str:
    return _FULFILLMENT.get(status, words(status))


def shipment_words(status: str) -> str:
    return _SHIPMENT.get(status, words(status))


def escalation_state_words(state: str) -> str:
    return _ESCALATION_STATE.get(state, state)


def order_status(payment: str, fulfillment: str, lifecycle: str) -> str:
    """The three status axes in one short phrase: ``paid·unfulfilled``, ``cancelled·refunded``.

    An open order is described by payment and fulfilment; a closed, cancelled or deleted one leads
    with that, since it is what the agent needs to know first.
    """
    if lifecycle == "open":
        return f"{payment_words(payment)}·{fulfillment_words(fulfillment)}"
    return f"{words(lifecycle)}·{payment_words(payment)}"


def parcel(carrier: str, status: str, count: int = 1) -> str:
    """``SF in transit``; ``—`` when nothing has shipped; ``+1`` for each further parcel."""
    if not status:
        return "—"
    text = f"{carrier.upper() or '?'} {shipment_words(status)}"
    return f"{text} +{count - 1}" if count > 1 else text


def age(since: datetime, now: datetime) -> str:
    """How long ago, at a glance: ``now``, ``45m``, ``5h``, ``3d``."""
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def minutes_text(delta: timedelta) -> str:
    """A duration at minute resolution: ``7m``, ``1h05m``, ``2d03h``."""
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{rest:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def time_left(deadline: datetime, now: datetime) -> str:
    """Time to a deadline, or how far past it: ``1h05m`` left, ``-12m`` overdue."""
    delta = deadline - now
    text = minutes_text(delta)
    return text if delta.total_seconds() >= 0 else f"-{text}"


def overdue(deadline: datetime, now: datetime) -> bool:
    return deadline <= now


def local_time(instant: datetime, zone: tzinfo) -> str:
    """An instant in the agent's zone, to the minute: ``2026-11-20 16:00``."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def zone_label(zone: tzinfo, at: datetime) -> str:
    """The zone's name with its offset at ``at``: ``Asia/Shanghai (UTC+08:00)``."""
    name = str(getattr(zone, "key", "") or zone.tzname(at) or "local")
    offset = at.astimezone(zone).strftime("%z")
    pretty = f"UTC{offset[:3]}:{offset[3:]}" if offset.strip("+-0") else "UTC"
    return name if name == pretty else f"{name} ({pretty})"
