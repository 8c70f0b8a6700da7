"""Appending to the timeline (the ``events`` table), shared by every writer in the store."""

from __future__ import annotations

from datetime import datetime

from sync.store.db import Transaction, to_db


async def append_event(
    tx: Transaction,
    *,
    at: datetime,
    actor: str,
    order_id: int | None,
    subject_kind: str,
    subject_id: int | None,
    kind: str,
    field: str = "",
    from_value: str = "",
    to_value: str = "",
    detail: str = "",
) -> None:
    await tx.execute(
        EVENT_INSERT,
        event_values(
            at=at,
            actor=actor,
            order_id=order_id,
            subject_kind=subject_kind,
            subject_id=subject_id,
            kind=kind,
            field=field,
            from_value=from_value,
            to_value=to_value,
            detail=detail,
        ),
    )


def at_text(at: datetime) -> str:
    text = to_db(at)
    assert text is not None
    return text


EVENT_INSERT = (
    "INSERT INTO events (at, actor, order_id, subject_kind, subject_id, kind, field, "
    "from_value, to_value, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def event_values(
    *,
    at: datetime,
    actor: str,
    order_id: int | None,
    subject_kind: str,
    subject_id: int | None,
    kind: str,
    field: str = "",
    from_value: str = "",
    to_value: str = "",
    detail: str = "",
) -> tuple[object, ...]:
    """One timeline row, for writers that append many at once with ``executemany``."""
    return (
        at_text(at),
        actor,
        order_id,
        subject_kind,
        subject_id,
        kind,
        field,
        from_value,
        to_value,
        detail,
    )
