"""Waiting for the console to finish what it started, and reading what it shows."""

from __future__ import annotations

from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from tui.app import OrderwatchApp
from tui.screens.base import LiveScreen
from tui.widgets.order_list import OrderList

_BUSY = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot[None], pause: float | None = None) -> None:
    """Wait until the app is open and no worker is left (a page load may start another)."""
    app = pilot.app
    assert isinstance(app, OrderwatchApp)
    if pause:
        await pilot.pause(pause)
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(worker.state in _BUSY for worker in app.workers)
        busy = busy or (app.desk is not None and app.desk.actions.writing)
        opened = any(isinstance(screen, LiveScreen) for screen in app.screen_stack)
        if app.desk is not None and opened and not busy:
            return
    raise AssertionError("the console did not settle")


def line_text(order_list: OrderList, y: int) -> str:
    """What the order list shows on its ``y``-th visible line."""
    return "".join(segment.text for segment in order_list.render_line(y))


def visible_lines(order_list: OrderList) -> list[str]:
    height = order_list.scrollable_content_region.height
    return [line_text(order_list, y) for y in range(height)]


def static_text(app: OrderwatchApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def flat(text: str) -> str:
    """``text`` with every run of spaces and line breaks made one space (undoes wrapping)."""
    return " ".join(text.split())


def toasts(messages: list[object]) -> list[str]:
    """The texts of the notifications among messages collected by a ``message_hook``."""
    return [
        f"{m.notification.title}: {m.notification.message}"
        for m in messages
        if isinstance(m, Notify)
    ]


async def shows(pilot: Pilot[None], kind: type, tries: int = 200) -> None:
    """Wait until a screen of ``kind`` is on top (a picker a worker is waiting on, say).

    ``settle`` cannot be used then: the worker that opened the picker waits for its answer.
    """
    for _ in range(tries):
        if isinstance(pilot.app.screen, kind):
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError(f"no {kind.__name__} came up; on top: {pilot.app.screen!r}")
