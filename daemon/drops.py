"""Watched folders of export drops: each complete new file imported once.

A file is read only when it is complete: its size and modification time must stay the same
across checks at least ``settle`` apart (an export still being written or copied keeps
changing). Writers that build the file under a temporary name (``.part``, ``.tmp``, ``~$…``,
a leading dot) and rename it into place are covered too: those names are never read, and the
renamed file is stable from the moment it appears. The folder is scanned at start (files dropped
while the daemon was down), then whenever watchfiles reports a change, and every ``settle``
while a file is waiting to settle. A file that cannot be read is reported and tried again only
when it changes; deleting a file deletes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import watchfiles

from daemon.config import Feed
from daemon.rules.durations import parse_duration
from sync.clock import Clock
from sync.connectors.csv_drop import (
    KIND,
    SUFFIXES,
    ImportResult,
    import_export,
    open_export,
    read_bytes,
)
from sync.csvimport.profiles import AUTO, Profile
from sync.errors import OrderwatchError, PayloadError, SourceError
from sync.store import Store

log = logging.getLogger("orderwatch.drops")

_TEMPORARY = (".part", ".tmp", ".crdownload", ".download", ".partial", "~")

Stamp = tuple[int, int]
"""A file's size and modification time (ns)."""


def is_export(path: Path) -> bool:
    """Whether a file name looks like a finished export (not a hidden or temporary file)."""
    name = path.name
    if name.startswith((".", "~$")) or name.lower().endswith(_TEMPORARY):
        return False
    return path.suffix.lower() in SUFFIXES


class Settle:
    """Tells when a file has stopped changing: same stamp across checks ``seconds`` apart."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.seen: dict[Path, tuple[Stamp, float]] = {}

    def ready(self, path: Path, stamp: Stamp, now: float) -> bool:
        first = self.seen.get(path)
        if first is None or first[0] != stamp or stamp[0] == 0:
            self.seen[path] = (stamp, now)
            return False
        return now - first[1] >= self.seconds

    def forget(self, path: Path) -> None:
        self.seen.pop(path, None)

    @property
    def waiting(self) -> bool:
        return bool(self.seen)


class DropFolder:
    """One csv source: its folder, its profile, and what it has already handled."""

    def __init__(
        self,
        feed: Feed,
        store: Store,
        clock: Clock,
        profiles: Mapping[str, Profile],
        on_change: Callable[[], object] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = feed.name
        self.folder = Path(feed.settings["folder"])
        self.profile = feed.settings.get("profile", AUTO)
        self.settle = Settle(parse_duration(feed.settings.get("settle", "2s")).total_seconds())
        self.store = store
        self.clock = clock
        self.profiles = profiles
        self.on_change = on_change
        self.monotonic = monotonic
        self.handled: dict[Path, Stamp] = {}
        """Files imported, skipped as already imported, or unreadable, at the stamp they had."""

    async def run(self, stop: asyncio.Event) -> None:
        """Scan, then watch the folder until ``stop``."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            await self._failed(f"{self.folder}: cannot use the folder: {exc.strerror}")
            return
        await self.scan()
        tick = max(int(self.settle.seconds * 1000 / 2), 50)
        async for _changes in watchfiles.awatch(
            self.folder,
            watch_filter=lambda _change, changed: is_export(Path(changed)),
            stop_event=stop,
            debounce=100,
            step=50,
            rust_timeout=tick,
            yield_on_timeout=True,
            recursive=False,
        ):
            await self.scan()

    async def scan(self) -> list[ImportResult]:
        """Import every file of the folder that has settled and was not handled yet."""
        results: list[ImportResult] = []
        for path, stamp in self._candidates():
            if self.handled.get(path) == stamp:
                continue
            if not self.settle.ready(path, stamp, self.monotonic()):
                continue
            self.settle.forget(path)
            result = await self._import(path, stamp)
            if result is not None:
                results.append(result)
        return results

    def _candidates(self) -> list[tuple[Path, Stamp]]:
        found: list[tuple[int, Path, Stamp]] = []
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return []
        for path in entries:
            if not is_export(path):
                continue
            try:
                info = path.stat()
            except OSError:
                continue  # gone between listing and looking
            if path.is_file():
                found.append((info.st_mtime_ns, path, (info.st_size, info.st_mtime_ns)))
        # Older exports first, so a newer snapshot is the one that stays.
        return [(path, stamp) for _, path, stamp in sorted(found)]

    async def _import(self, path: Path, stamp: Stamp) -> ImportResult | None:
        try:
            data = await asyncio.to_thread(read_bytes, path)
            export = await asyncio.to_thread(
                open_export, data, path.name, self.name, self.profile, self.profiles
            )
        except (PayloadError, SourceError) as exc:
            self.handled[path] = stamp
            await self._failed(str(exc))
            return None
        try:
            result = await import_export(self.store, export, self.clock)
        except OrderwatchError as exc:
            await self._failed(f"{path.name}: {exc}")  # the store: try again next scan
            return None
        self.handled[path] = stamp
        if result.already is not None:
            log.info(
                "%s: %s was imported before, as %s", self.name, path.name, result.already.file_name
            )
        else:
            log.info(
                "%s: imported %s: %d rows, %d orders changed, %d quarantined",
                self.name,
                path.name,
                result.rows,
                len(result.changed),
                result.quarantined,
            )
        if result.changed:
            self.on_change()
        return result

    async def _failed(self, message: str) -> None:
        log.error("%s: %s", self.name, message)
        await self.store.record_source_error(self.name, KIND, message, self.clock.now())
