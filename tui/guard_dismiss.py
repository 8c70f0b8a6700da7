"""Dismissing a guard flag from the order detail: the agent picks one of the flags that are up
(or names it after ``:dismiss``) and the console writes the dismissal as the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.desk import READ_ERRORS
from tui.screens.guard_text import guard_name
from tui.screens.pickers import ChoiceScreen

if TYPE_CHECKING:
    from tui.screens.detail import DetailScreen


async def dismiss_guard(screen: DetailScreen, check: str) -> bool:
    """Ask which flag (unless ``check`` names it) and dismiss it; True when one was."""
    file = screen.file
    active = [flag for flag in file.guards if flag.active] if file else []
    if not active:
        screen.notify("No guard flag to dismiss on this order", severity="warning")
        return False
    if not check:
        choices = [(flag.check, f"{guard_name(flag.check)}: {flag.detail}") for flag in active]
        check = await screen.ask(ChoiceScreen("Dismiss which guard flag?", choices))
    if not check:
        return False
    check = check.strip().removeprefix("guard.")
    if check not in {flag.check for flag in active}:
        screen.notify(f"No {check} flag up on this order", severity="warning")
        return False
    desk = screen.desk
    try:
        done = await desk.store.dismiss_guard(screen.order_id, check, desk.agent, desk.clock.now())
    except READ_ERRORS as error:
        screen.notify(str(error), title="Cannot dismiss", severity="error")
        return False
    if not done:
        screen.notify("It cleared or was dismissed meanwhile", severity="warning")
        return False
    screen.notify(f"Dismissed: {guard_name(check)}", title="Guard")
    return True
