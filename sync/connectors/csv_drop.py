"""CSV/XLSX export drops (kind ``csv``): files a back office exported, imported once each.

Settings: ``folder`` (the watched folder, for the daemon), ``profile`` (a profile name, or
``auto`` to pick the one that fits each file's header best), and per-source overrides the
daemon's config turns into a profile of its own (``columns``, ``statuses``, ``time_zone``).

An import reads the file's bytes once, hashes them, and skips a content this source already
imported. The rows go to the store in batches; each batch is saved with the file's record (hash,
last line, counts) in one transaction, the last one marking the file done, so an interrupted
import resumes after its last committed line and never imports a row twice. Bad rows are
quarantined with their file and line. Nothing is ever deleted: an export is a snapshot, and an
order missing from a smaller export is simply left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.clock import Clock
from sync.csvimport.profiles import AUTO, SHIPPED, Profile, detect
from sync.csvimport.records import ImportBatch, ImportFileRow
from sync.csvimport.rows import BATCH_ROWS, RowReader
from sync.csvimport.table import ExportTable, read_table
from sync.domain import OrderRecord
from sync.errors import PayloadError, SourceError
from sync.store import ImportFile, Store

KIND = "csv"
SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx"})


@dataclass(frozen=True, slots=True)
class Export:
    """One export file, read and matched to its profile, ready to import."""

    name: str
    content_hash: str
    size: int
    table: ExportTable
    reader: RowReader

    @property
    def profile(self) -> Profile:
        return self.reader.profile

    def batches(self, after_line: int = 0, size: int = BATCH_ROWS) -> Iterator[ImportBatch]:
        return self.reader.batches(self.table, after_line=after_line, size=size)

    def orders(self) -> list[OrderRecord]:
        """Every order the file holds (for ``orderwatchd parse csv``)."""
        return [order for batch in self.batches() for order in batch.orders]


@dataclass(frozen=True, slots=True)
class Progress:
    file: str
    rows_done: int
    rows_total: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    file: str
    source: str
    profile: str
    rows: int
    """Data rows read in this run (0 when the file had been imported already)."""
    changed: tuple[int, ...]
    quarantined: int
    already: ImportFileRow | None = None
    """The earlier import of the same content, when this one was skipped."""


def profiles_by_name(extra: Sequence[Profile] = ()) -> dict[str, Profile]:
    """The shipped profiles and the shop's own (which may replace a shipped one by name)."""
    return {p.name: p for p in (*SHIPPED, *extra)}


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None


def open_export(
    data: bytes,
    name: str,
    source: str,
    profile: str = AUTO,
    profiles: Mapping[str, Profile] | None = None,
) -> Export:
    """Read an export's bytes and match them to ``profile`` (or the best fit for ``auto``).

    An empty ``source`` names the source after the profile (a one-off import without config).
    """
    known = profiles if profiles is not None else profiles_by_name()
    try:
        table = read_table(data)
        if profile == AUTO:
            chosen = detect(table.header, list(known.values()))
        elif profile in known:
            chosen = known[profile]
        else:
            raise PayloadError(f"unknown profile {profile!r} (known: {', '.join(sorted(known))})")
        reader = RowReader(chosen, table.header, source or chosen.name)
    except PayloadError as exc:
        raise PayloadError(f"{name}: {exc}") from None
    return Export(name, hashlib.sha256(data).hexdigest(), len(data), table, reader)


async def import_export(
    store: Store,
    export: Export,
    clock: Clock,
    *,
    on_progress: Callable[[Progress], object] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportResult:
    """Import ``export`` into ``store`` for its source, once per content."""
    source = export.reader.source
    earlier = await store.import_file(source, export.content_hash)
    if earlier is not None and earlier.done:
        return ImportResult(export.name, source, export.profile.name, 0, (), 0, earlier)
    done_before = earlier.rows_done if earlier else 0
    file = ImportFile(
        source=source,
        kind=KIND,
        content_hash=export.content_hash,
        file_name=export.name,
        profile=export.profile.name,
        size=export.size,
        rows_total=export.table.total,
        started_at=clock.now(),
        rows_at_start=done_before,
    )
    start = earlier.last_line if earlier else 0
    reader = _ReadAhead(export.batches(start, batch_rows))
    batch = await reader.next() or ImportBatch((), (), (), start, 0)
    changed: set[int] = set()
    rows = quarantined = 0
    try:
        following = await reader.next()
        while True:
            if following is not None:
                reader.start()  # read the batch after next while this one is saved
            saved = await store.save_import_batch(
                file, batch, finished=following is None, now=clock.now()
            )
            changed.update(saved.changed)
            rows += batch.rows
            quarantined += saved.quarantined
            if on_progress is not None:
                on_progress(Progress(export.name, done_before + rows, export.table.total))
            if following is None:
                break
            batch, following = following, await reader.next()
    finally:
        await reader.close()
    return ImportResult(
        export.name, source, export.profile.name, rows, tuple(sorted(changed)), quarantined
    )


class _ReadAhead:
    """Reads batches in a worker thread, one ahead, so parsing overlaps with saving."""

    def __init__(self, batches: Iterator[ImportBatch]) -> None:
        self.batches = batches
        self.pending: asyncio.Task[ImportBatch | None] | None = None

    def start(self) -> None:
        if self.pending is None:
            self.pending = asyncio.create_task(asyncio.to_thread(next, self.batches, None))

    async def next(self) -> ImportBatch | None:
        self.start()
        assert self.pending is not None
        task, self.pending = self.pending, None
        return await task

    async def close(self) -> None:
        """Wait for a read in flight (its thread cannot be cancelled) and drop its result."""
        if self.pending is not None:
            with contextlib.suppress(Exception):
                await self.pending
            self.pending = None


async def import_path(
    store: Store,
    path: Path,
    source: str,
    clock: Clock,
    *,
    profile: str = AUTO,
    profiles: Mapping[str, Profile] | None = None,
    on_progress: Callable[[Progress], object] | None = None,
) -> ImportResult:
    """Read the file at ``path`` and import it (the file is read once, then hashed)."""
    export = open_export(read_bytes(path), path.name, source, profile, profiles)
    return await import_export(store, export, clock, on_progress=on_progress)
