"""The functions rule expressions may call, each type-checked when the expression compiles.

Adding one means adding a builder to :data:`FUNCTIONS`: it receives the call's syntax node and its
compiled arguments, checks them, and returns the compiled call. Nothing else is callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from daemon.rules.calendar import local_to_utc
from daemon.rules.durations import DurationError, parse_duration
from daemon.rules.schema import BOOL, DURATION, TIME, Kind, Scalar, Type, Value
from daemon.rules.subject import Subject
from daemon.rules.syntax import Call, ExpressionError, column_of

_ORDERED = frozenset({Kind.NUMBER, Kind.TIME, Kind.DURATION})


@dataclass(frozen=True, slots=True)
class Part:
    """A compiled piece of an expression. A constant also carries its ``value``."""

    type: Type
    run: Callable[[Subject], Value]
    constant: bool = False
    value: Value = None
    reads: frozenset[str] = frozenset()


def constant(type_: Type, value: Value) -> Part:
    return Part(type_, lambda _subject: value, constant=True, value=value)


@dataclass(frozen=True, slots=True)
class Context:
    """What a function may need to know about the file it is compiled for."""

    timezone: str = "UTC"


Builder = Callable[[Call, list[Part], Context], Part]


def _arity(node: Call, parts: list[Part], least: int, most: int | None = None) -> None:
    if len(parts) < least or (most is not None and len(parts) > most):
        if most == least:
            wanted = f"exactly {least}"
        elif most is None:
            wanted = f"at least {least}"
        else:
            wanted = f"{least} to {most}"
        raise ExpressionError(
            f"{node.name}() takes {wanted} argument{'s' if wanted != 'exactly 1' else ''}, "
            f"got {len(parts)}",
            node.column,
        )


def _same_type(node: Call, parts: list[Part], allowed: frozenset[Kind] | None = None) -> Type:
    first = parts[0].type
    for arg, part in zip(node.args, parts, strict=True):
        if allowed is not None and part.type.kind not in allowed:
            raise ExpressionError(
                f"{node.name}() works on numbers, times or durations, not {part.type}",
                column_of(arg),
            )
        if part.type.kind is not first.kind:
            raise ExpressionError(
                f"{node.name}() cannot mix {first} and {part.type}", column_of(arg)
            )
    same = all(part.type == first for part in parts)
    return first if same else Type(first.kind)


def _extreme(pick: Callable[[list[Scalar]], Scalar]) -> Builder:
    def build(node: Call, parts: list[Part], _context: Context) -> Part:
        _arity(node, parts, 1)
        result = _same_type(node, parts, _ORDERED)
        runs = [part.run for part in parts]

        def run(subject: Subject) -> Value:
            values = [value for read in runs if isinstance(value := read(subject), Scalar)]
            return pick(values) if values else None

        return Part(result, run)

    return build


def _coalesce(node: Call, parts: list[Part], _context: Context) -> Part:
    _arity(node, parts, 1)
    result = _same_type(node, parts)
    runs = [part.run for part in parts]

    def run(subject: Subject) -> Value:
        for read in runs:
            value = read(subject)
            if value is not None:
                return value
        return None

    return Part(result, run)


def _is_set(node: Call, parts: list[Part], _context: Context) -> Part:
    _arity(node, parts, 1, 1)
    read = parts[0].run
    return Part(BOOL, lambda subject: read(subject) is not None)


def _text_constant(node: Call, parts: list[Part], example: str) -> str:
    _arity(node, parts, 1, 1)
    part = parts[0]
    if not part.constant or not isinstance(part.value, str):
        raise ExpressionError(
            f"{node.name}() takes a quoted text, e.g. {node.name}('{example}')",
            column_of(node.args[0]),
        )
    return part.value


def _duration(node: Call, parts: list[Part], _context: Context) -> Part:
    text = _text_constant(node, parts, "2h")
    try:
        value = parse_duration(text)
    except DurationError as error:
        raise ExpressionError(str(error), column_of(node.args[0])) from None
    return constant(DURATION, value)


def _has_tag(node: Call, parts: list[Part], _context: Context) -> Part:
    tag = _text_constant(node, parts, "vip").lower()

    def run(subject: Subject) -> Value:
        return any(candidate.lower() == tag for candidate in subject.order.tags)

    return Part(BOOL, run, reads=frozenset({"order.tags"}))


def _shift(sign: int) -> Builder:
    def build(node: Call, parts: list[Part], _context: Context) -> Part:
        _arity(node, parts, 2, 2)
        when, amount = parts
        if when.type.kind is not Kind.TIME:
            raise ExpressionError(
                f"{node.name}() takes a time first, not {when.type}", column_of(node.args[0])
            )
        if amount.type.kind is not Kind.DURATION:
            raise ExpressionError(
                f"{node.name}() takes a duration second, e.g. {node.name}(order.paid_at, 1d)",
                column_of(node.args[1]),
            )
        read_when, read_amount = when.run, amount.run

        def run(subject: Subject) -> Value:
            instant, delta = read_when(subject), read_amount(subject)
            if not isinstance(instant, datetime) or not isinstance(delta, timedelta):
                return None
            return instant + sign * delta

        return Part(TIME, run)

    return build


def _day_start(node: Call, parts: list[Part], context: Context) -> Part:
    _arity(node, parts, 1, 1)
    if parts[0].type.kind is not Kind.TIME:
        raise ExpressionError(
            f"day_start() takes a time, not {parts[0].type}", column_of(node.args[0])
        )
    zone = ZoneInfo(context.timezone)
    read = parts[0].run

    def run(subject: Subject) -> Value:
        instant = read(subject)
        if not isinstance(instant, datetime):
            return None
        midnight = datetime.combine(instant.astimezone(zone).date(), time())
        return datetime.fromtimestamp(local_to_utc(midnight, zone, True), UTC)

    return Part(TIME, run)


def _max(values: list[Scalar]) -> Scalar:
    return max(values)


def _min(values: list[Scalar]) -> Scalar:
    return min(values)


FUNCTIONS: dict[str, Builder] = {
    "max": _extreme(_max),
    "min": _extreme(_min),
    "coalesce": _coalesce,
    "is_set": _is_set,
    "duration": _duration,
    "has_tag": _has_tag,
    "before": _shift(-1),
    "after": _shift(1),
    "day_start": _day_start,
}
