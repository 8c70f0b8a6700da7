"""Every key of the console, in one registry.

The bindings of the app, its screens and the order list are all built from :data:`KEYS`, and the
help screen lists the same entries, so what ``?`` shows is what the keys do. Each entry has a
stable id so a keymap file can rebind it later (``App.set_keymap``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.binding import Binding, BindingType


class Scope(StrEnum):
    APP = "Everywhere"
    LIST = "Lists (queue, all orders, escalations)"
    ORDERS = "Queue and all orders"
    ESCALATIONS = "Escalations"
    DETAIL = "Order detail"


@dataclass(frozen=True, slots=True)
class Key:
    scope: Scope
    keys: str
    """Textual key names, comma-separated; the first is the one the footer shows."""
    action: str
    description: str
    id: str
    footer: str = ""
    """A short label for the footer; empty keeps the key out of the footer."""


KEYS: tuple[Key, ...] = (
    Key(Scope.APP, "1", "switch_view('queue')", "Queue: open orders", "view.queue", "Queue"),
    Key(Scope.APP, "2", "switch_view('escalations')", "Escalations", "view.escalations", "Escal."),
    Key(Scope.APP, "3", "switch_view('all')", "All orders", "view.all", "All"),
    Key(
        Scope.APP,
        "ctrl+f",
        "find",
        "Find any order by number, phone, name or tracking",
        "find",
        "Find",
    ),
    Key(Scope.APP, "R", "reload", "Reload from the database now", "reload"),
    Key(Scope.APP, "question_mark,f1", "help", "This help", "help", "Help"),
    Key(Scope.APP, "ctrl+p", "command_palette", "Command palette", "palette"),
    Key(Scope.APP, "q,ctrl+q", "quit", "Quit", "quit", "Quit"),
    Key(Scope.LIST, "j,down", "cursor_down", "Next row", "list.down"),
    Key(Scope.LIST, "k,up", "cursor_up", "Previous row", "list.up"),
    Key(Scope.LIST, "pagedown,ctrl+d", "page_down", "Page down", "list.page_down"),
    Key(Scope.LIST, "pageup,ctrl+u", "page_up", "Page up", "list.page_up"),
    Key(Scope.LIST, "g,home", "first", "First row", "list.first"),
    Key(Scope.LIST, "G,end", "last", "Last row", "list.last"),
    Key(Scope.LIST, "enter,l", "open", "Open the order", "list.open", "Open"),
    Key(
        Scope.ORDERS,
        "slash",
        "filter",
        "Filter this view (number, name, phone, tracking)",
        "orders.filter",
        "Filter",
    ),
    Key(Scope.ORDERS, "escape", "clear", "Clear the filter or the find result", "orders.clear"),
    Key(
        Scope.ORDERS, "a", "acknowledge", "Acknowledge the order's escalation", "orders.acknowledge"
    ),
    Key(
        Scope.ESCALATIONS,
        "a",
        "acknowledge",
        "Acknowledge the selected escalation",
        "escalations.acknowledge",
        "Ack",
    ),
    Key(Scope.DETAIL, "escape,h,backspace", "back", "Back to the list", "detail.back", "Back"),
    Key(
        Scope.DETAIL,
        "a",
        "acknowledge",
        "Acknowledge the order's open escalation",
        "detail.acknowledge",
        "Ack",
    ),
    Key(Scope.DETAIL, "j,down", "scroll_down", "Scroll down", "detail.down"),
    Key(Scope.DETAIL, "k,up", "scroll_up", "Scroll up", "detail.up"),
    Key(Scope.DETAIL, "pagedown,ctrl+d", "page_down", "Page down", "detail.page_down"),
    Key(Scope.DETAIL, "pageup,ctrl+u", "page_up", "Page up", "detail.page_up"),
    Key(Scope.DETAIL, "g,home", "scroll_home", "Top", "detail.top"),
    Key(Scope.DETAIL, "G,end", "scroll_end", "Bottom", "detail.bottom"),
)

_LABELS = {
    "down": "↓",
    "up": "↑",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "home": "Home",
    "end": "End",
    "enter": "Enter",
    "escape": "Esc",
    "backspace": "Backspace",
    "slash": "/",
    "question_mark": "?",
    "f1": "F1",
}


def key_label(name: str) -> str:
    """How a Textual key name is written for people: ``question_mark`` → ``?``."""
    return _LABELS.get(name, name)


def keys_label(key: Key) -> str:
    return " ".join(key_label(name) for name in key.keys.split(","))


def in_scope(scope: Scope) -> list[Key]:
    return [key for key in KEYS if key.scope is scope]


def bindings(scope: Scope) -> list[BindingType]:
    """The Textual bindings of one scope of the registry."""
    return [
        Binding(
            key.keys,
            key.action,
            key.footer or key.description,
            show=bool(key.footer),
            key_display=key_label(key.keys.split(",")[0]),
            id=key.id,
        )
        for key in in_scope(scope)
    ]
