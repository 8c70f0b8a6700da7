"""Every key and command of the console, in one registry.

The bindings of the app, its screens and the order list, the ``?`` help, the command palette
(``ctrl+p``) and the ``:`` command line are all built from :data:`KEYS`, so what help shows is what
the keys do and every command shows its key. Each entry has a stable id so a keymap can rebind
it (``App.set_keymap``). An entry with a ``command`` can be typed after ``:``; one with an
``argument`` takes it there (``:assign ana``, ``:snooze 2h``) and asks for it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.binding import Binding, BindingType


class Scope(StrEnum):
    APP = "Everywhere"
    LIST = "Lists"
    VERBS = "Actions (on the marked rows, else the cursor's)"
    DETAIL = "Order detail"
    REPORTS = "Reports"
    QUARANTINE = "Quarantined export rows"


@dataclass(frozen=True, slots=True)
class Key:
    scope: Scope
    keys: str
    """Textual key names, comma-separated; the first is the one shown. Empty: a command only."""
    action: str
    description: str
    id: str
    footer: str = ""
    """A short label for the footer; empty keeps the key out of the footer."""
    command: str = ""
    """The name to type after ``:``; empty for keys that are not commands (moving around)."""
    argument: str = ""
    """What the command takes after its name (``AGENT``); the action then gets it as a string."""


def _app(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.APP, keys, action, text, id, footer, **more)


def _list(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.LIST, keys, action, text, id, footer, **more)


def _verb(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.VERBS, keys, action, text, id, footer, **more)


def _report(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.REPORTS, keys, action, text, id, footer, **more)


def _detail(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.DETAIL, keys, action, text, id, footer, **more)


def _quarantine(keys: str, action: str, text: str, id: str, footer: str = "", **more: str) -> Key:
    return Key(Scope.QUARANTINE, keys, action, text, id, footer, **more)


KEYS: tuple[Key, ...] = (
    _app("1", "switch_view('queue')", "Queue: open orders", "view.queue", command="queue"),
    _app(
        "2", "switch_view('escalations')", "Escalations", "view.escalations", command="escalations"
    ),
    _app(
        "3", "switch_view('mine')", "Mine: escalations assigned to me", "view.mine", command="mine"
    ),
    _app("4", "switch_view('snoozed')", "Snoozed escalations", "view.snoozed", command="snoozed"),
    _app(
        "5", "switch_view('role')", "Role views (again: the next one)", "view.role", command="role"
    ),
    _app(
        "6",
        "switch_view('reports')",
        "Reports: orders, breaches, delays, response, look-ups",
        "view.reports",
        command="reports",
    ),
    _app(
        "",
        "view",
        "Show a view by name (queue, all, ship-today…)",
        "view.named",
        command="view",
        argument="NAME",
    ),
    _app("", "switch_view('all')", "All orders", "view.all", command="all"),
    _app(
        "I",
        "quarantine",
        "Quarantined export rows: retry or discard",
        "view.quarantine",
        command="quarantine",
    ),
    _app(
        "ctrl+f",
        "find",
        "Find any order by number, phone, name or tracking",
        "find",
        "Find",
        command="find",
        argument="TEXT",
    ),
    _app("colon", "command_line", "Command line", "command_line", command=""),
    _app("ctrl+p", "command_palette", "Command palette: every command with its key", "palette"),
    _app("question_mark,f1", "help", "Keys of this view", "help", "Help", command="help"),
    _app("p", "pause", "Pause live updates (again: resume)", "pause", command="pause"),
    _app("R,ctrl+r", "reload", "Reload from the database now", "reload", command="reload"),
    _app("u", "undo", "Undo the last action while it waits", "undo", command="undo"),
    _app("", "theme", "Change the colours", "theme", command="theme", argument="NAME"),
    _app(
        "q,ctrl+q",
        "quit",
        "Quit (from a list; q goes back elsewhere)",
        "quit",
        command="quit",
    ),
    _list("j,down", "cursor_down", "Next row", "list.down"),
    _list("k,up", "cursor_up", "Previous row", "list.up"),
    _list("pagedown,ctrl+d", "page_down", "Page down", "list.page_down"),
    _list("pageup,ctrl+u", "page_up", "Page up", "list.page_up"),
    _list("g,home", "first", "First row", "list.first", command="top"),
    _list("G,end", "last", "Last row", "list.last", command="bottom"),
    _list("enter,l", "open", "Open the order", "list.open", command="open"),
    _list(
        "slash",
        "filter",
        "Filter: text and field:value, ! negates",
        "list.filter",
        "Filter",
        command="filter",
        argument="FILTER",
    ),
    _list("escape", "clear", "Clear the filter (or find), then the marks", "list.clear"),
    _list("space", "mark", "Mark the row and move down", "list.mark", command="mark"),
    _list("M", "mark_all", "Mark every row of the view", "list.mark_all", command="markall"),
    _list("U", "clear_marks", "Clear the marks", "list.clear_marks", command="unmark"),
    _list("o", "sort", "Sort by…", "list.sort", command="sort", argument="FIELD"),
    _list("O", "reverse", "Reverse the order", "list.reverse", command="reverse"),
    _list(
        "E", "export", "Export the view as CSV", "list.export", command="export", argument="PATH"
    ),
    _list("y", "copy_number", "Copy the order number", "list.copy", command="copy"),
    _verb("a", "acknowledge", "Acknowledge", "verb.acknowledge", "Ack", command="ack"),
    _verb("t", "take", "Take: assign to me (acknowledges)", "verb.take", "Take", command="take"),
    _verb("T", "assign", "Assign to…", "verb.assign", command="assign", argument="AGENT"),
    _verb(
        "s",
        "snooze",
        "Snooze… (until a time)",
        "verb.snooze",
        command="snooze",
        argument="FOR",
    ),
    _verb(
        "x",
        "resolve",
        "Resolve… with a delay reason",
        "verb.resolve",
        "Resolve",
        command="resolve",
        argument="REASON",
    ),
    _verb("c", "note", "Add a note", "verb.note", command="note", argument="TEXT"),
    _verb("e", "escalate", "Escalate now to the next level", "verb.escalate", command="escalate"),
    _detail("escape,q,h,backspace", "back", "Back to the list", "detail.back", "Back"),
    _detail("j,down", "scroll_down", "Scroll down", "detail.down"),
    _detail("k,up", "scroll_up", "Scroll up", "detail.up"),
    _detail("pagedown,ctrl+d", "page_down", "Page down", "detail.page_down"),
    _detail("pageup,ctrl+u", "page_up", "Page up", "detail.page_up"),
    _detail("g,home", "scroll_home", "Top", "detail.top"),
    _detail("G,end", "scroll_end", "Bottom", "detail.bottom"),
    _detail("J", "next_order", "Next order of the list", "detail.next", command="next"),
    _detail(
        "K", "previous_order", "Previous order of the list", "detail.previous", command="previous"
    ),
    _detail(
        "o",
        "open_tracking",
        "Open the carrier's tracking page",
        "detail.tracking",
        "Track",
        command="track",
    ),
    _detail(
        "y",
        "copy_reply",
        "Copy the reply to the customer",
        "detail.copy_reply",
        "Reply",
        command="reply",
    ),
    _detail(
        "S",
        "share_link",
        "Copy the customer's tracking-page link",
        "detail.share_link",
        "Link",
        command="link",
    ),
    _detail(
        "E",
        "export",
        "Export the order's timeline as CSV",
        "detail.export",
        command="timeline-csv",
        argument="PATH",
    ),
    _detail(
        "L", "reply_language", "Reply in the next language", "detail.language", command="language"
    ),
    _detail(
        "F",
        "refresh_parcel",
        "Refresh the parcel's track now (asks the daemon)",
        "detail.refresh",
        command="refresh",
    ),
    _detail(
        "P",
        "push_tracking",
        "Push the tracking number to the shop",
        "detail.push_tracking",
        command="push",
    ),
    _detail(
        "d",
        "dismiss_guard",
        "Dismiss a guard flag (pack together, duplicate, address…)",
        "detail.dismiss_guard",
        command="dismiss",
        argument="CHECK",
    ),
    _detail(
        "r",
        "reopen",
        "Reopen the order's last resolved escalation",
        "detail.reopen",
        command="reopen",
    ),
    _quarantine("escape,q,h,backspace", "back", "Back to the list", "quarantine.back", "Back"),
    _quarantine("j,down", "cursor_down", "Next row", "quarantine.down"),
    _quarantine("k,up", "cursor_up", "Previous row", "quarantine.up"),
    _quarantine(
        "r",
        "retry",
        "Retry the row (a stage row whose order is now here)",
        "quarantine.retry",
        "Retry",
        command="retry",
    ),
    _quarantine(
        "d",
        "discard",
        "Discard the row for good",
        "quarantine.discard",
        "Discard",
        command="discard",
    ),
    _quarantine(
        "E",
        "export",
        "Export the rows shown as CSV",
        "quarantine.export",
        command="quarantine-csv",
        argument="PATH",
    ),
)

REPORT_KEYS: tuple[Key, ...] = (
    _report("escape,q", "back", "Back to the queue", "report.back", "Back"),
    _report(
        "d",
        "period('daily')",
        "Daily: today, then [ ] to step",
        "report.daily",
        "Day",
        command="daily",
    ),
    _report(
        "w",
        "period('weekly')",
        "Weekly: this Monday–Sunday week",
        "report.weekly",
        "Week",
        command="weekly",
    ),
    _report(
        "m",
        "period('monthly')",
        "Monthly: this calendar month",
        "report.monthly",
        "Month",
        command="monthly",
    ),
    _report(
        "left_square_bracket,left",
        "step(-1)",
        "The period before",
        "report.earlier",
        "Earlier",
        command="earlier",
    ),
    _report(
        "right_square_bracket,right",
        "step(1)",
        "The period after",
        "report.later",
        "Later",
        command="later",
    ),
    _report("j,down", "scroll_down", "Scroll down", "report.down"),
    _report("k,up", "scroll_up", "Scroll up", "report.up"),
    _report("pagedown,ctrl+d", "page_down", "Page down", "report.page_down"),
    _report("pageup,ctrl+u", "page_up", "Page up", "report.page_up"),
    _report("g,home", "scroll_home", "Top", "report.top"),
    _report("G,end", "scroll_end", "Bottom", "report.bottom"),
    _report(
        "E",
        "export",
        "Export the report as CSV",
        "report.export",
        "Export",
        command="report-csv",
        argument="PATH",
    ),
)

KEYS = KEYS + REPORT_KEYS

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
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "left": "←",
    "right": "→",
    "colon": ":",
    "space": "Space",
    "question_mark": "?",
    "f1": "F1",
}


def key_label(name: str) -> str:
    """How a Textual key name is written for people: ``question_mark`` → ``?``."""
    return _LABELS.get(name, name)


def keys_label(key: Key) -> str:
    return " ".join(key_label(name) for name in key.keys.split(",") if name)


def in_scope(scope: Scope) -> list[Key]:
    return [key for key in KEYS if key.scope is scope]


def commands(scopes: tuple[Scope, ...]) -> list[Key]:
    """The commands available where ``scopes`` apply (the app's are everywhere)."""
    return [k for k in KEYS if k.command and (k.scope is Scope.APP or k.scope in scopes)]


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
        if key.keys
    ]
