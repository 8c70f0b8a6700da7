"""The rules' expression language: compiled once at load time into plain Python closures.

``order.payment_status == 'paid' and not order.vip`` is tokenized and parsed by
:mod:`daemon.rules.syntax`, then checked here against the field table (:mod:`daemon.rules.schema`)
and turned into nested closures. The shop's text is never handed to ``eval``, ``exec`` or
``ast``: the only things an expression can do are read the fields in the table, compare, combine
and call the few functions below.

Types are checked while compiling: comparing a status with a number, a time with a duration, or a
status with a value outside its vocabulary is an :class:`ExpressionError` with the column. At run
time a missing value (``None``) makes every comparison false, and nothing raises.

Functions: ``max(a, b, …)`` / ``min(a, b, …)`` over numbers, times or durations, ignoring missing
values; ``coalesce(a, b, …)`` the first value that is set; ``is_set(a)``; ``duration('2h')``;
``has_tag('vip')`` (the order carries the tag, in any case); ``before(t, 1d)`` / ``after(t, 1d)``
(a time moved by a duration); ``day_start(t)`` (local midnight of t's day in the file's zone).

A bare name (``vip``) is a named segment: its condition is compiled in place, for the subject of
the rule that uses it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from daemon.rules.functions import FUNCTIONS, Context, Part, constant
from daemon.rules.schema import BOOL, FieldError, Kind, Type, Value, resolve_field
from daemon.rules.subject import Subject
from daemon.rules.syntax import (
    Call,
    Compare,
    ExpressionError,
    ListOf,
    Literal,
    Logic,
    Name,
    Node,
    Not,
    column_of,
    parse,
)
from sync.domain import SubjectKind

__all__ = ["Expr", "ExpressionError", "Subject", "compile_expr"]

_ORDERED = frozenset({Kind.NUMBER, Kind.TIME, Kind.DURATION})
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class Expr:
    """A compiled expression. ``fields`` lists the field paths it reads (through segments too),
    ``segments`` the named segments it uses, ``durations`` the durations written in it (the
    thresholds a time-relative field like ``source.age`` can cross)."""

    source: str
    type: Type
    fields: frozenset[str]
    run: Callable[[Subject], Value]
    segments: frozenset[str] = frozenset()
    durations: frozenset[timedelta] = frozenset()

    def evaluate(self, subject: Subject) -> Value:
        return self.run(subject)

    def holds(self, subject: Subject) -> bool:
        """True only when the expression is true; false when it is false or missing."""
        return self.run(subject) is True

    def instant(self, subject: Subject) -> datetime | None:
        value = self.run(subject)
        return value if isinstance(value, datetime) else None


def compile_expr(
    text: str,
    subject: SubjectKind,
    expect: Kind | None = None,
    *,
    segments: Mapping[str, str] | None = None,
    timezone: str = "UTC",
) -> Expr:
    """``text`` compiled for rules about ``subject``; ``expect`` is the kind its value must have.

    ``segments`` maps segment names to their expressions: a bare name (``vip``) in ``text`` is
    the segment's condition. ``timezone`` is the zone ``day_start()`` works in.
    """
    compiler = _Compiler(subject, segments or {}, Context(timezone))
    part = compiler.compile(parse(text))
    if expect is not None and part.type.kind is not expect:
        raise ExpressionError(f"expected {_a(expect)}, but this gives {_a(part.type)}", 1)
    return Expr(
        text,
        part.type,
        frozenset(compiler.fields),
        part.run,
        frozenset(compiler.used_segments),
        frozenset(compiler.durations),
    )


def _a(kind: Kind | Type) -> str:
    """``kind`` with the article a message needs: "a time", "an order lifecycle", "text"."""
    text = str(kind)
    if kind in {Kind.BOOL, BOOL}:
        return "a true/false condition"
    if text == str(Kind.TEXT):
        return text
    return ("an " if text[0] in "aeiou" else "a ") + text


class _Compiler:
    def __init__(self, subject: SubjectKind, segments: Mapping[str, str], context: Context) -> None:
        self.subject = subject
        self.segments = segments
        self.context = context
        self.fields: set[str] = set()
        self.used_segments: set[str] = set()
        self.durations: set[timedelta] = set()
        self._expanding: list[str] = []

    def compile(self, node: Node) -> Part:
        if isinstance(node, Literal):
            if isinstance(node.value, timedelta):
                self.durations.add(node.value)
            return constant(Type(node.kind), node.value)
        if isinstance(node, ListOf):
            return _list(node)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, Logic):
            return self._logic(node)
        return self._not(node)

    def _name(self, node: Name) -> Part:
        if "." not in node.path and node.path in self.segments:
            return self._segment(node)
        try:
            field = resolve_field(node.path, self.subject)
        except FieldError as error:
            message = str(error)
            if "." not in node.path:
                known = ", ".join(sorted(self.segments)) or "none defined"
                message = f"unknown field or segment {node.path!r} (segments: {known})"
            raise ExpressionError(message, node.column) from None
        self.fields.add(field.path)
        return Part(field.type, field.get)

    def _segment(self, node: Name) -> Part:
        """A segment's condition, compiled in place for this rule's subject."""
        name = node.path
        if name in self._expanding:
            chain = " -> ".join([*self._expanding[self._expanding.index(name) :], name])
            raise ExpressionError(f"segments refer to each other in a loop: {chain}", node.column)
        self.used_segments.add(name)
        self._expanding.append(name)
        try:
            part = self.compile(parse(self.segments[name]))
        except ExpressionError as error:
            raise ExpressionError(f"segment {name!r}: {error.message}", node.column) from None
        finally:
            self._expanding.pop()
        if part.type.kind is not Kind.BOOL:
            raise ExpressionError(
                f"segment {name!r} must be a true/false condition, not {_a(part.type)}",
                node.column,
            )
        return part

    def _call(self, node: Call) -> Part:
        function = FUNCTIONS.get(node.name)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(f"unknown function {node.name!r} (known: {known})", node.column)
        parts = [self.compile(arg) for arg in node.args]
        part = function(node, parts, self.context)
        if part.constant and isinstance(part.value, timedelta):
            self.durations.add(part.value)
        self.fields.update(part.reads)
        return part

    def _compare(self, node: Compare) -> Part:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in {"in", "not in"}:
            return _membership(node, left, right)
        _check_comparable(node, left, right)
        test = _OPERATORS[node.op]
        read_left, read_right = left.run, right.run

        def compare(subject: Subject) -> Value:
            a, b = read_left(subject), read_right(subject)
            return a is not None and b is not None and bool(test(a, b))

        return Part(BOOL, compare)

    def _logic(self, node: Logic) -> Part:
        runs = tuple(self._condition(operand).run for operand in node.operands)
        return Part(BOOL, _all_of(runs) if node.op == "and" else _any_of(runs))

    def _not(self, node: Not) -> Part:
        run = self._condition(node.operand).run
        return Part(BOOL, lambda s: run(s) is False)

    def _condition(self, node: Node) -> Part:
        part = self.compile(node)
        if part.type.kind is not Kind.BOOL:
            raise ExpressionError(
                f"expected a true/false condition, but this gives {_a(part.type)}",
                column_of(node),
            )
        return part


def _list(node: ListOf) -> Part:
    values = []
    kinds = set()
    for item in node.items:
        if not isinstance(item, Literal):
            raise ExpressionError("list items must be plain values", column_of(item))
        values.append(item.value)
        kinds.add(item.kind)
    if len(kinds) > 1:
        shown = " and ".join(sorted(str(kind) for kind in kinds))
        raise ExpressionError(f"a list cannot mix {shown}", node.column)
    item_kind = kinds.pop() if kinds else None
    return constant(Type(Kind.LIST, item=item_kind), tuple(values))


def _check_comparable(node: Compare, left: Part, right: Part) -> None:
    if left.type.kind is not right.type.kind or left.type.kind is Kind.LIST:
        raise ExpressionError(f"cannot compare {_a(left.type)} with {_a(right.type)}", node.column)
    if node.op not in {"==", "!="} and left.type.kind not in _ORDERED:
        raise ExpressionError(
            f"{node.op} needs numbers, times or durations, not {left.type}", node.column
        )
    closed = [part.type for part in (left, right) if part.type.vocabulary]
    if len(closed) == 2 and closed[0] != closed[1]:
        raise ExpressionError(f"cannot compare {_a(left.type)} with {_a(right.type)}", node.column)
    if len(closed) == 1:
        literal = right if left.type.vocabulary else left
        if literal.constant:
            _check_vocabulary(closed[0], literal, _side_column(node, literal is right))


Run = Callable[[Subject], Value]


def _all_of(runs: tuple[Run, ...]) -> Run:
    """``a and b and …`` as nested two-way tests: conditions run for every subject of a
    re-plan, and a generator inside all() costs several times the tests themselves."""
    found = _true(runs[-1])
    for run in reversed(runs[:-1]):
        found = _both(run, found)
    return found


def _any_of(runs: tuple[Run, ...]) -> Run:
    found = _true(runs[-1])
    for run in reversed(runs[:-1]):
        found = _either(run, found)
    return found


def _true(run: Run) -> Run:
    return lambda subject: run(subject) is True


def _both(first: Run, rest: Run) -> Run:
    return lambda subject: first(subject) is True and rest(subject) is True


def _either(first: Run, rest: Run) -> Run:
    return lambda subject: first(subject) is True or rest(subject) is True


def _membership(node: Compare, left: Part, right: Part) -> Part:
    if right.type.kind is not Kind.LIST:
        raise ExpressionError(
            f"'{node.op}' needs a list on its right, not {right.type}", node.column
        )
    if right.type.item is not None and right.type.item is not left.type.kind:
        raise ExpressionError(f"cannot look for {_a(left.type)} in a {right.type}", node.column)
    if left.type.vocabulary and right.constant:
        _check_vocabulary(left.type, right, _side_column(node, right=True))
    negate = node.op == "not in"
    read_left = left.run
    if right.constant:
        members = frozenset(_items(right))

        def among_constants(subject: Subject) -> Value:
            value = read_left(subject)
            return value is not None and (value in members) is not negate

        return Part(BOOL, among_constants)
    read_right = right.run

    def among(subject: Subject) -> Value:
        value, pool = read_left(subject), read_right(subject)
        if value is None or not isinstance(pool, tuple):
            return False
        return (value in pool) is not negate

    return Part(BOOL, among)


def _items(part: Part) -> tuple[object, ...]:
    """The value of a constant part, as a tuple."""
    return part.value if isinstance(part.value, tuple) else (part.value,)


def _check_vocabulary(closed: Type, literal: Part, column: int) -> None:
    for value in _items(literal):
        if value not in closed.vocabulary:
            allowed = ", ".join(sorted(closed.vocabulary))
            raise ExpressionError(f"{value!r} is not {_a(closed)} (one of: {allowed})", column)


def _side_column(node: Compare, right: bool) -> int:
    return column_of(node.right if right else node.left)
