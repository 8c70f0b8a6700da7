"""Message templates: ``"Order {order.number} paid {elapsed} ago, not shipped"``.

A placeholder is a field path from :mod:`daemon.rules.schema` or one of the values the planner
computes (:data:`COMPUTED`). There is no logic and no attribute access: the text between braces
must be a name from one of those two lists, checked when the rules load. ``{{`` and ``}}`` stand
for literal braces. Times are shown in the rule file's time zone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from daemon.rules.durations import format_elapsed
from daemon.rules.schema import FIELDS, Field, FieldError, Value, resolve_field
from daemon.rules.subject import Subject
from sync.domain import SubjectKind

COMPUTED: dict[str, str] = {
    "rule": "the rule's id",
    "title": "the rule's title",
    "severity": "the rule's severity",
    "started": "when the clock started",
    "deadline": "when the rule fires",
    "elapsed": "time since the clock started",
    "remaining": "time left until the deadline (negative once overdue)",
    "timeout": "the timeout that applies, after overrides and modifiers",
    "override": "the name of the override that applied, or empty",
    "modifier_note": "e.g. ' (4h x1.5 holiday-slack)' when a modifier applied, else empty",
    "clock": "what the timeout counts: wall, or the calendar's name",
}

_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[^{}]+|[{}]")


class TemplateError(ValueError):
    """A template that cannot be rendered; ``str()`` says which placeholder and why."""


@dataclass(frozen=True, slots=True)
class Computed:
    """A placeholder the planner fills in (``{elapsed}``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: text pieces, and the fields or computed names between them."""

    source: str
    pieces: tuple[str | Field | Computed, ...]

    def render(self, subject: Subject, values: Mapping[str, str], zone: tzinfo) -> str:
        out = []
        for piece in self.pieces:
            if isinstance(piece, Field):
                out.append(show(piece.get(subject), zone))
            elif isinstance(piece, Computed):
                out.append(values.get(piece.name, ""))
            else:
                out.append(piece)
        return "".join(out)


def parse_template(text: str, subject: SubjectKind) -> Template:
    """``text`` parsed for rules about ``subject``, or :class:`TemplateError`."""
    pieces: list[str | Field | Computed] = []
    for match in _PIECE.finditer(text):
        token = match.group()
        if token in {"{{", "}}"}:
            pieces.append(token[0])
        elif token in {"{", "}"}:
            raise TemplateError(f"unmatched {token!r} (write {token * 2} for a literal brace)")
        elif match.group(1) is None:
            pieces.append(token)
        else:
            name = match.group(1).strip()
            if name in COMPUTED:
                pieces.append(Computed(name))
            else:
                pieces.append(_field(name, subject))
    return Template(text, tuple(pieces))


def _field(name: str, subject: SubjectKind) -> Field:
    if not name:
        raise TemplateError("empty placeholder {}")
    try:
        return resolve_field(name, subject)
    except FieldError:
        close = difflib.get_close_matches(name, [*FIELDS, *COMPUTED], n=1)
        hint = f" (did you mean {{{close[0]}}}?)" if close else ""
        field = FIELDS.get(name)
        if field is not None:
            raise TemplateError(f"{{{name}}} is only available in {field.scope} rules") from None
        raise TemplateError(f"unknown placeholder {{{name}}}{hint}") from None


def show(value: Value, zone: tzinfo) -> str:
    """``value`` as a person reads it in a message."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return show_time(value, zone)
    if isinstance(value, timedelta):
        return format_elapsed(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, tuple):
        return ", ".join(show(item, zone) for item in value)
    return value


def show_time(instant: datetime, zone: tzinfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
