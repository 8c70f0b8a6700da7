"""``orderwatchd import`` and ``parse csv``, and the import lines of ``orderwatchd status``.

``import FILE`` reads one export into the mirror, as the watched folder would: once per content,
bad rows quarantined, nothing deleted. It finds its database and the shop's profiles in the
config (or takes ``--db``), and the source from the config's csv sources: the one named by
``--source``, or the only one using the profile. Without one, the source is named after the
profile. A progress bar on stderr shows rows done, total, rate and time left.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from daemon.config import Config, load_config
from daemon.errors import UsageError
from sync.clock import Clock, SystemClock
from sync.connectors.csv_drop import (
    KIND,
    ImportResult,
    Progress,
    import_export,
    open_export,
    profiles_by_name,
    read_bytes,
)
from sync.connectors.payloads import instant_text, orders_document
from sync.csvimport.profiles import AUTO
from sync.csvimport.records import ImportFileRow
from sync.store import Store

BAR_WIDTH = 24
DEFAULT_CONFIG = Path("orderwatchd.toml")
REDRAW_SECONDS = 0.1


class ProgressBar:
    """One line on a terminal, redrawn in place: bar, rows done / total, rate, time left.

    On a stream that is not a terminal (a log, a pipe) only the final line is written.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.started = time.monotonic()
        self.drawn = 0.0
        self.last = ""

    def update(self, progress: Progress, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (not self.live or now - self.drawn < REDRAW_SECONDS):
            return
        self.drawn = now
        self.last = render_progress(
            self.label, progress.rows_done, progress.rows_total, now - self.started
        )
        self.stream.write(("\r" if self.live else "") + self.last)
        self.stream.flush()

    def close(self, progress: Progress | None) -> None:
        if progress is not None:
            self.update(progress, force=True)
        if self.last:
            self.stream.write("\n")
            self.stream.flush()


def render_progress(label: str, done: int, total: int, seconds: float) -> str:
    share = 1.0 if total <= 0 else min(done / total, 1.0)
    filled = round(share * BAR_WIDTH)
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate > 0 and total > done else 0.0
    return (
        f"{label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:,}/{total:,} rows"
        f"  {rate:,.0f} rows/s  {_clock(left)} left"
    )


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


@dataclass(frozen=True, slots=True)
class Target:
    database: Path
    source: str
    profile: str
    config: Config | None


def choose_target(
    db: Path | None, config_path: Path | None, source: str, profile: str | None
) -> Target:
    """The database, source and profile an import writes with.

    ``--db`` alone needs no config; without it the config (default ``./orderwatchd.toml``)
    names the database.
    """
    path = config_path or DEFAULT_CONFIG
    if db is None and not path.exists():
        raise UsageError(f"{path}: no config file; pass --db PATH or --config PATH")
    config = load_config(path) if db is None or config_path is not None else None
    database = db if db is not None else config.database if config else path
    drops = [f for f in (config.sources if config else ()) if f.kind == KIND]
    if source:
        match = [f for f in drops if f.name == source]
    else:
        match = [f for f in drops if profile in (None, f.settings.get("profile"))]
    chosen = match[0] if len(match) == 1 else None
    wanted = profile or (chosen.settings.get("profile", AUTO) if chosen else AUTO)
    return Target(database, source or (chosen.name if chosen else ""), wanted, config)


async def import_file(
    file: Path,
    *,
    db: Path | None,
    config_path: Path | None,
    source: str = "",
    profile: str | None = None,
    clock: Clock | None = None,
    stream: TextIO | None = None,
) -> int:
    target = choose_target(db, config_path, source, profile)
    profiles = profiles_by_name(target.config.profiles if target.config else ())
    export = open_export(read_bytes(file), file.name, target.source, target.profile, profiles)
    if db is not None and not db.parent.is_dir():
        raise UsageError(f"{db}: the folder {db.parent} does not exist")
    store = await Store.open(target.database)
    bar = ProgressBar(file.name, stream)
    latest: Progress | None = None

    def show(progress: Progress) -> None:
        nonlocal latest
        latest = progress
        bar.update(progress)

    try:
        result = await import_export(store, export, clock or SystemClock(), on_progress=show)
    finally:
        bar.close(latest)
        await store.close()
    print(summary(result))
    return 0


def summary(result: ImportResult) -> str:
    where = f"source {result.source}, profile {result.profile}"
    if result.already is not None:
        when = instant_text(result.already.finished_at or result.already.updated_at)
        return (
            f"{result.file}: already imported ({result.already.file_name}, {when}); "
            f"nothing changed ({where})"
        )
    line = (
        f"{result.file}: {result.rows:,} rows read, {len(result.changed):,} orders changed, "
        f"{result.quarantined:,} quarantined ({where})"
    )
    if result.quarantined:
        line += "; see orderwatchd status"
    return line


def parse_export(file: Path, profile: str | None, config_path: Path | None) -> dict[str, Any]:
    """What ``orderwatchd parse csv FILE`` prints: the orders, stages and problems of a file.

    The shop's own profiles are read from ``config_path`` when given.
    """
    config = load_config(config_path) if config_path is not None else None
    profiles = profiles_by_name(config.profiles if config else ())
    export = open_export(read_bytes(file), file.name, "parse", profile or AUTO, profiles)
    batches = list(export.batches())
    document = orders_document([o for b in batches for o in b.orders])
    document["profile"] = export.profile.name
    stages = [s for b in batches for s in b.stages if not s.external_id]
    if stages:
        document["stages"] = [
            {"number": s.number, "line": s.line}
            | {name: instant_text(at) for name, at in s.times().items()}
            for s in stages
        ]
    document["problems"] = [
        {"line": p.line, "reason": p.reason} for b in batches for p in b.problems
    ]
    return document


# ----- orderwatchd status -----


def _file_document(row: ImportFileRow) -> dict[str, Any]:
    rate = row.rate()
    left = row.time_left()
    return {
        "source": row.source,
        "file": row.file_name,
        "profile": row.profile,
        "state": row.state,
        "rows_done": row.rows_done,
        "rows_total": row.rows_total,
        "rows_per_s": None if rate is None else round(rate, 1),
        "time_left_s": None if left is None else int(left.total_seconds()),
        "orders_changed": row.orders_changed,
        "quarantined": row.quarantined,
        "started_at": instant_text(row.started_at),
        "finished_at": instant_text(row.finished_at),
    }


async def import_report(store: Store, *, latest: int = 5) -> dict[str, Any]:
    """Imports running and recent, and the quarantine (counts and latest rows)."""
    return {
        "imports": [_file_document(r) for r in await store.imports(limit=latest)],
        "quarantine": {
            "counts": await store.quarantine_counts(),
            "latest": [
                {"source": q.source, "where": q.where, "reason": q.reason}
                for q in await store.quarantined(limit=latest)
            ],
        },
    }


def import_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for item in report.get("imports", []):
        lines.append(f"{'import' if item['state'] != 'done' else 'imported':<13}{_import(item)}")
    quarantine = report.get("quarantine", {})
    for source, count in sorted(quarantine.get("counts", {}).items()):
        lines.append(f"quarantine   {source}: {count:,} rows set aside")
    lines += [
        f"  ! {q['source']}: {q['where']} {q['reason']}" for q in quarantine.get("latest", [])
    ]
    return lines


def _import(item: dict[str, Any]) -> str:
    counts = f"{item['rows_done']:,}/{item['rows_total']:,} rows"
    if item["state"] == "done":
        return (
            f"{item['source']}: {item['file']} at {item['finished_at']}: {counts}, "
            f"{item['orders_changed']:,} orders changed, {item['quarantined']:,} quarantined"
        )
    rate = "-" if item["rows_per_s"] is None else f"{item['rows_per_s']:,.0f}"
    left = "-" if item["time_left_s"] is None else _clock(item["time_left_s"])
    return f"{item['source']}: {item['file']} {counts}, {rate} rows/s, {left} left"


def dump(document: object) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
