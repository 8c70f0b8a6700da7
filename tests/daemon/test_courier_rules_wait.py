"""The default courier rules judge only parcels a tracking service follows: a parcel synced from
the shop before its first poll opens no escalation that the poll would resolve again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.rules.loader import load_rules
from daemon.rules.model import TimeoutRule
from daemon.rules.plan import plan
from daemon.rules.subject import Subject, sample_subject

DEFAULT = Path(__file__).parents[2] / "rules.toml"
NOW = datetime(2025, 3, 27, 12, tzinfo=UTC)


def parcel_subject(rule: TimeoutRule, status: str, tracked_by: str) -> Subject:
    subject = sample_subject(rule.subject)
    assert subject.shipment is not None
    parcel = replace(
        subject.shipment,
        status=status,
        tracked_by=tracked_by,
        shipped_at=NOW - timedelta(days=5),
        last_checkpoint_at=None,
    )
    return replace(subject, shipment=parcel, shipments=(parcel,))


@pytest.mark.parametrize(
    ("rule_id", "status"), [("label_no_pickup", "pending"), ("no_courier_scan", "in_transit")]
)
def test_a_parcel_no_tracker_looked_at_yet_is_not_judged(rule_id: str, status: str) -> None:
    rule = load_rules(DEFAULT).rule(rule_id)
    assert isinstance(rule, TimeoutRule)
    assert plan(rule, parcel_subject(rule, status, ""), NOW) is None


@pytest.mark.parametrize(
    ("rule_id", "status"), [("label_no_pickup", "pending"), ("no_courier_scan", "in_transit")]
)
def test_a_followed_parcel_is_judged_from_its_shipping(rule_id: str, status: str) -> None:
    rule = load_rules(DEFAULT).rule(rule_id)
    assert isinstance(rule, TimeoutRule)
    planned = plan(rule, parcel_subject(rule, status, "17track"), NOW)
    assert planned is not None
