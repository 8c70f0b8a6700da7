"""Typed, strict reading of one TOML table, recording every problem instead of stopping.

:class:`Problems` turns a key path into ``FILE:LINE: key: message``; :class:`Table` reads values
of the expected type from one table and, when asked to :meth:`Table.finish`, reports the keys it
was given but never read. A reader that finds a problem records it and returns None, so the
caller carries on and the shop sees every mistake in one go.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from daemon.rules.durations import parse_duration
from daemon.rules.expr import Expr, ExpressionError, compile_expr
from daemon.rules.locate import Path, line_of
from daemon.rules.schema import Kind
from daemon.rules.template import Template, parse_template
from sync.domain import SubjectKind
from sync.errors import ConfigError

T = TypeVar("T")


def dotted(path: Path) -> str:
    """``("rules", 2, "timeout")`` as ``rules[2].timeout``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def describe(value: object) -> str:
    """How a TOML value looks to the person who wrote it."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, datetime | date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    return "a table"


class Problems:
    """Every problem found in one file, each placed on its line."""

    def __init__(self, filename: str, lines: dict[Path, int]) -> None:
        self.filename = filename
        self.lines = lines
        self.found: list[tuple[int, str]] = []

    def add(self, path: Path, message: str) -> None:
        line = line_of(self.lines, path)
        self.found.append((line, f"{self.filename}:{line}: {dotted(path)}: {message}"))

    def line(self, path: Path) -> int:
        return line_of(self.lines, path)

    def raise_if_any(self) -> None:
        if self.found:
            ordered = sorted(self.found, key=lambda found: found[0])
            raise ConfigError([message for _, message in ordered])


class Table:
    """One TOML table being read; ``allowed`` are the keys it may have."""

    def __init__(
        self,
        data: Mapping[str, Any],
        path: Path,
        problems: Problems,
        allowed: frozenset[str],
        planned: Mapping[str, str] | None = None,
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.allowed = allowed
        self.planned = planned or {}

    def problem(self, key: str | int, message: str) -> None:
        self.problems.add((*self.path, key), message)

    def raw(self, key: str, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                self.problems.add((*self.path, key), "missing (this key is required)")
            return None
        return self.data[key]

    def typed(self, key: str, kind: type[T], what: str, required: bool = False) -> T | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.problem(key, f"expected {what}, got {describe(value)}")
            return None
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        return self.typed(key, str, "text in quotes", required)

    def choice(self, key: str, choices: Mapping[str, T], required: bool = False) -> T | None:
        """The value ``choices`` maps the text to; None when missing or not one of them."""
        value = self.text(key, required)
        if value is None:
            return None
        if value not in choices:
            allowed = ", ".join(repr(choice) for choice in choices)
            self.problem(key, f"{value!r} is not one of {allowed}")
            return None
        return choices[value]

    def duration(self, key: str, required: bool = False) -> timedelta | None:
        value = self.typed(key, str, 'a duration in quotes, like "4h"', required)
        return None if value is None else self.convert(key, value, parse_duration)

    def convert(self, key: str | int, text: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(text)
        except ValueError as error:  # every parser here reports through a ValueError subclass
            self.problem(key, str(error))
            return None

    def expr(
        self,
        key: str,
        subject: SubjectKind,
        expect: Kind,
        required: bool,
        segments: Mapping[str, str] | None = None,
        timezone: str = "UTC",
    ) -> Expr | None:
        text = self.typed(key, str, "an expression in quotes", required)
        if text is None:
            return None
        try:
            return compile_expr(text, subject, expect, segments=segments, timezone=timezone)
        except ExpressionError as error:
            self.problem(key, error.located(text))
            return None

    def template(self, key: str, subject: SubjectKind, default: str) -> Template | None:
        text = self.typed(key, str, "text in quotes", False)
        source = default if text is None and key not in self.data else text
        if source is None:
            return None
        return self.convert(key, source, lambda source: parse_template(source, subject))

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(key, f"expected a list of texts in quotes, got {describe(value)}")
            return ()
        return tuple(value)

    def table_list(self, key: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The tables of an array of tables (``[[rules]]`` or a list of inline tables)."""
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, f"expected a list of tables, got {describe(value)}")
            return []
        tables: list[tuple[int, Mapping[str, Any]]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                tables.append((index, item))
            else:
                self.problems.add(
                    (*self.path, key, index), f"expected a table, got {describe(item)}"
                )
        return tables

    def finish(self) -> None:
        """Report every key of the table that is not one it may have."""
        for key in self.data:
            if key in self.allowed:
                continue
            if key in self.planned:
                self.problem(key, f"not supported yet ({self.planned[key]})")
                continue
            close = difflib.get_close_matches(key, sorted(self.allowed), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            allowed = ", ".join(sorted(self.allowed))
            self.problem(key, f"unknown key{hint}; known keys here: {allowed}")
