"""Export files: each batch of a file's rows saved with the file's record, and the quarantine.

A file is known by (source, content hash). Its record is written in the same transaction as
every batch of its rows, so ``last_line`` never runs ahead of what is committed and a file whose
state is ``done`` has all its rows in the mirror. Exports are snapshots: a row absent from a
file deletes nothing; a row older than the mirror's copy changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.csvimport.records import (
    ImportBatch,
    ImportFileRow,
    QuarantineRow,
    RowProblem,
    StageRecord,
)
from sync.domain import FulfillmentStatus, OrderRecord, PaymentStatus
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, from_db_required, to_db
from sync.store.events import at_text
from sync.store.page import PageWriter
from sync.store.stages import apply_stage, quarantine_waiting

# How far along an order is, so that an older export with the same times cannot undo a newer
# one (exports rarely carry an update time; their times tie).
_PAYMENT_RANK = {
    PaymentStatus.PENDING: 0, PaymentStatus.AUTHORIZED: 1, PaymentStatus.FAILED: 1,
    PaymentStatus.EXPIRED: 1, PaymentStatus.PARTIALLY_PAID: 2, PaymentStatus.PAID: 3,
    PaymentStatus.PARTIALLY_REFUNDED: 4, PaymentStatus.REFUNDED: 5, PaymentStatus.VOIDED: 5,
}  # fmt: skip
_FULFILLMENT_RANK = {
    FulfillmentStatus.UNFULFILLED: 0, FulfillmentStatus.ON_HOLD: 0, FulfillmentStatus.SCHEDULED: 0,
    FulfillmentStatus.IN_PROGRESS: 1, FulfillmentStatus.PARTIALLY_FULFILLED: 2,
    FulfillmentStatus.FULFILLED: 3, FulfillmentStatus.NOT_REQUIRED: 3,
    FulfillmentStatus.RESTOCKED: 4,
}  # fmt: skip


def _rank(lifecycle: str, fulfillment: str, payment: str) -> tuple[int, int, int]:
    return (
        0 if lifecycle == "open" else 1,
        _FULFILLMENT_RANK.get(FulfillmentStatus(fulfillment), 0),
        _PAYMENT_RANK.get(PaymentStatus(payment), 0),
    )


@dataclass(frozen=True, slots=True)
class ImportFile:
    """What the importer knows about the file it is saving batches of."""

    source: str
    kind: str
    content_hash: str
    file_name: str
    profile: str
    size: int
    rows_total: int
    started_at: datetime
    rows_at_start: int = 0


@dataclass(frozen=True, slots=True)
class BatchSaved:
    changed: list[int]
    """Orders that changed (their rows, or their stage times)."""
    quarantined: int


class ImportStore(StoreBase):
    async def import_file(self, source: str, content_hash: str) -> ImportFileRow | None:
        row = await self.db.fetchone(
            "SELECT * FROM import_files WHERE source = ? AND content_hash = ?",
            (source, content_hash),
        )
        return None if row is None else _file_row(row)

    async def save_import_batch(
        self, file: ImportFile, batch: ImportBatch, *, finished: bool, now: datetime
    ) -> BatchSaved:
        """Save one batch of a file's rows, its problems and the file's progress, together."""
        async with self.db.write() as tx:
            file_id = await _file_id(tx, file, now)
            writer = PageWriter(tx, file.source, now)
            changed = await writer.write(await _not_behind(tx, file.source, batch.orders))
            moved, unmatched, waiting = await _apply_stages(tx, file.source, batch.stages)
            problems = [*batch.problems, *unmatched]
            await quarantine_waiting(tx, file.source, file_id, file.file_name, waiting, now)
            await tx.executemany(
                "INSERT OR IGNORE INTO quarantine (source, file_id, file_name, line, reason, "
                "cells, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        file.source,
                        file_id,
                        file.file_name,
                        p.line,
                        p.reason,
                        json.dumps(p.cells, ensure_ascii=False),
                        at_text(now),
                    )
                    for p in problems
                ],
            )
            changed_ids = sorted({*changed, *moved})
            await tx.execute(
                "UPDATE import_files SET rows_done = rows_done + ?, last_line = ?, "
                "orders_changed = orders_changed + ?, quarantined = quarantined + ?, "
                "state = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                (
                    batch.rows,
                    batch.last_line,
                    len(changed_ids),
                    len(problems) + len(waiting),
                    "done" if finished else "importing",
                    at_text(now),
                    to_db(now) if finished else None,
                    file_id,
                ),
            )
            await _source_progress(tx, file, finished, len(changed_ids), now)
        return BatchSaved(changed_ids, len(problems) + len(waiting))

    async def imports(self, *, limit: int = 10, active: bool = False) -> list[ImportFileRow]:
        """The latest imported files, newest first (only those still importing if ``active``)."""
        where = "WHERE state != 'done'" if active else ""
        rows = await self.db.fetchall(
            f"SELECT * FROM import_files {where} ORDER BY updated_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_file_row(row) for row in rows]

    async def quarantined(self, *, limit: int = 20, source: str = "") -> list[QuarantineRow]:
        """Quarantined rows, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM quarantine WHERE ? IN ('', source) ORDER BY id DESC LIMIT ?",
            (source, limit),
        )
        return [
            QuarantineRow(
                id=r["id"],
                source=r["source"],
                file_name=r["file_name"],
                line=r["line"],
                reason=r["reason"],
                cells=json.loads(r["cells"]),
                at=from_db_required(r["at"]),
                waiting_for=r["waiting_for"],
            )
            for r in rows
        ]

    async def quarantine_counts(self) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT source, count(*) AS n FROM quarantine GROUP BY source ORDER BY source"
        )
        return {row["source"]: int(row["n"]) for row in rows}


async def _file_id(tx: Transaction, file: ImportFile, now: datetime) -> int:
    row = await tx.fetchone(
        "INSERT INTO import_files (source, content_hash, file_name, profile, size, rows_total, "
        "rows_at_start, state, started_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'importing', ?, ?) "
        "ON CONFLICT (source, content_hash) DO UPDATE SET file_name = excluded.file_name, "
        "rows_at_start = excluded.rows_at_start, started_at = excluded.started_at "
        "RETURNING id",
        (
            file.source,
            file.content_hash,
            file.file_name,
            file.profile,
            file.size,
            file.rows_total,
            file.rows_at_start,
            at_text(file.started_at),
            at_text(now),
        ),
    )
    assert row is not None
    return int(row["id"])


async def _not_behind(
    tx: Transaction, source: str, records: Sequence[OrderRecord]
) -> list[OrderRecord]:
    """One record per order (the last in the file), without those an older export would undo."""
    latest = {r.external_id: r for r in records}
    if not latest:
        return []
    rows = await tx.fetchall(
        "SELECT external_id, updated_at, payment_status, fulfillment_status, lifecycle "
        "FROM orders WHERE source = ? AND external_id IN (SELECT value FROM json_each(?))",
        (source, json.dumps(list(latest))),
    )
    for row in rows:
        record = latest[row["external_id"]]
        if to_db(record.updated_at) != row["updated_at"]:
            continue  # newer is written, older is skipped by the page writer
        before = _rank(row["lifecycle"], row["fulfillment_status"], row["payment_status"])
        after = _rank(record.lifecycle, record.fulfillment_status, record.payment_status)
        if after < before:
            del latest[row["external_id"]]
    return list(latest.values())


async def _apply_stages(
    tx: Transaction, source: str, stages: Sequence[StageRecord]
) -> tuple[list[int], list[RowProblem], list[tuple[StageRecord, str]]]:
    """Set stage times on the orders they name. A row naming several orders is a problem; one
    naming no known order waits in quarantine for it."""
    changed: list[int] = []
    problems: list[RowProblem] = []
    waiting: list[tuple[StageRecord, str]] = []
    for stage in stages:
        outcome = await apply_stage(tx, source, stage)
        if outcome.order_id is None:
            if outcome.reason.startswith("no order"):
                waiting.append((stage, outcome.reason))
            else:
                problems.append(RowProblem(stage.line, outcome.reason, {"number": stage.number}))
        elif outcome.changed:
            changed.append(outcome.order_id)
    return changed, problems, waiting


async def _source_progress(
    tx: Transaction, file: ImportFile, finished: bool, changed: int, now: datetime
) -> None:
    """The source's health and run progress, as polled sources report theirs."""
    await tx.execute(
        "INSERT INTO sources (name, kind, last_attempt_at, last_success_at, rows_synced, "
        "run_started_at, run_finished_at, run_rows, run_total) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, "
        "(SELECT rows_done FROM import_files WHERE source = ? AND content_hash = ?), ?) "
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
        "last_attempt_at = excluded.last_attempt_at, "
        "last_success_at = coalesce(excluded.last_success_at, last_success_at), "
        "last_error = CASE WHEN excluded.last_success_at IS NULL THEN last_error ELSE '' END, "
        "rows_synced = rows_synced + excluded.rows_synced, "
        "run_started_at = excluded.run_started_at, run_finished_at = excluded.run_finished_at, "
        "run_rows = excluded.run_rows, run_total = excluded.run_total",
        (
            file.source,
            file.kind,
            at_text(now),
            to_db(now) if finished else None,
            changed,
            at_text(file.started_at),
            to_db(now) if finished else None,
            file.source,
            file.content_hash,
            file.rows_total,
        ),
    )


def _file_row(row: sqlite3.Row) -> ImportFileRow:
    return ImportFileRow(
        id=row["id"],
        source=row["source"],
        content_hash=row["content_hash"],
        file_name=row["file_name"],
        profile=row["profile"],
        size=row["size"],
        rows_total=row["rows_total"],
        rows_done=row["rows_done"],
        rows_at_start=row["rows_at_start"],
        last_line=row["last_line"],
        orders_changed=row["orders_changed"],
        quarantined=row["quarantined"],
        state=row["state"],
        started_at=from_db_required(row["started_at"]),
        updated_at=from_db_required(row["updated_at"]),
        finished_at=from_db(row["finished_at"]),
    )
