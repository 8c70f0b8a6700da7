"""The console app: its views, global keys and theme, and the timers that keep it live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.message import Message

from sync.clock import Clock, SystemClock
from sync.errors import OrderwatchError
from sync.store import Store
from sync.store.console import ConsoleNotice
from tui.commands import CommandLine, DeskCommands
from tui.config import ConsoleConfig
from tui.desk import Board, Desk, agent_login, local_zone
from tui.keys import Scope, bindings
from tui.live import BoardChanged, Change, ChangeLog, Feed, Watcher
from tui.pending import Pending
from tui.screens.base import LiveScreen
from tui.screens.escalations import EscalationsScreen
from tui.screens.find import FindScreen, show_matches
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen
from tui.screens.pickers import ChoiceScreen
from tui.screens.quarantine import QuarantineScreen
from tui.screens.reports import ReportsScreen
from tui.verbs import Outcome, Request, perform
from tui.views import ALL, ESCALATIONS, MINE, QUEUE, SNOOZED, role_view

MINUTE_CHECK = 5.0
"""Seconds between looks at the clock; what is drawn changes at most once a minute."""

_SEVERITY = {"critical": "error", "warning": "warning"}


class OrderwatchApp(App[None]):
    TITLE = "orderwatch"
    CSS_PATH = "app.tcss"
    BINDINGS = bindings(Scope.APP)
    COMMANDS: ClassVar = App.COMMANDS | {DeskCommands}

    def __init__(
        self,
        db_path: Path | str,
        *,
        config: ConsoleConfig | None = None,
        clock: Clock | None = None,
        zone: tzinfo | None = None,
        agent: str | None = None,
        poll_seconds: float | None = None,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.config = config or ConsoleConfig()
        self.clock: Clock = clock or SystemClock()
        self._zone = zone
        self._agent = agent
        self.poll_seconds = self.config.poll_seconds if poll_seconds is None else poll_seconds
        self.theme = theme or self.config.theme
        self.desk: Desk | None = None
        self.feed: Feed | None = None
        self.role_modes = [role_view(role).mode for role in self.config.views]
        self._stores: list[Store] = []

    async def on_mount(self) -> None:
        try:
            store = await self._open(durable=True)
            # Its own connection: data_version only moves for commits made elsewhere.
            watcher = Watcher(await self._open(durable=False))
            await watcher.start()
        except OrderwatchError as error:
            self.exit(return_code=1, message=f"orderwatch: {error}")
            return
        board = Board()
        desk = Desk(
            store=store,
            clock=self.clock,
            agent=self._agent or agent_login(),
            zone=self._zone or local_zone(self.clock),
            changes=ChangeLog(),
            config=self.config,
            board=board,
            actions=Pending(
                self.config.undo_seconds,
                lambda request: perform(desk, request),
                self._report,
                self._actions_changed,
            ),
        )
        self.desk = desk
        self.feed = Feed(
            watcher,
            desk.changes,
            self.clock,
            self._tell,
            store=store,
            agent=desk.agent,
            board=board,
            toast=self._toast,
        )
        self._add_modes(desk)
        await self.feed.start()
        await self.switch_mode("queue")
        self.set_interval(self.poll_seconds, self.feed.poll, name="data-version")
        self.set_interval(MINUTE_CHECK, self.feed.check_minute, name="minute")

    def _add_modes(self, desk: Desk) -> None:
        self.add_mode("queue", lambda: OrdersScreen(desk, QUEUE))
        self.add_mode("all", lambda: OrdersScreen(desk, ALL))
        for listed in (ESCALATIONS, MINE, SNOOZED):
            self.add_mode(listed.mode, partial(EscalationsScreen, desk, listed))
        self.add_mode("reports", partial(ReportsScreen, desk))
        for role in self.config.views:
            view = role_view(role)
            self.add_mode(view.mode, partial(OrdersScreen, desk, view))

    async def _open(self, *, durable: bool) -> Store:
        store = await Store.open(self.db_path, durable=durable)
        self._stores.append(store)
        return store

    async def on_unmount(self) -> None:
        if self.desk is not None:
            await self.desk.actions.flush()  # what the agent was told will happen, happens
        for store in self._stores:
            await store.close()
        self._stores.clear()

    def _tell(self, message: Callable[[], Message]) -> None:
        """Post a fresh message to every screen on display (hidden ones catch up later)."""
        for screen in self.screen_stack:
            screen.post_message(message())

    def _toast(self, notice: ConsoleNotice) -> None:
        severity = _SEVERITY.get(notice.severity, "information")
        self.bell()
        self.notify(notice.body, title=notice.title, severity=severity, markup=False)  # type: ignore[arg-type]

    def _report(self, request: Request, outcome: Outcome) -> None:
        self.notify(outcome.message, title=outcome.title, severity=outcome.severity, markup=False)
        if self.feed is not None and (outcome.order_ids or outcome.feeds):
            self.feed.publish(Change(outcome.order_ids, feeds=outcome.feeds), force=True)

    def _actions_changed(self) -> None:
        if self.desk is not None:
            self.desk.board.waiting = [r.describe() for r in self.desk.actions.waiting]
            self._tell(BoardChanged)

    # ----- global keys -----

    def action_switch_view(self, mode: str) -> None:
        if self.desk is None:
            return
        if mode == "role":
            if not self.role_modes:
                self.notify("No role views in the config", severity="warning")
                return
            here = self.current_mode
            at = self.role_modes.index(here) + 1 if here in self.role_modes else 0
            mode = self.role_modes[at % len(self.role_modes)]
        if mode != self.current_mode:
            self.switch_mode(mode)

    def action_view(self, name: str = "") -> None:
        names = {
            "queue": "queue",
            "all": "all",
            "escalations": "escalations",
            "mine": "mine",
            "snoozed": "snoozed",
            "reports": "reports",
        }
        names.update({mode.removeprefix("view:"): mode for mode in self.role_modes})
        if not name:
            self._pick_view(names)
        elif name.strip().lower() in names:
            self.action_switch_view(names[name.strip().lower()])
        else:
            self.notify(f"No view “{name}”: {', '.join(names)}", severity="warning")

    @work(group="view-picker", exit_on_error=False)
    async def _pick_view(self, names: dict[str, str]) -> None:
        chosen = await self.push_screen_wait(ChoiceScreen("Show the view…", list(names.items())))
        if chosen:
            self.action_switch_view(chosen)

    def action_reload(self) -> None:
        if self.feed is not None:
            self.feed.publish(Change(everything=True), force=True)

    def action_pause(self) -> None:
        # The status bar says PAUSED with the count of what is held; no toast to cover it.
        if self.feed is not None:
            self.feed.pause()

    def action_undo(self) -> None:
        if self.desk is None:
            return
        request = self.desk.actions.undo()
        if request is None:
            self.notify("Nothing to undo: actions are written once their few seconds are up")
        else:
            self.notify(request.sentence(), title="Undone", markup=False)

    def action_theme(self, name: str = "") -> None:
        if not name:
            self.search_themes()
        elif name in self.available_themes:
            self.theme = name
        else:
            self.notify(f"No theme “{name}”", severity="warning")

    def data_screen(self) -> LiveScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, LiveScreen):
                return screen
        return None

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        shown = self.data_screen()
        scopes = shown.SCOPES if shown else ()
        self.push_screen(HelpScreen(scopes, shown.help_line() if shown else ""))

    def action_quarantine(self) -> None:
        if self.desk is not None and not isinstance(self.screen, QuarantineScreen):
            self.push_screen(QuarantineScreen(self.desk))

    def action_command_line(self) -> None:
        shown = self.data_screen()
        if shown is not None and not isinstance(self.screen, CommandLine):
            self.push_screen(CommandLine(shown))

    def action_find(self, text: str = "") -> None:
        if self.desk is None or isinstance(self.screen, FindScreen):
            return
        if text.strip():
            self._find(text.strip())
        else:
            self.push_screen(FindScreen(self.desk), callback=self._found)

    def _found(self, text: str | None) -> None:
        if text:
            self._find(text)

    @work(exclusive=True, group="find", exit_on_error=False)
    async def _find(self, text: str) -> None:
        if self.desk is not None:
            await show_matches(self, self.desk, text)
