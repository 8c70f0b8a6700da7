"""Warehouse stage times on orders, and the stage rows that wait in quarantine for their order.

A warehouse or ERP export names orders by number. A stage row whose order is not in the mirror
yet (the warehouse export came before the shop's) is quarantined with its times kept as JSON and
``waiting_for`` set to the bare number; :func:`release_waiting` applies such rows, in the same
transaction, when orders of that number are first written, and clears them from quarantine.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.csvimport.records import StageRecord
from sync.store.db import Transaction, from_db, to_db
from sync.store.events import EVENT_INSERT, event_values

STAGES = ("reserved_at", "picked_at", "packed_at", "handed_over_at")
STAGE_WORDS = {
    "reserved_at": "stock reserved",
    "picked_at": "picked",
    "packed_at": "packed",
    "handed_over_at": "handed to the courier",
}


def bare_number(number: str) -> str:
    """An order number as stage rows are matched: without the leading ``#``."""
    return number.strip().lstrip("#")


def stage_json(stage: StageRecord) -> str:
    times = {name: to_db(at) for name, at in stage.times().items()}
    return json.dumps({"number": stage.number, "external_id": stage.external_id, **times})


def stage_from_json(text: str, line: int) -> StageRecord:
    data = json.loads(text)
    times = {name: from_db(data.get(name)) for name in STAGES}
    return StageRecord(
        number=str(data["number"]),
        line=line,
        external_id=str(data.get("external_id") or ""),
        **times,
    )


def stage_cells(stage: StageRecord) -> dict[str, str]:
    """What the quarantine shows of a waiting stage row: the number and its times."""
    cells = {"number": stage.number}
    cells.update({STAGE_WORDS[name]: to_db(at) or "" for name, at in stage.times().items()})
    return cells


@dataclass(frozen=True, slots=True)
class StageOutcome:
    order_id: int | None
    """The order the row's times were applied to (None when no single order matched)."""
    changed: bool
    """Whether any of the order's stage times moved."""
    reason: str = ""
    """Why no single order matched."""


async def stage_targets(tx: Transaction, source: str, stage: StageRecord) -> list[sqlite3.Row]:
    """The orders a stage row names: the source's own order when it carries an id, else every
    order with that number (of any source)."""
    columns = f"id, {', '.join(STAGES)}"
    if stage.external_id:
        return await tx.fetchall(
            f"SELECT {columns} FROM orders WHERE source = ? AND external_id = ?",
            (source, stage.external_id),
        )
    bare = bare_number(stage.number)
    return await tx.fetchall(
        f"SELECT {columns} FROM orders WHERE number IN (?, ?) LIMIT 2", (bare, "#" + bare)
    )


async def apply_stage(
    tx: Transaction, source: str, stage: StageRecord, *, actor: str = "", note: str = ""
) -> StageOutcome:
    """Set a stage row's times on the one order it names, with a timeline line per stage.

    ``actor`` is who the timeline credits (the source by default); ``note`` is added to each
    line's detail (where a row that waited came from).
    """
    rows = await stage_targets(tx, source, stage)
    if len(rows) != 1:
        reason = (
            f"no order numbered {stage.number} (import the orders first)"
            if not rows
            else f"{len(rows)} orders are numbered {stage.number}"
        )
        return StageOutcome(None, False, reason)
    row = rows[0]
    order_id = int(row["id"])
    times = stage.times()
    updates = {name: text for name, at in times.items() if (text := to_db(at)) != row[name]}
    if not updates:
        return StageOutcome(order_id, False)
    await tx.execute(
        f"UPDATE orders SET {', '.join(f'{k} = ?' for k in updates)}, "
        "version = version + 1, change_seq = ? WHERE id = ?",
        (*updates.values(), tx.seq, order_id),
    )
    suffix = f" ({note})" if note else ""
    await tx.executemany(
        EVENT_INSERT,
        [
            event_values(
                at=times[name],
                actor=actor or source,
                order_id=order_id,
                subject_kind="order",
                subject_id=order_id,
                kind="stage",
                field=name,
                from_value=row[name] or "",
                to_value=text or "",
                detail=STAGE_WORDS[name] + suffix,
            )
            for name, text in updates.items()
        ],
    )
    return StageOutcome(order_id, True)


async def quarantine_waiting(
    tx: Transaction,
    source: str,
    file_id: int,
    file_name: str,
    stages: Sequence[tuple[StageRecord, str]],
    now: datetime,
) -> None:
    """Quarantine stage rows of no known order (with why), keeping their times to apply later."""
    await tx.executemany(
        "INSERT INTO quarantine (source, file_id, file_name, line, reason, cells, at, "
        "waiting_for, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (file_id, line) DO NOTHING",
        [
            (
                source,
                file_id,
                file_name,
                stage.line,
                reason,
                json.dumps(stage_cells(stage), ensure_ascii=False),
                to_db(now),
                bare_number(stage.number),
                stage_json(stage),
            )
            for stage, reason in stages
        ],
    )


async def release_waiting(tx: Transaction, numbers: Sequence[str], now: datetime) -> list[int]:
    """Apply the quarantined stage rows waiting for orders numbered ``numbers`` (just written)
    and clear those that found their order; returns the orders whose stage times moved."""
    wanted = sorted({bare_number(n) for n in numbers})
    if not wanted:
        return []
    rows = await tx.fetchall(
        "SELECT id, source, file_name, line, stage FROM quarantine "
        "WHERE waiting_for != '' AND waiting_for IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(wanted),),
    )
    changed: list[int] = []
    for row in rows:
        stage = stage_from_json(row["stage"], int(row["line"]))
        where = f"{row['file_name']}:{row['line']}"
        outcome = await apply_stage(tx, row["source"], stage, note=f"waited in quarantine: {where}")
        if outcome.order_id is None:
            continue
        await tx.execute("DELETE FROM quarantine WHERE id = ?", (row["id"],))
        await tx.execute(
            EVENT_INSERT,
            event_values(
                at=now,
                actor=row["source"],
                order_id=outcome.order_id,
                subject_kind="order",
                subject_id=outcome.order_id,
                kind="quarantine",
                field="released",
                from_value=where,
                detail=f"warehouse stage row {where} applied once the order arrived",
            ),
        )
        if outcome.changed:
            changed.append(outcome.order_id)
    return changed
