"""A helper process for the quick look of a big full re-plan.

The quick look (:mod:`daemon.replan_check`) is plain Python over the rows SQLite hands back, so
in one process it runs on one core however many the box has. When a full re-plan has many
spans of orders, a helper process takes spans from the far end of the mirror while the engine
works from the near end: it parses the same rules text, opens its own read connection to the
mirror, finds in each span what the re-plan visits, and answers which orders need deciding in
full. Only the engine's process decides and writes; the helper writes nothing, so what gets
written is the same with or without it.

A span the helper finds busy (most of its orders would change) sends it home: the rest of the
spans are left to the engine, whose own quick look then knows when to stop looking. A helper
that cannot start or dies hands back the spans it was asked about, and the engine decides them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from daemon.replan_check import (
    Loaded,
    Span,
    Wanted,
    columns_of,
    load_span,
    orders_to_decide,
    rules_by_kind,
)
from daemon.rules.learned import RouteFigures, with_figures
from daemon.rules.loader import parse_rules
from daemon.rules.model import RuleSet
from daemon.rules.muting import Muter, Muting
from sync.store import Store

log = logging.getLogger("orderwatch.rules")

LOOK_ASIDE_FROM = 64
"""Spans in a full re-plan from which a helper joins in (starting one costs under a second)."""

START_WAIT = 60.0
"""Seconds a helper gets to parse the rules and open the mirror before the engine goes on alone."""
IN_FLIGHT = 2
"""Spans asked of the helper at a time: it reads the next while it looks at one."""
STOP_WAIT = 10.0
"""Seconds a helper gets to close its connection and exit before it is killed."""


@dataclass(frozen=True, slots=True)
class Setup:
    """What the helper needs to look as the engine would: the mirror, the rules' text with the
    learned route figures, who mutes what, and the rules to re-plan (None: all of them)."""

    path: str
    text: str
    source: str
    figures: RouteFigures
    muters: tuple[Muter, ...]
    dirty: frozenset[str] | None


class HelperGone(Exception):
    """The helper could not start, failed, or exited."""


def can_help(rules: RuleSet, path: str, spans: int) -> bool:
    """Whether a re-plan of ``spans`` spans of these rules gets a helper."""
    return spans >= LOOK_ASIDE_FROM and bool(rules.text) and path != ":memory:"


class Helper:
    """The engine's side of one helper process (blocking calls: run them in a thread).

    The helper is ``python -m daemon.replan_aside FD``, talking over a socket pair: a fresh
    interpreter that imports only what the quick look needs, whatever program started it.
    """

    def __init__(self, setup: Setup) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._pipe = Connection(ours.detach())
        try:
            self._pipe.send(setup)
            if not self._pipe.poll(START_WAIT):
                raise HelperGone(f"the helper was not ready within {START_WAIT:g}s")
            self._answer()  # ready, or why not
        except BaseException:
            self.stop()
            raise

    def ask(self, span: Span, now: datetime) -> None:
        """Ask which orders of ``span`` need deciding in full at ``now`` (answers come in the
        order asked; with a second span asked, the helper reads it while it looks)."""
        try:
            self._pipe.send((span, now))
        except (OSError, ValueError) as error:
            raise HelperGone(f"the helper is gone: {error}") from None

    def answer(self) -> tuple[list[int], int]:
        """The answer to the oldest span asked (blocks until it comes): the orders to decide
        in full, of how many the re-plan visits there."""
        found = self._answer()
        assert isinstance(found, tuple)
        return found

    def _answer(self) -> object:
        try:
            kind, value = self._pipe.recv()
        except (EOFError, OSError) as error:
            raise HelperGone(f"the helper exited: {error or 'no answer'}") from None
        if kind == "error":
            raise HelperGone(str(value))
        return value

    def stop(self) -> None:
        """Ask the helper to finish, and kill it if it does not in time."""
        with contextlib.suppress(OSError, ValueError):
            self._pipe.send(None)
        try:
            self._process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._pipe.close()


async def look_aside(
    setup: Setup,
    take: Callable[[], Span | None],
    now: Callable[[], datetime],
    found: list[tuple[Span, list[int] | None]],
    ready: asyncio.Event,
) -> None:
    """Have a helper look at spans from ``take`` until none are left or one is busy. The
    orders it finds go to ``found`` with their span, for the engine to decide in full, and so
    do the spans it was asked about but could not answer (with None: all their orders).

    ``ready`` is set once the helper has started. Cancelled before that (the engine was done
    first), it leaves at once, and the helper is stopped as soon as it is up."""
    starting = asyncio.ensure_future(asyncio.to_thread(Helper, setup))
    try:
        helper = await asyncio.shield(starting)
    except asyncio.CancelledError:
        starting.add_done_callback(_stop_late)
        raise
    except (HelperGone, OSError) as error:
        log.warning("re-planning without a helper: %s", error)
        return
    ready.set()
    asked: deque[Span] = deque()
    busy = False
    try:
        while True:
            while not busy and len(asked) < IN_FLIGHT and (span := take()) is not None:
                asked.append(span)
                helper.ask(span, now())
            if not asked:
                return
            changed, visited = await asyncio.to_thread(helper.answer)
            span = asked.popleft()
            if changed:
                found.append((span, changed))
            # busy: the engine's own look is the better judge of the spans left
            busy = busy or len(changed) * 2 > visited
    except HelperGone as error:
        log.warning("the re-plan helper stopped: %s", error)
        found.extend((span, None) for span in asked)
    finally:
        await asyncio.shield(asyncio.to_thread(helper.stop))


def _stop_late(started: asyncio.Future[Helper]) -> None:
    """Stop a helper that came up after it was no longer wanted (off the event loop)."""
    if started.cancelled() or started.exception() is not None:
        return
    threading.Thread(target=started.result().stop, name="replan helper stop", daemon=True).start()


# ----- the helper's side -----


def _serve(fd: int) -> None:
    """The helper process: look at each span sent until told to stop or the engine is gone."""
    gc.disable()  # as in the engine's re-plan: millions of small acyclic objects
    pipe = Connection(fd)
    try:
        setup = pipe.recv()
    except EOFError:
        return
    asyncio.run(_looking(pipe, setup))


async def _looking(pipe: Connection, setup: Setup) -> None:
    try:
        rules = with_figures(parse_rules(setup.text, setup.source), setup.figures)
        store = await Store.open(setup.path)
    except Exception as error:  # reported to the engine, which goes on alone
        pipe.send(("error", f"the helper cannot start: {error}"))
        return
    try:
        by_kind, columns = rules_by_kind(rules), columns_of(rules)
        wanted = Wanted.of(rules, setup.dirty)
        muting = Muting.of(rules.inhibits, setup.muters)
        pipe.send(("ready", None))

        # Spans asked, oldest first, each being read: a span asked while one is looked at is
        # read meanwhile.
        pending: deque[tuple[datetime, asyncio.Task[Loaded]]] = deque()
        try:
            while True:
                if not pending or pipe.poll():
                    asked: Any = pipe.recv()
                    if asked is None:
                        return
                    span, now = asked
                    loading = load_span(store, rules, columns, wanted, span, True, least=1)
                    pending.append((now, asyncio.create_task(loading)))
                    continue
                now, loading_first = pending[0]
                loaded = await loading_first
                if pipe.poll():
                    continue  # start reading the span asked meanwhile before looking
                pending.popleft()
                changed = []
                if loaded.batch is not None:
                    changed = orders_to_decide(loaded.batch, by_kind, loaded.only, now, muting)
                pipe.send(("found", (changed, len(loaded.orders))))
        except (EOFError, OSError):
            return  # the engine is gone
        except Exception as error:  # the engine decides the spans asked itself
            pipe.send(("error", f"the helper failed: {error}"))
        finally:
            for _, loading_left in pending:
                loading_left.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
    finally:
        await store.close()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
