"""The bodies of ``orderwatchd run``, ``status``, ``parse`` and ``rules check``."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import httpx

from daemon import lifecycle
from daemon.clockskew import skew_lines, skew_report
from daemon.config import Config, load_config
from daemon.desk_report import desk_lines, desk_report
from daemon.errors import DaemonError, UsageError
from daemon.importing import import_lines, import_report
from daemon.logs import config_secrets, protect
from daemon.refreshes import budget_lines, budget_report
from daemon.reload import RULES_ERROR, RULES_RESULT, RULES_VERSION, try_load
from daemon.runner import Daemon, load_rules_or_fail
from daemon.source_status import source_lines, sources_report, webhook_line
from daemon.tracking_links import reply_link_problems
from sync.clock import Clock, SystemClock
from sync.errors import ConfigError
from sync.store import Store

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def run(config_path: Path, clock: Clock | None = None) -> int:
    config = load_config(config_path)
    protect(config_secrets(config))
    await run_daemon(config, clock or SystemClock())
    return 0


async def wait_started(
    started: asyncio.Future[Daemon], task: asyncio.Task[None], timeout: float | None = None
) -> Daemon:
    """The daemon from :func:`run_daemon`'s ``started`` future, or the error that kept it from
    starting: awaiting the future alone would wait forever when start-up fails."""
    waiting: set[asyncio.Future[Any]] = {started, task}
    await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        return started.result()
    if task.done():
        task.result()  # the daemon failed before starting: raise its error
        raise DaemonError("the daemon stopped before it started")
    task.cancel()
    raise DaemonError(f"the daemon did not start within {timeout:.0f}s")


async def run_daemon(
    config: Config,
    clock: Clock,
    stop_after: float | None = None,
    started: asyncio.Future[Daemon] | None = None,
) -> None:
    """Run a daemon for ``config`` until a signal, ``stop_after`` seconds, or its stop().

    ``started`` receives the daemon once its database is open.
    """
    rules = load_rules_or_fail(config.rules)
    if problems := reply_link_problems(rules, config):
        raise ConfigError(problems)
    config.database.parent.mkdir(parents=True, exist_ok=True)
    store = await Store.open(config.database)
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            daemon = Daemon(config, store, clock, client, rules)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, daemon.request_stop)
            loop.add_signal_handler(signal.SIGHUP, daemon.request_reload)
            if stop_after is not None:
                loop.call_later(stop_after, daemon.request_stop)
            try:
                runner = asyncio.create_task(daemon.run())
                if started is not None:
                    started.set_result(daemon)
                # A stop drains the work in flight for a while, then cancels the rest.
                await lifecycle.drain(runner, daemon.stop, lifecycle.DRAIN_SECONDS)
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
    finally:
        await store.close()


async def status(db: Path | None, config_path: Path, *, as_json: bool) -> int:
    if db is None:
        if not config_path.exists():
            raise UsageError(f"{config_path}: no config file; pass --db PATH or --config PATH")
        db = load_config(config_path).database
    if not db.exists():
        raise UsageError(f"{db}: no database here yet (has the daemon run?)")
    store = await Store.open(db)
    try:
        report = {
            "database": str(db),
            "orders": await store.order_count(),
            "escalations": await store.escalation_counts(),
            "rules": {
                "version": await store.get_state(RULES_VERSION),
                "last_reload": await store.get_state(RULES_RESULT),
                "error": await store.get_state(RULES_ERROR),
            },
            "sources": await sources_report(store, SystemClock().now()),
            "feed_alerts": await _feed_alerts(store),
            "webhooks": await store.webhook_counts(),
            "clock": await skew_report(store),
            **await import_report(store),
            **await desk_report(store, SystemClock().now()),
            "tracker_budgets": await budget_report(store, SystemClock().now()),
        }
    finally:
        await store.close()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(_status_text(report))
    return 0


async def _feed_alerts(store: Store) -> list[dict[str, str]]:
    """Rules about sources that are pending or firing (a stale tracking feed)."""
    return [
        {
            "rule": timer.rule_id,
            "source": timer.source,
            "state": timer.state,
            "since": timer.since.isoformat(),
            "summary": timer.summary,
        }
        for timer in await store.source_timers()
        if timer.state != "resolved"
    ]


def _status_text(report: dict[str, Any]) -> str:
    rules = report["rules"]
    lines = [
        f"database     {report['database']}",
        f"orders       {report['orders']}",
        "escalations  "
        + (", ".join(f"{k} {v}" for k, v in sorted(report["escalations"].items())) or "none"),
        f"rules        version {rules['version'] or '-'}, "
        f"last reload {rules['last_reload'] or '-'}",
    ]
    if rules["error"]:
        lines += [f"  ! {line}" for line in rules["error"].splitlines()]
    for source in report["sources"]:
        health = f"error: {source['last_error']}" if source["last_error"] else "ok"
        lines.append(
            f"source       {source['name']} ({source['kind']}): last sync "
            f"{source['last_success_at'] or 'never'}, {source['rows_synced']} rows, {health}"
        )
        lines += source_lines(source)
    for alert in report["feed_alerts"]:
        lines.append(
            f"feed alert   {alert['rule']} about {alert['source']}: {alert['state']} since "
            f"{alert['since']}; {alert['summary']}"
        )
    webhooks = webhook_line(report["webhooks"])
    lines += [webhooks] if webhooks else []
    lines += import_lines(report)
    lines += skew_lines(report["clock"])
    lines += desk_lines(report)
    lines += budget_lines(report.get("tracker_budgets", []))
    return "\n".join(lines)


def parse(kind: str, file: Path, *, profile: str | None = None, config: Path | None = None) -> int:
    from sync.connectors.payloads import PARSERS

    if kind == "csv":
        from daemon.importing import dump, parse_export

        dump(parse_export(file, profile, config))
        return 0
    if kind not in PARSERS:
        known = ", ".join(sorted([*PARSERS, "csv"]))
        raise UsageError(f"unknown payload kind {kind!r} (known: {known})")
    if profile is not None:
        raise UsageError("--profile is for csv exports only")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{file}: {exc.strerror}") from exc
    json.dump(_plain(PARSERS[kind](text)), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def rules_check(file: Path) -> int:
    from daemon.rules.lint import lint, summary

    rules, problems = try_load(file)
    if rules is None:
        raise ConfigError(problems)
    for line in summary(rules, str(file)):
        print(line)
    for warning in lint(rules, file.read_text(encoding="utf-8"), str(file)):
        print(warning)
    return 0


async def rules_test(files: list[Path], pattern: str | None, junit: Path | None = None) -> int:
    from daemon.ruletest import run_test_files

    if junit is not None and not junit.parent.is_dir():
        raise UsageError(f"{junit}: the folder {junit.parent} does not exist")
    failed, lines = await run_test_files(files, pattern, junit)
    print("\n".join(lines))
    return 1 if failed else 0


async def rules_explain(
    order: str, db: Path | None, config_path: Path, rules_path: Path | None
) -> int:
    from daemon.explain import explain_order

    config = load_config(config_path) if config_path.exists() else None
    db = db or (config.database if config else None)
    if db is None:
        raise UsageError(f"{config_path}: no config file; pass --db PATH or --config PATH")
    if not db.exists():
        raise UsageError(f"{db}: no database here yet (has the daemon run?)")
    rules = load_rules_or_fail(rules_path or (config.rules if config else Path("rules.toml")))
    store = await Store.open(db)
    try:
        lines = await explain_order(store, rules, order, SystemClock().now())
    finally:
        await store.close()
    print("\n".join(lines))
    return 0


def _plain(value: Any) -> Any:
    """A dataclass tree as JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
