"""``orderwatchd dismiss ORDER CHECK``: an agent silences a guard flag on an order.

The flag stays dismissed until its check stops holding (a merge suggestion the customer wants
shipped apart stays quiet for those orders); the dismissal is a line on the order's timeline,
with the OS login running the command.
"""

from __future__ import annotations

import argparse
from typing import Any

from daemon.errors import UsageError
from sync.clock import Clock
from sync.guards import Check
from sync.store import Store


def add_dismiss_command(commands: Any) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        "dismiss",
        help="dismiss a guard flag on an order (a merge suggestion, a warning)",
        description="Dismiss one of the order guards' flags on an order, as the OS login running "
        "this command: it stays quiet until its check no longer holds. CHECK is one of: "
        + ", ".join(Check)
        + ".",
    )
    command.add_argument("order", metavar="ORDER", help="the order number")
    command.add_argument("check", metavar="CHECK", help="the guard's name, e.g. merge_suggested")
    return command


async def dismiss(store: Store, args: argparse.Namespace, clock: Clock, agent: str) -> str:
    """Dismiss the flag ``args`` names as ``agent``; returns the line to print."""
    check = str(args.check).strip().lower().removeprefix("guard.")
    if check not in set(Check):
        raise UsageError(f"{args.check!r} is not a guard; guards: {', '.join(Check)}")
    wanted = str(args.order).strip()
    order = await store.order_by_number(wanted)
    if order is None and wanted.isdigit():
        order = await store.order_by_number("#" + wanted)
    if order is None:
        raise UsageError(f"no order {wanted!r}")
    flags = {flag.check: flag for flag in await store.guard_flags(order.id)}
    flag = flags.get(check)
    if flag is None:
        raise UsageError(f"order {order.number} has no {check} flag up")
    if flag.dismissed_at is not None:
        return f"order {order.number}: {check} was already dismissed by {flag.dismissed_by}"
    if not await store.dismiss_guard(order.id, check, agent, clock.now()):
        raise UsageError(f"order {order.number}: the {check} flag cleared meanwhile")
    return f"order {order.number}: {check} dismissed by {agent}"
