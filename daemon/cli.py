"""``orderwatchd``: the daemon and the admin commands.

Exit status 0 on success, 1 on a user error (one readable line on stderr), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sync.errors import OrderwatchError

DEFAULT_CONFIG = Path("orderwatchd.toml")

AGENT_COMMANDS = frozenset(
    {"ack", "take", "assign", "snooze", "note", "resolve", "reopen", "escalate", "audit"}
    | {"escalations", "push-tracking", "refresh"}
    | {"dismiss"}
)
"""Agents' actions for scripts, and the audit trail (:mod:`daemon.agent_cli`)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderwatchd",
        description="orderwatch daemon: mirrors a shop's orders and parcels into SQLite, runs "
        "the timeout rules of rules.toml and raises escalations for the agents' console.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run the daemon",
        description="Run the daemon until SIGTERM or ctrl+c: "
        "sync every source, follow parcels, evaluate rules.toml (reloaded on save).",
    )
    run.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="config file (default: ./orderwatchd.toml)",
    )
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    run.add_argument(
        "--log-format",
        default="human",
        choices=["human", "json"],
        help="one line per event: for people (default) or JSON; secrets are never logged",
    )

    demo = commands.add_parser(
        "demo",
        help="a living shop on this machine: simulator + daemon + console",
        description="Start the simulator, the daemon and the console against data/demo.db "
        "with the shipped rules.toml. Quitting the console stops everything.",
    )
    demo.add_argument("--orders", type=int, default=2000, help="orders in the shop's history")
    demo.add_argument("--no-console", action="store_true", help="run headless (logs to stderr)")
    demo.add_argument(
        "--for",
        dest="duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds",
    )
    demo.add_argument("--db", type=Path, default=Path("data/demo.db"), help="database file")
    demo.add_argument("--rules", type=Path, default=Path("rules.toml"), help="rules file")
    demo.add_argument("--seed", type=int, default=7, help="seed of the simulated shop")

    simulate = commands.add_parser(
        "simulate",
        help="serve the simulated shop and courier APIs alone",
        description="Serve a simulated shop (Shopify GraphQL and REST, WooCommerce) and its "
        "17TRACK, AfterShip and Kuaidi100 accounts on 127.0.0.1, optionally sending the shop's "
        "webhooks and the tracking services' pushes.",
    )
    simulate.add_argument("--port", type=int, default=8765)
    simulate.add_argument("--orders", type=int, default=2000)
    simulate.add_argument("--seed", type=int, default=7)
    simulate.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="e.g. 429:0.05,500:0.02,stall:0.01,garbage:0.01; shop quirks: "
        "dup:0.1,reorder:0.1 (webhooks), late:0.05, ties:60",
    )
    simulate.add_argument(
        "--shopify-cost",
        choices=["classic", "current", "strict"],
        default="classic",
        help="how GraphQL queries are priced: Shopify's published rule (default), the cheaper "
        "pricing live shops report, or dearer than published",
    )
    simulate.add_argument(
        "--webhooks",
        metavar="URL",
        default=None,
        help="POST every order change to URL as signed webhooks "
        "(e.g. http://127.0.0.1:8787/webhooks/shopify/shop)",
    )
    simulate.add_argument(
        "--webhook-vendor",
        choices=["shopify", "woocommerce"],
        default="shopify",
        help="the webhooks' wire format (default: shopify)",
    )
    simulate.add_argument(
        "--webhook-secret", default="demo-webhook-secret", help="the secret they are signed with"
    )
    simulate.add_argument(
        "--webhook-every", type=float, default=2.0, metavar="SECONDS", help="how often to send"
    )
    simulate.add_argument(
        "--webhook-backlog",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="also send the changes of the last MINUTES at start (default: only new ones)",
    )
    simulate.add_argument(
        "--push-17track",
        metavar="URL",
        default="",
        help="POST 17TRACK pushes (signed with the API key) to URL, e.g. "
        "http://127.0.0.1:8787/push/17track/17track; Kuaidi100 pushes always go to the "
        "callbackurl of each subscription",
    )
    simulate.add_argument(
        "--push-aftership", metavar="URL", default="", help="POST AfterShip webhooks to URL"
    )
    simulate.add_argument(
        "--aftership-secret",
        default="demo-aftership-webhook-secret",
        help="the secret AfterShip webhooks are signed with",
    )

    status = commands.add_parser(
        "status",
        help="sources, rules and counts",
        description="Show each source's last sync and error, the rules version and the last "
        "reload result, and order and escalation counts.",
    )
    status.add_argument("--db", type=Path, default=None, help="database (default: from config)")
    status.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    status.add_argument("--json", action="store_true", help="machine-readable output")

    parse = commands.add_parser(
        "parse",
        help="normalize one raw vendor payload and print the records as JSON",
        description="Read one payload saved from a vendor API and print what orderwatch makes "
        "of it: a list page, a single order or a webhook body. "
        "KIND: shopify-graphql, shopify-rest, woocommerce, 17track, aftership, kuaidi100 "
        "(for a Kuaidi100 push, the JSON of its param field), or csv for a back-office "
        "export (CSV or XLSX).",
    )
    parse.add_argument("kind", metavar="KIND")
    parse.add_argument("file", type=Path, metavar="FILE")
    parse.add_argument(
        "--profile", default=None, help="csv: the export's column profile (default: auto)"
    )
    parse.add_argument(
        "--config", type=Path, default=None, help="csv: read the shop's own profiles from here"
    )

    imports = commands.add_parser(
        "import",
        help="import one CSV/XLSX export file into the mirror",
        description="Import one back-office export (CSV in UTF-8 or GBK, or XLSX) the way a "
        "watched folder does: once per content, bad rows quarantined, nothing deleted. "
        "Shows a progress bar on stderr and a summary line.",
    )
    imports.add_argument("file", type=Path, metavar="FILE")
    imports.add_argument(
        "--profile",
        default=None,
        help="column profile: taobao, jd, douyin, generic, warehouse, one of the config's, "
        "or auto (default: the csv source's, else auto)",
    )
    imports.add_argument("--source", default="", help="source name (default: from the config)")
    where = imports.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, default=None, help="database file")
    where.add_argument(
        "--config", type=Path, default=None, help="config file (default: ./orderwatchd.toml)"
    )

    link = commands.add_parser(
        "link",
        help="print a signed link to an order's tracking page",
        description="Print a link to the customer tracking page of one order, signed with the "
        "daemon's link key and valid for --ttl; the link is noted on the order's timeline. "
        "The address comes from [http] public_url.",
    )
    link.add_argument("order", metavar="ORDER", help="the order's number")
    link.add_argument("--ttl", default="7d", help="how long the link works (default: 7d)")
    where = link.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, default=None, help="database file")
    where.add_argument(
        "--config", type=Path, default=None, help="config file (default: ./orderwatchd.toml)"
    )

    _add_report(commands)

    rules = commands.add_parser(
        "rules", help="rules tooling", description="Check rules files before they go live."
    )
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    check = rules_commands.add_parser(
        "check",
        help="check a rules file",
        description="Parse and check a rules file the way "
        "the daemon does on reload; print every problem with its file, line and key.",
    )
    check.add_argument("file", type=Path, nargs="?", default=Path("rules.toml"))
    test = rules_commands.add_parser(
        "test",
        help="run the scenarios of rules test files",
        description="Play each scenario of the test files through the rules engine on a "
        "virtual clock and check its expectations; failures print the instance's timeline.",
    )
    test.add_argument("files", type=Path, nargs="+", metavar="FILE")
    test.add_argument("--run", default=None, metavar="REGEX", help="only scenarios matching")
    test.add_argument(
        "--junit", type=Path, default=None, metavar="FILE", help="also write JUnit XML here"
    )
    explain = rules_commands.add_parser(
        "explain",
        help="why an order has the timers it has",
        description="For one order: which rules apply, which override and modifiers set each "
        "timeout, the business windows counted, the deadline, and why a timer is paused or muted.",
    )
    explain.add_argument("order", metavar="ORDER", help="the order's number")
    explain.add_argument("--db", type=Path, default=None, help="database (default: from config)")
    explain.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    explain.add_argument("--rules", type=Path, default=None, help="rules file (default: config)")
    suggest = rules_commands.add_parser(
        "suggest",
        help="thresholds for each order rule from the recorded history",
        description="Rebuild each order's past from the timeline and let the rules engine say "
        "when each order rule's timer ran; per rule and segment, print the durations' p50, p90 "
        "and p95 on the rule's clock and the escalations a day the current timeout and each "
        "candidate would have raised.",
    )
    suggest.add_argument("--since", default="30d", help="how far back (default: 30d)")
    suggest.add_argument("--rules", type=Path, default=None, help="rules file (default: config)")
    suggest.add_argument("--db", type=Path, default=None, help="database (default: from config)")
    suggest.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    suggest.add_argument("--json", action="store_true", help="machine-readable output")
    backtest = rules_commands.add_parser(
        "backtest",
        help="replay a candidate rules file over the recorded history",
        description="Replay FILE and the current rules over the orders of the last --since, "
        "rebuilt from the timeline, through the rules engine; print the escalations per rule "
        "and day each would have raised (order rules).",
    )
    backtest.add_argument("file", type=Path, metavar="FILE", help="the candidate rules file")
    backtest.add_argument("--since", default="30d", help="how far back (default: 30d)")
    backtest.add_argument(
        "--rules", type=Path, default=None, help="the current rules (default: config)"
    )
    backtest.add_argument("--db", type=Path, default=None, help="database (default: from config)")
    backtest.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    backtest.add_argument("--json", action="store_true", help="machine-readable output")
    _add_upkeep(commands)
    from daemon.agent_cli import add_agent_commands

    add_agent_commands(commands)
    return parser


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="the managers' daily, weekly or monthly report",
        description="Orders by stage and channel, breaches per rule, delay reasons by weekday "
        "and hour, where parcels stall, response times, manual interventions and status "
        "agreement between sources, for the last whole day, week (Monday to Sunday) or month "
        "in the shop's time zone, or the days --from to --to.",
    )
    report.add_argument("period", choices=("daily", "weekly", "monthly"))
    report.add_argument("--from", dest="first", default=None, metavar="DAY", help="YYYY-MM-DD")
    report.add_argument("--to", dest="last", default=None, metavar="DAY", help="YYYY-MM-DD")
    report.add_argument("--format", choices=("table", "csv", "json", "html"), default="table")
    report.add_argument("--output", "-o", type=Path, default=None, help="file (default: stdout)")
    report.add_argument(
        "--tz", default=None, help="the shop's time zone (default: the rules file's, else UTC)"
    )
    report.add_argument("--db", type=Path, default=None, help="database (default: from config)")
    report.add_argument("--config", type=Path, default=DEFAULT_CONFIG)


def _add_upkeep(commands: Any) -> None:
    """``backup``, ``restore`` and ``doctor``: looking after the box."""
    backup = commands.add_parser(
        "backup",
        help="an online, consistent copy of the database",
        description="Copy the database with SQLite's backup API while the daemon and the "
        "consoles keep working; the copy is checked with integrity_check and readable by its "
        "owner only. PATH is the copy's file name, or a folder for a time-stamped name.",
    )
    backup.add_argument("path", type=Path, metavar="PATH")
    restore = commands.add_parser(
        "restore",
        help="put a backup back, with the daemon running or stopped",
        description="Check the backup, keep the current database as "
        "<db>.before-restore-<time>, and replace the database's content with the backup's in "
        "one step. A running daemon and open consoles carry on with the restored data and "
        "re-read everything; the daemon catches up with the sources from the backup's cursors.",
    )
    restore.add_argument("path", type=Path, metavar="PATH", help="the backup file")
    doctor = commands.add_parser(
        "doctor",
        help="check the box: database, permissions, config, rules, sources, clock",
        description="Check the database's integrity and WAL, file permissions (the agents' "
        "group, the secrets file), the config and rules, that every source answers, and this "
        "clock against the sources' clocks. Each problem comes with its fix; exit 1 if any.",
    )
    for command in (backup, restore, doctor):
        command.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
        command.add_argument("--db", type=Path, default=None, help="database (default: config)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in AGENT_COMMANDS:
            from daemon.agent_cli import run_agent_command

            return asyncio.run(run_agent_command(args))
        return _dispatch(args)
    except OrderwatchError as exc:
        problems = getattr(exc, "problems", [str(exc)])
        for problem in problems:
            print(f"orderwatchd: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``orderwatchd parse … | head``): not an error of ours. Point
        # stdout at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    from daemon import commands

    if args.command == "run":
        from daemon.logs import setup_logging

        setup_logging(args.log_level, args.log_format)
        return asyncio.run(commands.run(args.config))
    if args.command == "demo":
        from daemon.demo import demo

        return asyncio.run(demo(args))
    if args.command == "simulate":
        _log_to_stderr("info")
        from daemon.simulator.command import simulate

        return asyncio.run(simulate(args))
    if args.command == "status":
        return asyncio.run(commands.status(args.db, args.config, as_json=args.json))
    if args.command == "parse":
        return commands.parse(args.kind, args.file, profile=args.profile, config=args.config)
    if args.command == "import":
        from daemon.importing import import_file

        return asyncio.run(
            import_file(
                args.file,
                db=args.db,
                config_path=args.config,
                source=args.source,
                profile=args.profile,
            )
        )
    if args.command in {"backup", "restore", "doctor"}:
        return _upkeep(args)
    if args.command in {"link", "report"}:
        return _reading(args)
    if args.command == "rules":
        return _rules(args)
    raise AssertionError(args.command)


def _rules(args: argparse.Namespace) -> int:
    from daemon import commands

    if args.rules_command == "check":
        return commands.rules_check(args.file)
    if args.rules_command == "test":
        return asyncio.run(commands.rules_test(args.files, args.run, args.junit))
    if args.rules_command in {"suggest", "backtest"}:
        from daemon.reports.command import backtest_command, suggest

        where = {"rules_path": args.rules, "db": args.db, "config": args.config}
        if args.rules_command == "suggest":
            return asyncio.run(suggest(args.since, **where, as_json=args.json))
        return asyncio.run(backtest_command(args.file, args.since, **where, as_json=args.json))
    return asyncio.run(commands.rules_explain(args.order, args.db, args.config, args.rules))


def _reading(args: argparse.Namespace) -> int:
    """``link`` and ``report``: commands that read the database next to a running daemon."""
    if args.command == "report":
        from daemon.reports.command import report

        return asyncio.run(
            report(
                args.period,
                first=args.first,
                last=args.last,
                fmt=args.format,
                db=args.db,
                config=args.config,
                tz=args.tz,
                output=args.output,
            )
        )
    from daemon.tracking_links import link

    return asyncio.run(link(args.order, args.ttl, args.db, args.config))


def _upkeep(args: argparse.Namespace) -> int:
    if args.command == "doctor":
        from daemon.doctor import doctor

        return asyncio.run(doctor(args.config, args.db))
    from daemon import backup

    database = backup.database_path(args.db, args.config)
    if args.command == "backup":
        return asyncio.run(backup.backup(args.path, database))
    return asyncio.run(backup.restore(args.path, database))


def _log_to_stderr(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )


if __name__ == "__main__":
    sys.exit(main())
