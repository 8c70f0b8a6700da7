"""Factories for the rules tests: orders and parcels are the sample ones with a few changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from daemon.rules.subject import Subject, sample_order, sample_shipment


@pytest.fixture
def order_subject() -> Callable[..., Subject]:
    """``order_subject(vip=..., **order_fields)``: an order subject with those changes."""

    def make(**changes: Any) -> Subject:
        return Subject(replace(sample_order(), **changes))

    return make


@pytest.fixture
def shipment_subject() -> Callable[..., Subject]:
    """``shipment_subject(order={...}, **parcel_fields)``: a parcel subject with those changes."""

    def make(order: dict[str, Any] | None = None, **changes: Any) -> Subject:
        parcel = replace(sample_shipment(), **changes)
        return Subject(replace(sample_order(), **(order or {})), parcel, (parcel,))

    return make
