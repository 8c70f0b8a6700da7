"""Living under a service manager: watchdog pings, a bounded stop, the clock-skew record.

On SIGTERM the daemon tells systemd ``STOPPING=1``, stops starting new work and lets the work in
flight finish for up to ``DRAIN_SECONDS``: a sync page being written commits, a reload completes.
Whatever still runs after that is cancelled; every write is one transaction, so a cancelled write
rolls back whole and the next start repeats it (a page is saved with its cursor, so nothing is
lost or doubled). Then the database is closed, well within systemd's ``TimeoutStopSec``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from daemon.clockskew import SkewWatch
from daemon.systemd import Notifier
from daemon.vitals import Vitals
from sync.clock import Clock
from sync.errors import OrderwatchError
from sync.store import Store

log = logging.getLogger("orderwatch.daemon")

DRAIN_SECONDS = 10.0
WORK = "work: "
"""How the daemon names its long-running tasks, so a slow stop can say which were still busy."""


def spawn(group: asyncio.TaskGroup, name: str, work: Coroutine[Any, Any, None]) -> None:
    """Start one of the daemon's long-running tasks in ``group``, named so that :func:`drain`
    can say it was still busy."""
    group.create_task(work, name=WORK + name)


SKEW_EVERY = 60.0


async def watchdog(notifier: Notifier, vitals: Vitals, stop: asyncio.Event, every: float) -> None:
    """Ping ``WATCHDOG=1`` every ``every`` seconds while the scheduler is turning.

    The ping comes from the event loop itself, so a blocked loop misses it; a rules loop that
    stopped turning misses it too, and systemd restarts the daemon.
    """
    while not stop.is_set():
        if vitals.scheduler_alive():
            notifier.watchdog()
        else:
            log.error("the rules loop has not turned for %.0fs", vitals.scheduler_age())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def record_skew(store: Store, skew: SkewWatch, clock: Clock, stop: asyncio.Event) -> None:
    """Save the worst clock skew seen to the store (for ``orderwatchd status``) when it moves."""
    saved: dict[str, str] = {}
    warned = False
    while not stop.is_set():
        worst = skew.worst()
        if worst is not None and worst.wrong and not warned:
            log.warning("%s: timeout rules will fire at the wrong times", worst.words())
        warned = worst is not None and worst.wrong
        state = skew.state(clock.now())
        shown = {k: v for k, v in state.items() if not k.endswith("_at")}
        if shown and shown != {k: v for k, v in saved.items() if not k.endswith("_at")}:
            try:
                await store.set_state(state, clock.now())
                saved = state
            except OrderwatchError as exc:
                log.error("cannot record the clock skew: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SKEW_EVERY)


async def drain(runner: asyncio.Task[None], stop: asyncio.Event, grace: float) -> None:
    """Wait for ``runner``; once ``stop`` is set, give it ``grace`` seconds, then cancel it."""
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({runner, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not runner.done():
            await asyncio.wait({runner}, timeout=grace)
    except asyncio.CancelledError:
        await _cancel(runner)
        raise
    finally:
        stopping.cancel()
    if not runner.done():
        late = sorted(
            task.get_name().removeprefix(WORK)
            for task in asyncio.all_tasks()
            if task.get_name().startswith(WORK) and not task.done()
        )
        log.warning(
            "work still running %.0fs after the stop (%s): cancelling it",
            grace,
            ", ".join(late) or "start-up",
        )
        await _cancel(runner)
        return
    runner.result()  # the daemon's own failure, if it had one


async def _cancel(runner: asyncio.Task[None]) -> None:
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
