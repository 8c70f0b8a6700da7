"""Noting the agents' look-ups (a find, an order opened) for the report of what customers ask.

The row is written by a worker of the app's, through the store's own connection thread, so the
keys never wait for it and it outlives the screen that asked (a find prompt gives way at once).
A look-up that cannot be written is dropped without a word: it must never get in an agent's way.
"""

from __future__ import annotations

import logging

from textual.app import App

from sync.store import LookupKind
from tui.desk import READ_ERRORS, Desk

log = logging.getLogger(__name__)


def note_lookup(app: App[None], desk: Desk, kind: LookupKind, order_id: int | None) -> None:
    at = desk.clock.now()

    async def write() -> None:
        try:
            await desk.store.record_lookup(desk.agent, kind, order_id, at)
        except READ_ERRORS as error:
            log.warning("look-up not recorded: %s", error)

    app.run_worker(write(), group="lookups", exit_on_error=False)
