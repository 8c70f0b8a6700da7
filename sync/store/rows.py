"""Turning ``sqlite3.Row`` results into the typed rows of :mod:`sync.domain`."""

from __future__ import annotations

import json
import sqlite3

from sync.domain import (
    CheckpointRow,
    EscalationRow,
    EventRow,
    OrderRow,
    ShipmentRow,
    SourceRow,
    TimerRow,
)
from sync.store.db import from_db, from_db_required

ORDER_COLUMNS = (
    "id, source, external_id, number, channel, payment_status, fulfillment_status, lifecycle, "
    "total, currency, customer_name, phone, email, address, city, province, country, tags, "
    "created_at, updated_at, paid_at, promised_at, version, change_seq, payment_raw, "
    "fulfillment_raw, lifecycle_raw, reserved_at, picked_at, packed_at, handed_over_at"
)


def order_row(row: sqlite3.Row) -> OrderRow:
    # By position, in ORDER_COLUMNS' order: a full re-plan reads a million of these, and a
    # lookup by name costs five times one by index.
    return OrderRow(
        id=row[0],
        source=row[1],
        external_id=row[2],
        number=row[3],
        channel=row[4],
        payment_status=row[5],
        fulfillment_status=row[6],
        lifecycle=row[7],
        total=row[8],
        currency=row[9],
        customer_name=row[10],
        phone=row[11],
        email=row[12],
        address=row[13],
        city=row[14],
        province=row[15],
        country=row[16],
        tags=_tags(row[17]),
        created_at=from_db_required(row[18]),
        updated_at=from_db_required(row[19]),
        paid_at=from_db(row[20]),
        promised_at=from_db(row[21]),
        version=row[22],
        change_seq=row[23],
        payment_raw=row[24],
        fulfillment_raw=row[25],
        lifecycle_raw=row[26],
        reserved_at=from_db(row[27]),
        picked_at=from_db(row[28]),
        packed_at=from_db(row[29]),
        handed_over_at=from_db(row[30]),
    )


_TAGS: dict[str, tuple[str, ...]] = {}


def _tags(text: str) -> tuple[str, ...]:
    """The tags of a row: most orders share a few tag lists, so each is parsed once."""
    found = _TAGS.get(text)
    if found is None:
        found = tuple(json.loads(text))
        if len(_TAGS) < 10_000:
            _TAGS[text] = found
    return found


SHIPMENT_COLUMNS = (
    "id, order_id, external_id, carrier, carrier_raw, tracking_number, tracking_url, status, "
    "status_raw, substatus_raw, shipped_at, last_checkpoint_at, delivered_at, tracked_by, "
    "version, change_seq, eta, signed_by, unfollowable"
)


def shipment_row(row: sqlite3.Row) -> ShipmentRow:
    return ShipmentRow(
        id=row["id"],
        order_id=row["order_id"],
        external_id=row["external_id"],
        carrier=row["carrier"],
        carrier_raw=row["carrier_raw"],
        tracking_number=row["tracking_number"],
        tracking_url=row["tracking_url"],
        status=row["status"],
        status_raw=row["status_raw"],
        substatus_raw=row["substatus_raw"],
        shipped_at=from_db(row["shipped_at"]),
        last_checkpoint_at=from_db(row["last_checkpoint_at"]),
        delivered_at=from_db(row["delivered_at"]),
        tracked_by=row["tracked_by"],
        version=row["version"],
        change_seq=row["change_seq"],
        eta=from_db(row["eta"]),
        signed_by=row["signed_by"],
        unfollowable=row["unfollowable"],
    )


def checkpoint_row(row: sqlite3.Row) -> CheckpointRow:
    return CheckpointRow(
        id=row["id"],
        shipment_id=row["shipment_id"],
        at=from_db(row["at"]),
        at_raw=row["at_raw"],
        zoneless=bool(row["zoneless"]),
        description=row["description"],
        location=row["location"],
        status=row["status"],
        status_raw=row["status_raw"],
    )


def event_row(row: sqlite3.Row) -> EventRow:
    return EventRow(
        id=row["id"],
        at=from_db_required(row["at"]),
        actor=row["actor"],
        order_id=row["order_id"],
        subject_kind=row["subject_kind"],
        subject_id=row["subject_id"],
        kind=row["kind"],
        field=row["field"],
        from_value=row["from_value"],
        to_value=row["to_value"],
        detail=row["detail"],
    )


ESCALATION_COLUMNS = (
    "e.id, e.rule_id, e.subject_kind, e.subject_id, e.order_id, "
    "coalesce(o.number, '') AS order_number, coalesce(e.source, '') AS source, "
    "e.severity, e.summary, e.state, e.level, e.opened_at, e.deadline_at, e.acked_at, e.acked_by, "
    "e.assignee, e.snoozed_until, e.resolved_at, e.resolution, e.version, e.change_seq, "
    "e.resolved_by, e.policy, e.policy_version, e.ladder_round, e.repeat_no, "
    "e.level_started_at, e.next_step_at, e.delivery_error, e.first_acked_at, e.first_acked_by, "
    "e.first_ack_level"
)


def escalation_row(row: sqlite3.Row) -> EscalationRow:
    return EscalationRow(
        id=row["id"],
        rule_id=row["rule_id"],
        subject_kind=row["subject_kind"],
        subject_id=row["subject_id"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        severity=row["severity"],
        summary=row["summary"],
        state=row["state"],
        level=row["level"],
        opened_at=from_db_required(row["opened_at"]),
        deadline_at=from_db_required(row["deadline_at"]),
        acked_at=from_db(row["acked_at"]),
        acked_by=row["acked_by"],
        assignee=row["assignee"],
        snoozed_until=from_db(row["snoozed_until"]),
        resolved_at=from_db(row["resolved_at"]),
        resolution=row["resolution"],
        version=row["version"],
        change_seq=row["change_seq"],
        resolved_by=row["resolved_by"],
        policy=row["policy"] or "",
        policy_version=row["policy_version"],
        ladder_round=row["ladder_round"],
        repeat_no=row["repeat_no"],
        level_started_at=from_db(row["level_started_at"]),
        next_step_at=from_db(row["next_step_at"]),
        delivery_error=row["delivery_error"],
        first_acked_at=from_db(row["first_acked_at"]),
        first_acked_by=row["first_acked_by"],
        first_ack_level=row["first_ack_level"],
        source=row["source"],
    )


def source_row(row: sqlite3.Row) -> SourceRow:
    return SourceRow(
        name=row["name"],
        kind=row["kind"],
        cursor=row["cursor"],
        last_attempt_at=from_db(row["last_attempt_at"]),
        last_success_at=from_db(row["last_success_at"]),
        last_error=row["last_error"],
        last_error_at=from_db(row["last_error_at"]),
        rows_synced=row["rows_synced"],
    )


TIMER_COLUMNS = (
    "id, rule_id, subject_kind, subject_id, order_id, started_at, deadline_at, warn_at, next_at, "
    "state, rules_version, escalation_id, timeout_seconds, clock, override, modifiers, "
    "paused_seconds, paused_since, muted_by, last_true_at, reason"
)


def timer_row(row: sqlite3.Row) -> TimerRow:
    """A timer read as ``SELECT {TIMER_COLUMNS}``, by position (a re-plan reads many)."""
    return TimerRow(
        id=row[0],
        rule_id=row[1],
        subject_kind=row[2],
        subject_id=row[3],
        order_id=row[4],
        started_at=from_db_required(row[5]),
        deadline_at=from_db_required(row[6]),
        warn_at=from_db(row[7]),
        next_at=from_db(row[8]),
        state=row[9],
        rules_version=row[10],
        escalation_id=row[11],
        timeout_seconds=row[12],
        clock=row[13],
        override=row[14],
        modifiers=row[15],
        paused_seconds=row[16],
        paused_since=from_db(row[17]),
        muted_by=row[18],
        last_true_at=from_db(row[19]),
        reason=row[20],
    )
