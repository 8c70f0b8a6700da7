"""Where each key of a TOML document is: ``("rules", 2, "timeout") -> 31``.

``tomllib`` returns plain dicts without positions, but a problem in ``rules.toml`` must name its
line. This module walks the text once more, only far enough to see structure (table headers,
keys, arrays, inline tables), and records the line each key or array element starts on. It runs
only on text ``tomllib`` has already accepted, so it can stay simple; on anything it does not
understand it stops and returns what it has.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

Path = tuple[str | int, ...]

_TOKEN = re.compile(
    r"""
    (?P<newline>\r?\n)
  | (?P<space>[ \t]+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"[\s\S]*?\"\"\"\"{0,2}|'''[\s\S]*?''''{0,2}|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')
  | (?P<punct>[\[\]{}=,])
  | (?P<bare>[^\s\[\]{}=,\#"']+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    line: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    line = 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or ""
        if kind not in {"space", "comment"}:
            tokens.append(_Token(kind, match.group(), line))
        line += match.group().count("\n")
    return tokens


def key_lines(text: str) -> dict[Path, int]:
    """The line (1-based) of every table, key and array element in ``text``."""
    walker = _Walker(_tokens(text))
    with contextlib.suppress(IndexError):  # ran off the end: keep what was found
        walker.document()
    return walker.lines


def line_of(lines: dict[Path, int], path: Path) -> int:
    """The line of ``path``, or of its nearest recorded parent (1 when nothing matches)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def _key_part(token: _Token) -> list[str]:
    if token.kind == "string":
        quote = 3 if token.text[:3] in {'"""', "'''"} else 1
        return [token.text[quote:-quote]]
    return [part for part in token.text.split(".") if part]


class _Walker:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.lines: dict[Path, int] = {}
        self.arrays: dict[Path, int] = {}
        self.table: Path = ()

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def skip_newlines(self) -> None:
        while self.index < len(self.tokens) and self.peek().kind == "newline":
            self.index += 1

    def document(self) -> None:
        self.skip_newlines()
        while self.index < len(self.tokens):
            if self.peek().text == "[":
                self.header()
            else:
                self.pair(self.table)
            self.skip_newlines()

    def header(self) -> None:
        line = self.take().line
        many = self.peek().text == "["
        if many:
            self.take()
        parts = self.key_until("]")
        self.take()
        if many:
            self.take()
        path = self.resolve(parts)
        if many:
            index = self.arrays.get(path, -1) + 1
            self.arrays[path] = index
            self.lines.setdefault(path, line)
            path = (*path, index)
        self.lines[path] = line
        self.table = path

    def resolve(self, parts: list[str]) -> Path:
        """``parts`` with the current index inserted after each array of tables they pass."""
        out: list[str | int] = []
        for position, part in enumerate(parts):
            out.append(part)
            if position < len(parts) - 1 and tuple(out) in self.arrays:
                out.append(self.arrays[tuple(out)])
        return tuple(out)

    def key_until(self, end: str) -> list[str]:
        parts: list[str] = []
        while self.peek().text != end or self.peek().kind == "string":
            parts.extend(_key_part(self.take()))
        return parts

    def pair(self, table: Path) -> None:
        line = self.peek().line
        path = (*table, *self.key_until("="))
        self.take()
        for end in range(len(table) + 1, len(path) + 1):
            self.lines.setdefault(path[:end], line)
        self.value(path)

    def value(self, path: Path) -> None:
        token = self.take()
        if token.kind == "punct" and token.text == "[":
            self.array(path)
        elif token.kind == "punct" and token.text == "{":
            self.inline_table(path)
        else:
            while self.index < len(self.tokens) and self.peek().kind == "bare":
                self.take()

    def array(self, path: Path) -> None:
        index = 0
        self.skip_newlines()
        while self.peek().text != "]":
            self.lines[(*path, index)] = self.peek().line
            self.value((*path, index))
            index += 1
            self.skip_newlines()
            if self.peek().text == ",":
                self.take()
                self.skip_newlines()
        self.take()

    def inline_table(self, path: Path) -> None:
        while self.peek().text != "}":
            if self.peek().text == ",":
                self.take()
                continue
            self.pair(path)
        self.take()
