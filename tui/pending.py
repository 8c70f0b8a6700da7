"""Actions waiting out their grace window, so ``u`` can take the last one back.

An agent's action is written ``grace`` seconds after the key press, not at once: until then ``u``
withdraws it and nothing ever reaches the database or the other agents. The version each write
checks is the one the agent saw when pressing the key, so anything that changed the escalation
in the meantime still wins, and the agent is told. Quitting writes what is still waiting first.
With a grace of 0 every action is written at once and there is nothing to undo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tui.verbs import Outcome, Request

Perform = Callable[[Request], Awaitable[Outcome]]
Report = Callable[[Request, Outcome], None]


@dataclass(eq=False, slots=True)
class _Waiting:
    request: Request
    task: asyncio.Task[None] | None = None
    started: bool = False


class Pending:
    def __init__(
        self,
        grace: float,
        perform: Perform,
        report: Report,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.grace = grace
        self._perform = perform
        self._report = report
        self._on_change = on_change
        self._waiting: list[_Waiting] = []
        self._running: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> list[Request]:
        """Requests not written yet, oldest first."""
        return [w.request for w in self._waiting if not w.started]

    @property
    def writing(self) -> bool:
        """True while a write is under way or about to start (no grace left to wait)."""
        return bool(self._running) and (self.grace <= 0 or any(w.started for w in self._waiting))

    def submit(self, request: Request) -> None:
        waiting = _Waiting(request)
        self._waiting.append(waiting)
        waiting.task = asyncio.create_task(self._later(waiting))
        self._running.add(waiting.task)
        waiting.task.add_done_callback(self._running.discard)
        self._on_change()

    async def _later(self, waiting: _Waiting) -> None:
        if self.grace > 0:
            await asyncio.sleep(self.grace)
        await self._run(waiting)

    async def _run(self, waiting: _Waiting) -> None:
        if waiting.started:
            return
        waiting.started = True
        self._on_change()
        try:
            outcome = await self._perform(waiting.request)
        finally:
            if waiting in self._waiting:
                self._waiting.remove(waiting)
        self._report(waiting.request, outcome)

    def undo(self) -> Request | None:
        """Withdraw the newest request still waiting; None when there is none."""
        for waiting in reversed(self._waiting):
            if not waiting.started:
                self._waiting.remove(waiting)
                if waiting.task is not None:
                    waiting.task.cancel()
                self._on_change()
                return waiting.request
        return None

    async def flush(self) -> None:
        """Write everything still waiting now, oldest first, and wait for writes under way."""
        for waiting in list(self._waiting):
            if waiting.started:
                continue
            if waiting.task is not None:
                waiting.task.cancel()
            await self._run(waiting)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
