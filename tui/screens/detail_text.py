"""The order detail's sections as styled text: summary, parcels, escalations and timeline.

Values from the shop (names, addresses, courier texts) go in as literal text, never as markup.
Every time is shown in the agent's zone, which the timeline's heading names.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from textual.content import Content

from sync.domain import EscalationRow
from sync.store import RefreshState
from tui import words
from tui.order_file import OrderFile, Parcel, describe, timeline
from tui.widgets.order_columns import MARKERS, TROUBLE, fit

Part = str | tuple[str, str]

_LABEL = "$text-muted"
_HEADING = "bold $accent"
_STATE_STYLE = {"firing": "bold $error", "warning": "bold $warning", "acknowledged": "$success"}


def _row(label: str, *parts: Part) -> list[Part]:
    return [(f" {label:<9}", _LABEL), *parts, "\n"]


def summary(file: OrderFile, now: datetime, zone: tzinfo) -> Content:
    order = file.order
    contact = " · ".join(p for p in (order.phone, order.email) if p)
    place = ", ".join(p for p in (order.address, order.city, order.province, order.country) if p)
    status = " · ".join(
        (
            words.payment_words(order.payment_status),
            words.fulfillment_words(order.fulfillment_status),
            words.words(order.lifecycle),
        )
    )
    placed = f"{words.local_time(order.created_at, zone)} ({words.age(order.created_at, now)} ago)"
    promised = words.local_time(order.promised_at, zone) if order.promised_at else "—"
    items = "  ".join(f"{i.quantity}× {i.title}" for i in file.items) or "—"
    total = f"{order.total} {order.currency}".strip()
    parts: list[Part] = [
        *_row("Customer", (order.customer_name or "—", "bold"), f"  {contact}"),
        *_row("Address", place or "—"),
        *_row("Status", status),
        *_row("Placed", placed, ("   Promised ", _LABEL), promised),
        *_row(
            "Total",
            total,
            (f"   {order.source}", _LABEL),
            (f" · {order.channel}" if order.channel else "", _LABEL),
        ),
        *_row("Items", items),
    ]
    return Content.assemble(*parts).rstrip()


def parcels(file: OrderFile, zone: tzinfo) -> Content:
    parts: list[Part] = [("Parcels", _HEADING), "\n"]
    if not file.parcels:
        parts.append((" nothing shipped yet", _LABEL))
    for parcel in file.parcels:
        ship = parcel.shipment
        status = words.shipment_words(ship.status)
        raw = f" ({ship.status_raw})" if ship.status_raw and ship.status_raw != ship.status else ""
        last = ship.last_checkpoint_at or ship.shipped_at
        when = f"  last news {words.local_time(last, zone)}" if last else ""
        style = "$error" if ship.status in TROUBLE else "bold"
        carrier = (ship.carrier or ship.carrier_raw or "?").upper()
        parts += [
            f" {carrier:<5} {ship.tracking_number}  ",
            (status, style),
            raw,
            (when, _LABEL),
            "\n",
        ]
        parts += _following(parcel, zone)
    return Content.assemble(*parts).rstrip()


def _following(parcel: Parcel, zone: tzinfo) -> list[Part]:
    """Under a parcel: that nobody follows it any more, and its last refresh on request."""
    parts: list[Part] = []
    if parcel.shipment.unfollowable:
        parts += ["       ", (f"not followed: {parcel.shipment.unfollowable}", "$error"), "\n"]
    asked = parcel.refresh
    if asked is None:
        return parts
    if asked.state == RefreshState.WAITING:
        return [*parts, "       ", ("refreshing…", "$warning"), "\n"]
    when = _short_time(asked.answered_at or asked.requested_at, zone)
    style = _LABEL if asked.state == RefreshState.DONE else "$error"
    word = "refreshed" if asked.state == RefreshState.DONE else f"refresh {asked.state}"
    return [*parts, "       ", (f"{word} {when}: {asked.outcome}", style), "\n"]


def hang(head: Content, body: Content, width: int) -> list[Content]:
    """``body`` wrapped beside ``head``, its further lines indented under the first."""
    indent = head.cell_length
    lines = body.wrap(max(12, width - indent))
    pad = Content(" " * indent)
    return [Content.assemble(head if n == 0 else pad, line) for n, line in enumerate(lines)]


def _block(heading: str, lines: list[Content], empty: str) -> Content:
    body = lines or [Content.styled(f" {empty}", _LABEL)]
    return Content("\n").join([Content.styled(heading, _HEADING), *body])


def escalations(file: OrderFile, now: datetime, zone: tzinfo, width: int) -> Content:
    lines: list[Content] = []
    for esc in file.escalations:
        lines += _escalation_lines(file, esc, now, zone, width)
    return _block("Escalations", lines, "none")


def _short_time(instant: datetime, zone: tzinfo) -> str:
    return words.local_time(instant, zone)[5:]


def _escalation_lines(
    file: OrderFile, esc: EscalationRow, now: datetime, zone: tzinfo, width: int
) -> list[Content]:
    style = _STATE_STYLE.get(esc.state, _LABEL)
    marker = MARKERS.get(esc.state, " ")
    state = words.escalation_state_words(esc.state)
    if esc.state == "resolved":
        tail = f"resolved {esc.resolution}".strip()
    elif esc.state == "acknowledged":
        when = f" at {_short_time(esc.acked_at, zone)}" if esc.acked_at else ""
        tail = f"acked by {esc.acked_by}{when}"
    else:
        left = words.time_left(esc.deadline_at, now)
        tail = f"due {_short_time(esc.deadline_at, zone)} ({left})"
    extra = [f"level {esc.level}"]
    if esc.assignee:
        extra.append(f"owner {esc.assignee}")
    if esc.snoozed(now) and esc.snoozed_until is not None:
        extra.append(f"snoozed until {_short_time(esc.snoozed_until, zone)}")
    head = Content.styled(f" {marker} {state:<9}", style)
    body = Content.assemble(
        (esc.rule_id, "bold"),
        f"  {esc.summary}  ",
        (tail, _LABEL),
        (f" · {' · '.join(extra)}", _LABEL),
    )
    lines = hang(head, body, width)
    if esc.delivery_error:
        lines += hang(
            Content("    "), Content.styled(f"not delivered: {esc.delivery_error}", "$error"), width
        )
    for event in file.ladder(esc):
        step = Content.assemble(
            (f"    {_short_time(event.at, zone)} ", _LABEL), (fit(event.actor, 8) + " ", "")
        )
        lines += hang(step, Content(describe(event)), width)
    return lines


def notes(file: OrderFile, zone: tzinfo, width: int) -> Content:
    lines: list[Content] = []
    for note in file.notes:
        head = Content.assemble(
            (f" {_short_time(note.at, zone)} ", _LABEL), (fit(note.actor, 8) + " ", "bold")
        )
        lines += hang(head, Content(note.detail), width)
    return _block("Notes · c adds one", lines, "none yet")


def reply(text: str | None, language: str, width: int) -> Content:
    heading = f"Reply ({language}) · y copies · L other language"
    if not text:
        return _block(heading, [], "no reply fits this order's situation")
    lines = [
        line
        for paragraph in text.splitlines()
        for line in Content(paragraph).wrap(max(12, width - 1))
    ]
    return _block(heading, [Content.assemble(" ", line) for line in lines], "")


def timeline_text(file: OrderFile, zone: tzinfo, now: datetime, width: int) -> Content:
    heading = f"Timeline · times in {words.zone_label(zone, now)}"
    lines: list[Content] = []
    for entry in timeline(file):
        style = "$secondary" if entry.kind == "checkpoint" else ""
        who = (fit(entry.who, 8) + " ", style)
        if entry.at is None:
            # The provider gave no zone: show its own words for the time, never a guess.
            head = Content.assemble((f" {fit(entry.at_raw, 16)}  ", "$warning"), who)
            body = Content.assemble(entry.text, (" (as given, no zone)", "$warning"))
        else:
            head = Content.assemble((f" {words.local_time(entry.at, zone)}  ", _LABEL), who)
            body = Content(entry.text)
        lines += hang(head, body, width)
    return _block(heading, lines, "nothing yet")
