"""The command palette (``ctrl+p``) and the ``:`` command line, both over the key registry.

Both list the commands available on the screen in use (the app's everywhere, the view's own
there), each with its key, so an agent who finds a command by name learns its key. The command
line takes an argument after the name (``:assign ana``, ``:snooze 2h``, ``:view support``); a
name may be shortened while it stays unambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from tui.keys import Key, Scope, commands, keys_label


def scopes_of(screen: Screen[Any]) -> tuple[Scope, ...]:
    scopes = getattr(screen, "SCOPES", ())
    return tuple(scopes)


def _title(key: Key) -> str:
    label = keys_label(key)
    return f"{key.description}  ({label})" if label else key.description


def _help(key: Key) -> str:
    argument = f" {key.argument}" if key.argument else ""
    return f":{key.command}{argument}"


class DeskCommands(Provider):
    """The registry's commands for the screen the palette was opened on."""

    def _keys(self) -> list[Key]:
        return commands(scopes_of(self.screen))

    def _run(self, key: Key) -> partial[Any]:
        target = None if key.scope is Scope.APP else self.screen
        return partial(self.app.run_action, key.action, target)

    async def discover(self) -> Hits:
        for key in self._keys():
            yield DiscoveryHit(_title(key), self._run(key), help=_help(key))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for key in self._keys():
            score = max(matcher.match(_title(key)), matcher.match(key.command))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(_title(key)),
                    self._run(key),
                    text=_title(key),
                    help=_help(key),
                )


@dataclass(frozen=True, slots=True)
class Parsed:
    key: Key
    action: str
    """The action string to run, with the argument filled in."""


def parse_command(line: str, available: Sequence[Key]) -> Parsed:
    """The command ``line`` names, ready to run; ValueError says what is wrong."""
    name, _, rest = line.strip().lstrip(":").partition(" ")
    name, rest = name.lower(), rest.strip()
    if not name:
        raise ValueError("type a command; → completes it, Esc closes")
    exact = [k for k in available if k.command == name]
    matches = exact or [k for k in available if k.command.startswith(name)]
    if not matches:
        raise ValueError(f"no command “{name}” here (ctrl+p lists them)")
    if len(matches) > 1:
        names = ", ".join(sorted(k.command for k in matches))
        raise ValueError(f"“{name}” could be {names}")
    key = matches[0]
    if rest and not key.argument:
        raise ValueError(f":{key.command} takes nothing after it")
    if not rest:
        return Parsed(key, key.action)
    return Parsed(key, f"{key.action}({rest!r})")


class CommandLine(ModalScreen[None]):
    """``:`` — one line at the bottom; Enter runs the command on the screen below."""

    CSS_PATH = "commands.tcss"
    AUTO_FOCUS = "#command-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="command.close"),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target
        self.available = commands(scopes_of(target))

    def compose(self) -> ComposeResult:
        names = sorted(f"{key.command} " if key.argument else key.command for key in self.available)
        with Vertical(id="command-box"):
            yield Static(id="command-error", markup=False)
            with Horizontal(id="command-line"):
                yield Static(":", id="command-prompt")
                yield self._input(names)

    def _input(self, names: list[str]) -> Input:
        box = Input(
            placeholder="ack · assign ana · snooze 2h · view support · find 5678 · sort due",
            suggester=SuggestFromList(names, case_sensitive=False),
            id="command-text",
        )
        box.cursor_blink = False
        return box

    @on(Input.Submitted, "#command-text")
    async def _run(self, event: Input.Submitted) -> None:
        try:
            parsed = parse_command(event.value, self.available)
        except ValueError as problem:
            error = self.query_one("#command-error", Static)
            error.update(str(problem))
            error.display = True
            return
        self.dismiss(None)
        target = None if parsed.key.scope is Scope.APP else self.target
        await self.app.run_action(parsed.action, target)
