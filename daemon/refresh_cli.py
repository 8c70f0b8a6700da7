"""``orderwatchd refresh ORDER|TRACKING``: ask the daemon to poll a parcel now, and wait for it.

Like the console's key, it only leaves a request in the database (as the OS login running it);
the running daemon answers (:mod:`daemon.refreshes`). The command waits for the answer and prints
one line per parcel; a refusal (budget spent, breaker open, no tracker) or a failure exits 1 with
the reason, and so does a daemon that does not answer in time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from daemon.errors import UsageError
from sync.clock import Clock
from sync.domain import ShipmentRow
from sync.store import RefreshRequest, RefreshState, Store

DEFAULT_WAIT = 60.0
STEP = 0.2


def add_refresh_command(commands: Any) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        "refresh",
        help="ask the daemon to fetch a parcel's track now",
        description="Ask the running daemon to fetch the track of a parcel now, as the OS login "
        "running this command, and print what came back. TRACKING is a tracking number; ORDER "
        "an order number (each of its parcels is refreshed). The tracker's request budget and "
        "breaker apply: a refusal exits 1 with the reason.",
    )
    command.add_argument("target", metavar="ORDER|TRACKING")
    command.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for the daemon's answer (default {DEFAULT_WAIT:g}; 0: do not)",
    )
    return command


async def parcels_named(store: Store, target: str) -> list[ShipmentRow]:
    """The parcels ``target`` names: a tracking number, else an order's parcels."""
    found = await store.shipments_by_tracking(target)
    if found:
        return found
    order = await store.order_by_number(target)
    if order is None and target.isdigit():
        order = await store.order_by_number("#" + target)
    if order is None:
        raise UsageError(f"no order or tracking number {target!r}")
    tracked = [s for s in await store.shipments(order.id) if s.tracking_number]
    if not tracked:
        raise UsageError(f"order {order.number} has no parcel with a tracking number")
    return tracked


async def refresh(store: Store, args: argparse.Namespace, clock: Clock, agent: str) -> list[str]:
    """Leave the requests, wait for their answers, and return the lines to print."""
    parcels = await parcels_named(store, args.target)
    asked = [await store.request_refresh(p.id, agent, clock.now()) for p in parcels]
    if args.wait <= 0:
        return [f"{_label(p)}: asked by {agent}; the daemon answers shortly" for p in parcels]
    answers = await _answers(store, asked, args.wait)
    lines = []
    problems = []
    for parcel, answer in zip(parcels, answers, strict=True):
        if answer is None or answer.state == RefreshState.WAITING:
            problems.append(
                f"{_label(parcel)}: no answer within {args.wait:g}s (is the daemon running?)"
            )
        elif answer.state == RefreshState.DONE:
            lines.append(f"{_label(parcel)}: {answer.outcome}")
        else:
            problems.append(f"{_label(parcel)}: {answer.state}: {answer.outcome}")
    if problems:
        for line in lines:
            print(line)
        raise UsageError("; ".join(problems))
    return lines


async def _answers(store: Store, asked: list[int], wait: float) -> list[RefreshRequest | None]:
    deadline = time.monotonic() + wait
    while True:
        found = [await store.refresh_request(request) for request in asked]
        settled = all(r is not None and r.state != RefreshState.WAITING for r in found)
        if settled or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(STEP)


def _label(parcel: ShipmentRow) -> str:
    carrier = (parcel.carrier or parcel.carrier_raw).upper()
    return f"{carrier} {parcel.tracking_number}".strip()
