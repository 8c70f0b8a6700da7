"""Agents' actions from the command line, for scripts: ``orderwatchd escalations`` (the open
ones), ``orderwatchd ack|take|assign|snooze|note|resolve|reopen|escalate ESCALATION …``,
``orderwatchd audit ORDER``, ``orderwatchd push-tracking ORDER`` (push a tracking number the
shop platform lacks back to it) and ``orderwatchd refresh ORDER|TRACKING``
(:mod:`daemon.refresh_cli`).

They go through the same store methods as the console: a compare-and-swap on the escalation's
version (the one just read, or ``--version N`` to insist on the one a script saw), the agent's OS
login on the timeline (from the process's uid, never ``$USER``), and ``synchronous=FULL``. A
lost race exits 1 with one line naming who changed the escalation first.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
from datetime import datetime
from pathlib import Path
from typing import Any

from daemon.backup import database_path
from daemon.errors import UsageError
from daemon.guard_cli import add_dismiss_command, dismiss
from daemon.refresh_cli import add_refresh_command, refresh
from daemon.rules.durations import parse_duration
from sync.clock import Clock, SystemClock
from sync.connectors import SHOP_WRITERS
from sync.domain import EscalationRow, EventRow, OrderRow
from sync.store import Queued, Store

ACTIONS = ("ack", "take", "assign", "snooze", "note", "resolve", "reopen", "escalate")
DEFAULT_CONFIG = Path("orderwatchd.toml")


def agent_login() -> str:
    """The OS login of this process's uid: who the timeline says did it."""
    return pwd.getpwuid(os.getuid()).pw_name


def add_agent_commands(commands: Any) -> None:
    helps = {
        "ack": "acknowledge an escalation",
        "take": "take an escalation (own and acknowledge it)",
        "assign": "assign an escalation to another agent",
        "snooze": "hold an escalation's notifications until a time",
        "note": "add a note to an escalation's order",
        "resolve": "resolve an escalation with a delay reason",
        "reopen": "reopen a resolved escalation",
        "escalate": "move an escalation to its next level now",
    }
    for name in ACTIONS:
        command = commands.add_parser(
            name,
            help=helps[name],
            description=f"{helps[name].capitalize()}, as the OS login running this command. "
            "Exits 1 with who changed the escalation when someone else got there first.",
        )
        command.add_argument("escalation", type=int, metavar="ESCALATION", help="its number")
        _action_arguments(name, command)
        command.add_argument(
            "--version", type=int, default=None, help="act only if it is still at this version"
        )
        _where(command)
    listing = commands.add_parser(
        "escalations",
        help="list the open escalations",
        description="Print the open escalations, firing first, then by deadline: number, "
        "state, level, severity, what it is about (an order number, or the feed of a rule "
        "about a source), rule, owner and summary.",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    _where(listing)
    audit = commands.add_parser(
        "audit",
        help="an order's full timeline: who, when, what, from → to",
        description="Print every line of an order's timeline, oldest first: syncs, rules, "
        "escalations, notifications and every agent's action. ORDER is the order number; "
        "--escalation N prints the lines of one escalation instead (the way to read the "
        "timeline of an escalation about a feed, which has no order).",
    )
    audit.add_argument("order", metavar="ORDER", nargs="?", default=None)
    audit.add_argument("--escalation", type=int, default=None, metavar="N", help="its number")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    _where(audit)
    _where(add_refresh_command(commands))
    _where(add_dismiss_command(commands))
    push = commands.add_parser(
        "push-tracking",
        help="push an order's tracking number back to the shop platform",
        description="Queue the order's tracking number for the shop platform that still shows "
        "it unshipped (a Shopify fulfillment, or WooCommerce Shipment Tracking and status "
        "completed). The daemon's outbox delivers it, retrying on failure; every attempt is on "
        "the order's timeline (orderwatchd audit ORDER). Pushing the same number twice writes "
        "it once.",
    )
    push.add_argument("order", metavar="ORDER", help="the order number")
    push.add_argument(
        "--tracking", default=None, metavar="NUMBER", help="the number (default: the one the "
        "mirror knows and the platform lacks)",
    )  # fmt: skip
    push.add_argument(
        "--carrier", default="", metavar="NAME", help="the carrier as the shop names it"
    )
    _where(push)


def _action_arguments(name: str, command: argparse.ArgumentParser) -> None:
    if name == "assign":
        command.add_argument("to_agent", metavar="AGENT", help="the OS login to assign to")
    if name == "note":
        command.add_argument("text", metavar="TEXT")
    if name == "snooze":
        until = command.add_mutually_exclusive_group(required=True)
        until.add_argument("--for", dest="snooze_for", metavar="DURATION", help="e.g. 2h")
        until.add_argument("--until", dest="snooze_until", metavar="TIME", help="ISO time")
    if name == "resolve":
        command.add_argument("--reason", required=True, help="a delay reason code")
        command.add_argument("--note", default="", help="what happened (needed for 'other')")


def _where(command: argparse.ArgumentParser) -> None:
    command.add_argument("--db", type=Path, default=None, help="database (default: config)")
    command.add_argument("--config", type=Path, default=DEFAULT_CONFIG)


async def run_agent_command(args: argparse.Namespace, clock: Clock | None = None) -> int:
    db = database_path(args.db, args.config)
    if not db.is_file():
        raise UsageError(f"{db}: no database here (has the daemon run?)")
    store = await Store.open(db, durable=True)
    try:
        if args.command == "audit":
            print("\n".join(await _audit(store, args)))
            return 0
        if args.command == "escalations":
            print("\n".join(await escalation_lines(store, as_json=args.json)))
            return 0
        if args.command == "dismiss":
            print(await dismiss(store, args, clock or SystemClock(), agent_login()))
            return 0
        if args.command == "refresh":
            print("\n".join(await refresh(store, args, clock or SystemClock(), agent_login())))
            return 0
        if args.command == "push-tracking":
            print(await push_tracking(store, args, clock or SystemClock(), agent_login()))
            return 0
        print(await act(store, args, clock or SystemClock(), agent_login()))
    finally:
        await store.close()
    return 0


async def act(store: Store, args: argparse.Namespace, clock: Clock, agent: str) -> str:
    """Do the action ``args`` asks for as ``agent``; returns the line to print."""
    found = await store.escalation(args.escalation)
    if found is None:
        raise UsageError(f"escalation {args.escalation} does not exist")
    version = found.version if args.version is None else args.version
    now = clock.now()
    name = args.command
    if name == "note":
        await store.add_note(found.order_id, agent, args.text, now, found.id)
        return f"{_label(found)}: note added by {agent}"
    done: EscalationRow
    if name == "ack":
        done = await store.acknowledge(found.id, version, agent, now)
    elif name == "take":
        done = await store.take(found.id, version, agent, now)
    elif name == "assign":
        done = await store.assign(found.id, version, agent, args.to_agent, now)
    elif name == "snooze":
        until = _until(args.snooze_for, args.snooze_until, now)
        done = await store.snooze(found.id, version, agent, until, now)
    elif name == "resolve":
        done = await store.resolve(found.id, version, agent, args.reason, args.note, now)
    elif name == "reopen":
        done = await store.reopen(found.id, version, agent, now)
    else:
        done = await store.escalate_now(found.id, version, agent, now)
    return f"{_label(done)}: {_state(done)} (version {done.version})"


async def push_tracking(store: Store, args: argparse.Namespace, clock: Clock, agent: str) -> str:
    """Queue the push ``args`` asks for as ``agent``; returns the line to print."""
    order = await _order(store, args.order)
    number = args.tracking
    if number is None:
        known = [p.tracking_number for p in await store.pushable_tracking(order.id)]
        earlier = [p for p in await store.tracking_pushes(order.id) if p.state != "failed"]
        if not known and earlier:  # asked before: say how that went rather than refuse
            known = [earlier[-1].push.tracking_number]
        if not known:
            raise UsageError(
                f"order {order.number} has no tracking number the shop lacks; give one with "
                "--tracking"
            )
        if len(known) > 1:
            raise UsageError(f"order {order.number} has several: {', '.join(known)}; pick one "
                             "with --tracking")  # fmt: skip
        number = known[0]
    queued = await store.queue_tracking_push(
        order.id, number, agent, clock.now(), writable=SHOP_WRITERS, company=args.carrier
    )
    said = {
        Queued.QUEUED: "queued",
        Queued.REQUEUED: "queued again (the last push gave up)",
        Queued.ALREADY_QUEUED: "already waiting to go out",
        Queued.ALREADY_PUSHED: "already pushed",
    }[queued.outcome]
    where = queued.push.source
    return (f"order {order.number}: tracking {number} for {where} {said}; "
            f"orderwatchd audit {order.number} shows each attempt")  # fmt: skip


def _label(escalation: EscalationRow) -> str:
    return f"escalation {escalation.id} ({escalation.about} {escalation.rule_id})"


async def escalation_lines(store: Store, *, as_json: bool = False) -> list[str]:
    """The open escalations, one line each (or one JSON object each)."""
    found = await store.open_escalations()
    if as_json:
        return [json.dumps(_escalation_json(e), ensure_ascii=False) for e in found]
    if not found:
        return ["no open escalations"]
    width = max(len(e.about) for e in found)
    return [
        f"{e.id:>6}  {e.state:<12}  level {e.level}  {e.severity:<8}  "
        f"{e.about:<{width}}  {e.rule_id}  {e.assignee or '-'}  {e.summary}"
        for e in found
    ]


def _escalation_json(escalation: EscalationRow) -> dict[str, object]:
    return {
        "id": escalation.id,
        "state": escalation.state,
        "level": escalation.level,
        "severity": escalation.severity,
        "order": escalation.order_number or None,
        "source": escalation.source or None,
        "rule": escalation.rule_id,
        "owner": escalation.assignee,
        "summary": escalation.summary,
        "opened_at": escalation.opened_at.isoformat(),
        "version": escalation.version,
    }


def _state(escalation: EscalationRow) -> str:
    parts = [f"{escalation.state} at level {escalation.level}"]
    if escalation.assignee:
        parts.append(f"owner {escalation.assignee}")
    if escalation.snoozed_until is not None:
        parts.append(f"snoozed until {_when(escalation.snoozed_until)}")
    if escalation.resolution:
        parts.append(f"reason {escalation.resolution}")
    return ", ".join(parts)


def _until(span: str | None, until: str | None, now: datetime) -> datetime:
    if span is not None:
        try:
            return now + parse_duration(span)
        except ValueError as error:
            raise UsageError(f"--for: {error}") from None
    assert until is not None
    try:
        when = datetime.fromisoformat(until)
    except ValueError:
        raise UsageError(f"--until: {until!r} is not a time like 2026-11-20T18:00") from None
    return when if when.tzinfo is not None else when.astimezone()


async def _audit(store: Store, args: argparse.Namespace) -> list[str]:
    if (args.order is None) == (args.escalation is None):
        raise UsageError("audit takes one order number or one --escalation N")
    if args.escalation is not None:
        return await escalation_audit_lines(store, args.escalation, as_json=args.json)
    return await audit_lines(store, args.order, as_json=args.json)


async def escalation_audit_lines(
    store: Store, escalation_id: int, *, as_json: bool = False
) -> list[str]:
    """One escalation's lines of the timeline, oldest first."""
    found = await store.escalation(escalation_id)
    if found is None:
        raise UsageError(f"no escalation numbered {escalation_id}")
    events = await store.escalation_events(found.id, found.order_id)
    if as_json:
        return [json.dumps(_event_json(e), ensure_ascii=False) for e in events]
    about = f"order {found.order_number}" if found.order_id is not None else f"feed {found.about}"
    header = f"escalation {found.id} ({found.rule_id}, {about}), {len(events)} entries"
    width = max((len(e.actor) for e in events), default=5)
    return [header, *(_event_line(e, width) for e in events)]


async def audit_lines(store: Store, order: str, *, as_json: bool = False) -> list[str]:
    """The order's timeline, one line per entry, oldest first."""
    found = await _order(store, order)
    events = await store.events(found.id)
    if as_json:
        return [json.dumps(_event_json(e), ensure_ascii=False) for e in events]
    header = f"order {found.number} ({found.source} {found.external_id}), {len(events)} entries"
    width = max((len(e.actor) for e in events), default=5)
    return [header, *(_event_line(e, width) for e in events)]


async def _order(store: Store, order: str) -> OrderRow:
    found = await store.order_by_number(order)
    if found is None and order.isdigit():
        found = await store.order_by_number("#" + order)
    if found is None:
        raise UsageError(f"no order numbered {order!r}")
    return found


def _event_line(event: EventRow, width: int) -> str:
    what = event.kind
    if event.subject_kind == "escalation" and event.subject_id is not None:
        label = f"escalation {event.subject_id}"
        what = label if event.kind == "escalation" else f"{event.kind} {label}"
    if event.field:
        what += f" {event.field}"
    change = ""
    if event.from_value or event.to_value:
        change = f"{event.from_value or '-'} → {event.to_value or '-'}"
    line = f"{_when(event.at)}  {event.actor:<{width}}  {what}"
    if change:
        line += f"  {change}"
    if event.detail:
        line += f"  ({event.detail})"
    return line


def _event_json(event: EventRow) -> dict[str, object]:
    return {
        "at": event.at.isoformat(),
        "who": event.actor,
        "what": event.kind,
        "subject": event.subject_kind,
        "subject_id": event.subject_id,
        "field": event.field,
        "from": event.from_value,
        "to": event.to_value,
        "detail": event.detail,
    }


def _when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%SZ")


def is_agent_command(command: str) -> bool:
    return command in (*ACTIONS, "audit", "escalations", "push-tracking", "refresh")
