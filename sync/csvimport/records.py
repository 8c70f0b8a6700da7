"""What reading an export produces, and what the store keeps about imported files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sync.domain import OrderRecord


@dataclass(frozen=True, slots=True)
class StageRecord:
    """Warehouse stage times of one order, found by its number.

    ``external_id`` is set when the row also carried the order itself (an order export with stage
    columns): then the order of the importing source with that id is meant, not any order with
    that number.
    """

    number: str
    line: int
    reserved_at: datetime | None = None
    picked_at: datetime | None = None
    packed_at: datetime | None = None
    handed_over_at: datetime | None = None
    external_id: str = ""

    def times(self) -> dict[str, datetime]:
        """The stage times this row sets (blank cells never clear a stage)."""
        stages = {
            "reserved_at": self.reserved_at,
            "picked_at": self.picked_at,
            "packed_at": self.packed_at,
            "handed_over_at": self.handed_over_at,
        }
        return {name: at for name, at in stages.items() if at is not None}


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be read: where it is, why, and its cells as the file had them."""

    line: int
    reason: str
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """Consecutive rows of an export, read; saved in one transaction with the file's progress."""

    orders: tuple[OrderRecord, ...]
    stages: tuple[StageRecord, ...]
    problems: tuple[RowProblem, ...]
    last_line: int
    """The last line this batch covers: an interrupted import resumes after it."""
    rows: int
    """Data rows covered (read or quarantined)."""


@dataclass(frozen=True, slots=True)
class ImportFileRow:
    """An export file as the store remembers it (one row per source and content)."""

    id: int
    source: str
    content_hash: str
    file_name: str
    profile: str
    size: int
    rows_total: int
    rows_done: int
    rows_at_start: int
    last_line: int
    orders_changed: int
    quarantined: int
    state: str
    """``importing`` or ``done``."""
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        return self.state == "done"

    def rate(self) -> float | None:
        """Rows a second since this run started; None until a second has passed."""
        seconds = (self.updated_at - self.started_at).total_seconds()
        if seconds < 1:
            return None
        return (self.rows_done - self.rows_at_start) / seconds

    def time_left(self) -> timedelta | None:
        rate = self.rate()
        if not rate:
            return None
        return timedelta(seconds=round(max(self.rows_total - self.rows_done, 0) / rate))


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    id: int
    source: str
    file_name: str
    line: int
    reason: str
    cells: dict[str, str]
    at: datetime
    waiting_for: str = ""
    """The order number a warehouse stage row waits for ('' for a row that cannot be read)."""

    @property
    def waiting(self) -> bool:
        return self.waiting_for != ""

    @property
    def where(self) -> str:
        return f"{self.file_name}:{self.line}"
