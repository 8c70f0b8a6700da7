"""The console app: its views, global keys and theme, and the timers that keep it live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from textual import work
from textual.app import App
from textual.message import Message

from sync.clock import Clock, SystemClock
from sync.errors import OrderwatchError
from sync.store import Store, View
from tui.desk import Desk, agent_login, local_zone
from tui.keys import Scope, bindings
from tui.live import Change, ChangeLog, Feed, Watcher
from tui.screens.escalations import EscalationsScreen
from tui.screens.find import FindScreen, show_matches
from tui.screens.help import HelpScreen
from tui.screens.orders import OrdersScreen

MINUTE_CHECK = 5.0
"""Seconds between looks at the clock; what is drawn changes at most once a minute."""


class OrderwatchApp(App[None]):
    TITLE = "orderwatch"
    CSS_PATH = "app.tcss"
    BINDINGS = bindings(Scope.APP)

    def __init__(
        self,
        db_path: Path | str,
        *,
        clock: Clock | None = None,
        zone: tzinfo | None = None,
        agent: str | None = None,
        poll_seconds: float = 0.5,
        theme: str = "textual-dark",
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.clock: Clock = clock or SystemClock()
        self._zone = zone
        self._agent = agent
        self.poll_seconds = poll_seconds
        self.theme = theme
        self.desk: Desk | None = None
        self.feed: Feed | None = None
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
        desk = Desk(
            store=store,
            clock=self.clock,
            agent=self._agent or agent_login(),
            zone=self._zone or local_zone(self.clock),
            changes=ChangeLog(),
        )
        self.desk = desk
        self.feed = Feed(watcher, desk.changes, self.clock, self._tell)
        self.add_mode("queue", lambda: OrdersScreen(desk, View.QUEUE))
        self.add_mode("escalations", lambda: EscalationsScreen(desk))
        self.add_mode("all", lambda: OrdersScreen(desk, View.ALL))
        await self.switch_mode("queue")
        self.set_interval(self.poll_seconds, self.feed.poll, name="data-version")
        self.set_interval(MINUTE_CHECK, self.feed.check_minute, name="minute")

    async def _open(self, *, durable: bool) -> Store:
        store = await Store.open(self.db_path, durable=durable)
        self._stores.append(store)
        return store

    async def on_unmount(self) -> None:
        for store in self._stores:
            await store.close()
        self._stores.clear()

    def _tell(self, message: Callable[[], Message]) -> None:
        """Post a fresh message to every screen on display (hidden ones catch up later)."""
        for screen in self.screen_stack:
            screen.post_message(message())

    # ----- global keys -----

    def action_switch_view(self, mode: str) -> None:
        if self.desk is not None and mode != self.current_mode:
            self.switch_mode(mode)

    def action_reload(self) -> None:
        if self.feed is not None:
            self.feed.publish(Change(everything=True))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_find(self) -> None:
        if self.desk is not None and not isinstance(self.screen, FindScreen):
            self.push_screen(FindScreen(), callback=self._found)

    def _found(self, text: str | None) -> None:
        if text:
            self._find(text)

    @work(exclusive=True, group="find", exit_on_error=False)
    async def _find(self, text: str) -> None:
        if self.desk is not None:
            await show_matches(self, self.desk, text)
