"""Pushing a tracking number back to the shop from the order detail (``P``).

Offered only while the mirror knows a tracking number the shop platform lacks (the courier has
the parcel, the shop still shows the order unshipped). The agent picks the number when there are
several and confirms; the push then waits out the undo grace window like every other action
(:mod:`tui.pending`) before it is queued in the outbox, where the daemon delivers it, retries it
and writes each attempt on the order's timeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.connectors import SHOP_WRITERS
from sync.store import Pushable, Queued
from tui.desk import READ_ERRORS, Desk
from tui.screens.pickers import ChoiceScreen, ConfirmScreen
from tui.verbs import OrderRef, Outcome, Request, Verb

if TYPE_CHECKING:
    from tui.screens.acting import ActingScreen

_SAID = {
    Queued.QUEUED: "queued for the shop; the timeline shows each attempt",
    Queued.REQUEUED: "queued again (the last push gave up)",
    Queued.ALREADY_QUEUED: "was already waiting to go out",
    Queued.ALREADY_PUSHED: "was pushed already",
}


async def offer_push(screen: ActingScreen, order: OrderRef, pushable: list[Pushable]) -> None:
    """Ask which number and whether to push it; hand the push to the grace window."""
    if not pushable:
        screen.notify("The shop shows this order's tracking already", severity="warning")
        return
    number = pushable[0].tracking_number
    if len(pushable) > 1:
        number = await screen.ask(
            ChoiceScreen(
                f"Push which tracking number of {order.number}?",
                [(p.tracking_number, f"{p.tracking_number}  {p.company}") for p in pushable],
            )
        )
        if not number:
            return
    question = f"Push tracking {number} to the shop and mark order {order.number} shipped there?"
    if not await screen.app.push_screen_wait(ConfirmScreen(question)):
        return
    request = Request(Verb.PUSH, orders=(order,), tracking=number)
    desk = screen.desk
    desk.actions.submit(request)
    if desk.config.undo_seconds > 0:
        wait = f"{desk.config.undo_seconds:g}s"
        screen.notify(f"{request.sentence()} in {wait} · u undoes", timeout=3)


async def queue_push(desk: Desk, request: Request) -> Outcome:
    """Queue the push now, as the agent (the outbox takes it from there)."""
    (order,) = request.orders
    try:
        queued = await desk.store.queue_tracking_push(
            order.order_id, request.tracking, desk.agent, desk.clock.now(), writable=SHOP_WRITERS
        )
    except READ_ERRORS as error:
        return Outcome(str(error), "error", "Not pushed", request.order_ids)
    message = f"{order.number}: tracking {request.tracking} {_SAID[queued.outcome]}"
    return Outcome(message, title="Push tracking", order_ids=request.order_ids)
