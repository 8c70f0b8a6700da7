"""Shared fixtures. Every test runs away from the developer's own config and environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)
from sync.store import Store
from sync.store.feeds import RunPage

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("ORDERWATCH"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "orderwatch.db")
    yield opened
    await opened.close()


OrderFactory = Callable[..., OrderRecord]


@pytest.fixture
def make_order() -> OrderFactory:
    """Build an OrderRecord: paid and unfulfilled by default; override any field."""

    def build(n: int = 1, **overrides: Any) -> OrderRecord:
        created = overrides.pop("created_at", T0 + timedelta(minutes=n))
        shipped = overrides.pop("tracking", None)
        fields: dict[str, Any] = {
            "source": "shop",
            "external_id": f"gid://shopify/Order/{n}",
            "number": f"#{1000 + n}",
            "updated_at": created,
            "created_at": created,
            "payment_status": PaymentStatus.PAID,
            "fulfillment_status": FulfillmentStatus.UNFULFILLED,
            "lifecycle": Lifecycle.OPEN,
            "customer_name": "王芳",
            "phone": "+86 138 0013 5678",
            "email": f"buyer{n}@example.com",
            "paid_at": created,
            "total": "199.00",
            "currency": "CNY",
            "line_items": (LineItem(external_id=f"li{n}", title="Tea set", quantity=1),),
            "raw": {"n": n, "rev": overrides.pop("rev", 0)},
        }
        if shipped:
            fields["shipments"] = (
                ShipmentRecord(
                    external_id=f"f{n}",
                    tracking_number=shipped,
                    carrier="sf",
                    shipped_at=created + timedelta(hours=2),
                ),
            )
            fields["fulfillment_status"] = FulfillmentStatus.FULFILLED
        fields.update(overrides)
        return OrderRecord(**fields)

    return build


async def note_page(
    store: Store,
    name: str,
    kind: str,
    rows: int,
    total: int | None,
    now: datetime,
    *,
    finished: bool,
) -> None:
    """A sync of source ``name`` saving a page of ``rows`` orders (none of them here), as its
    progress counts it."""
    await store.save_order_page(name, kind, [], "", now, run=RunPage(rows, total, finished))


async def daemon_started(started: Any, task: Any, timeout: float = 60.0) -> Any:
    """The daemon of a test's ``run_daemon``, failing the test if it cannot start in time."""
    from daemon.commands import wait_started
    from daemon.errors import DaemonError

    try:
        return await wait_started(started, task, timeout)
    except DaemonError as error:
        raise AssertionError(str(error)) from None
