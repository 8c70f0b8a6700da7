"""Order sources' runs and breakers: progress for ``orderwatchd status`` and the console.

A *run* is one pass of a source from where it stood to caught up. Its start, rows, total (when the
source tells) and end are kept on the ``sources`` row, so status can show rows done, rate and time
left; a run that ends as a full reconciliation also records ``reconciled_at``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sync.domain import SourceProgress
from sync.store.base import StoreBase
from sync.store.db import from_db, to_db

_COLUMNS = (
    "name, kind, breaker_state, breaker_changed_at, run_started_at, run_finished_at, run_rows, "
    "run_total, run_full, reconciled_at"
)


def _progress(row: sqlite3.Row) -> SourceProgress:
    return SourceProgress(
        name=row["name"],
        kind=row["kind"],
        breaker_state=row["breaker_state"],
        breaker_changed_at=from_db(row["breaker_changed_at"]),
        run_started_at=from_db(row["run_started_at"]),
        run_finished_at=from_db(row["run_finished_at"]),
        run_rows=row["run_rows"],
        run_total=row["run_total"],
        run_full=bool(row["run_full"]),
        reconciled_at=from_db(row["reconciled_at"]),
    )


@dataclass(frozen=True, slots=True)
class RunPage:
    """A page of a run: ``rows`` orders read, the source's ``total`` when it tells, and whether
    the source is now caught up (``finished``)."""

    rows: int
    total: int | None
    finished: bool


NOTE_PAGE = (
    "UPDATE sources SET run_rows = run_rows + ?, run_total = coalesce(?, run_total), "
    "run_finished_at = CASE WHEN ? THEN ? ELSE run_finished_at END, "
    "reconciled_at = CASE WHEN ? AND run_full THEN run_started_at "
    "ELSE reconciled_at END WHERE name = ?"
)


def note_page_values(name: str, page: RunPage, now: datetime) -> tuple[object, ...]:
    return (page.rows, page.total, page.finished, to_db(now), page.finished, name)


class FeedStore(StoreBase):
    async def source_progress(self, name: str) -> SourceProgress | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM sources WHERE name = ?", (name,))
        return None if row is None else _progress(row)

    async def sources_progress(self) -> list[SourceProgress]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM sources ORDER BY name")
        return [_progress(row) for row in rows]

    async def start_run(
        self, name: str, kind: str, now: datetime, *, full: bool, cursor: str | None = None
    ) -> None:
        """A source begins a run (``full``: a reconciliation listing everything).

        ``cursor``, when given, is where the run starts (a full pass goes back to the start),
        saved in the same transaction so the run and its cursor cannot disagree.
        """
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO sources (name, kind, cursor, run_started_at, run_full) "
                "VALUES (?, ?, coalesce(?, ''), ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET run_started_at = excluded.run_started_at, "
                "run_finished_at = NULL, run_rows = 0, run_total = NULL, "
                "run_full = excluded.run_full, cursor = coalesce(?, cursor)",
                (name, kind, cursor, to_db(now), int(full), cursor),
            )

    async def record_breaker(self, name: str, kind: str, state: str, now: datetime) -> bool:
        """Remember a source's breaker state; True when it changed."""
        async with self.db.write() as tx:
            before = await tx.fetchone("SELECT breaker_state FROM sources WHERE name = ?", (name,))
            if before is not None and before["breaker_state"] == state:
                return False
            await tx.execute(
                "INSERT INTO sources (name, kind, breaker_state, breaker_changed_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "breaker_state = excluded.breaker_state, "
                "breaker_changed_at = excluded.breaker_changed_at",
                (name, kind, state, to_db(now)),
            )
        return True
