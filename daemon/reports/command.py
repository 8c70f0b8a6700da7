"""``orderwatchd report daily|weekly|monthly``: the managers' report on the command line.

The period is the last whole day, Monday–Sunday week or calendar month before today, in the
shop's time zone (the rules file's ``timezone``, or ``--tz``); ``--from`` and ``--to`` (days,
both included) choose another.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.errors import UsageError
from daemon.reports.formats import as_csv, as_json, as_table
from daemon.reports.html import as_html
from sync.clock import Clock, SystemClock
from sync.desk import SHOP_ZONE_KEY
from sync.reports.model import PeriodKind, build_report, period_days
from sync.store import Store

FORMATS = {"table": as_table, "csv": as_csv, "json": as_json, "html": as_html}


async def report(
    kind: str,
    *,
    first: str | None,
    last: str | None,
    fmt: str,
    db: Path | None,
    config: Path,
    tz: str | None,
    output: Path | None = None,
    clock: Clock | None = None,
) -> int:
    database, zone_name, rollouts = _where(db, config, tz)
    if not database.is_file():
        raise UsageError(f"{database}: no database here (has the daemon run?)")
    store = await Store.open(database)
    try:
        if zone_name is None:
            zone_name = await store.get_state(SHOP_ZONE_KEY) or "UTC"
        zone = _zone(zone_name)
        today = (clock or SystemClock()).now().astimezone(zone).date()
        start, after = _days(PeriodKind(kind), first, last, today)
        figures = await build_report(store, PeriodKind(kind), start, after, zone, rollouts)
    finally:
        await store.close()
    text = FORMATS[fmt](figures)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    return 0


def _where(
    db: Path | None, config: Path, tz: str | None, *, trials: bool = True
) -> tuple[Path, str | None, dict[str, Decimal] | None]:
    """The database (``--db``, else the config's), the shop's zone (``--tz``, else the rules
    file the config names; None: what the daemon last published, else UTC) and the shares of
    the rules on trial (from that rules file; None: what the daemon last published)."""
    if db is None and not config.exists():
        raise UsageError(f"{config}: no config file; pass --db PATH or --config PATH")
    zone_name, rollouts = tz, None
    if config.exists() and (db is None or zone_name is None or trials):
        from daemon.config import load_config
        from daemon.desk_state import rollouts as trial_shares
        from daemon.rules.loader import load_rules

        loaded = load_config(config)
        db = db or loaded.database
        if loaded.rules.exists() and (zone_name is None or trials):
            rules = load_rules(loaded.rules)
            zone_name = zone_name or rules.timezone
            rollouts = trial_shares(rules)
    assert db is not None
    if zone_name is not None:
        _zone(zone_name)  # a bad --tz is refused before anything is read
    return db, zone_name, rollouts


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {name!r}: not a known time zone") from None


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a day as YYYY-MM-DD") from None


def _days(kind: PeriodKind, first: str | None, last: str | None, today: date) -> tuple[date, date]:
    start, after = period_days(kind, today)
    if first is not None:
        start = _day(first, "--from")
    if last is not None:
        after = _day(last, "--to") + timedelta(days=1)
    elif first is not None:
        after = start + (after - period_days(kind, today)[0])
    if after <= start:
        raise UsageError("--to is before --from")
    return start, after


async def suggest(
    since_text: str,
    *,
    rules_path: Path | None,
    db: Path | None,
    config: Path,
    as_json: bool,
    clock: Clock | None = None,
) -> int:
    """``orderwatchd rules suggest``: thresholds for each order rule from the recorded history."""
    from daemon.reports.suggest import collect_runs, suggestion_lines, suggestions, window
    from daemon.rules.loader import load_rules

    since = _since(since_text)
    database, _, _ = _where(db, config, "UTC", trials=False)
    if rules_path is None:
        rules_path = _rules_of(config)
    rules = load_rules(rules_path)
    if not database.is_file():
        raise UsageError(f"{database}: no database here (has the daemon run?)")
    start, end, days = window((clock or SystemClock()).now(), since)
    store = await Store.open(database)
    try:
        runs = await collect_runs(store, rules, start, end)
    finally:
        await store.close()
    rows = suggestions(rules, runs, days)
    if as_json:
        print(json.dumps({"days": days, "rules": rows}, indent=2, ensure_ascii=False))
    else:
        print("\n".join(suggestion_lines(rows, days)))
    return 0


def _rules_of(config: Path) -> Path:
    if not config.exists():
        return Path("rules.toml")
    from daemon.config import load_config

    return load_config(config).rules


async def backtest_command(
    candidate_path: Path,
    since_text: str,
    *,
    rules_path: Path | None,
    db: Path | None,
    config: Path,
    as_json: bool,
    clock: Clock | None = None,
) -> int:
    """``orderwatchd rules backtest FILE``: the candidate's escalations against the current's."""
    from daemon.reports.backtest import backtest, backtest_lines
    from daemon.rules.loader import load_rules

    since = _since(since_text)
    database, _, _ = _where(db, config, "UTC", trials=False)
    current = load_rules(rules_path or _rules_of(config))
    candidate = load_rules(candidate_path)
    if not database.is_file():
        raise UsageError(f"{database}: no database here (has the daemon run?)")
    end = (clock or SystemClock()).now()
    store = await Store.open(database)
    try:
        result = await backtest(store, current, candidate, end - since, end)
    finally:
        await store.close()
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print("\n".join(backtest_lines(result)))
    return 0


def _since(text: str) -> timedelta:
    from daemon.rules.durations import DurationError, parse_duration

    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UsageError(f"--since: {exc}") from None
