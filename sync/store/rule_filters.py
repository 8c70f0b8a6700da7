"""Conditions on orders and parcels for the rules engine, as data, that the store turns into SQL.

The rules engine describes which subjects *might* match a rule with these few shapes; the store
renders them over its own columns, so a full re-plan reads only the orders a rule could apply to
instead of every order in the mirror. A description may be wider than the rule (the engine checks
each candidate exactly); it must never be narrower.

Comparisons follow the rules language: a comparison with a value that is not set is false, and
``not`` of it is true.
"""

from __future__ import annotations

from dataclasses import dataclass

ORDER_COLUMNS = frozenset(
    {
        "number",
        "source",
        "channel",
        "payment_status",
        "fulfillment_status",
        "lifecycle",
        "currency",
        "country",
        "province",
        "city",
        "customer_name",
        "email",
        "created_at",
        "updated_at",
        "paid_at",
        "promised_at",
        "reserved_at",
        "picked_at",
        "packed_at",
        "handed_over_at",
    }
)
SHIPMENT_COLUMNS = frozenset(
    {
        "status",
        "status_raw",
        "carrier",
        "tracking_number",
        "tracked_by",
        "shipped_at",
        "last_checkpoint_at",
        "delivered_at",
    }
)
_ALIASES = {"order": ("o", ORDER_COLUMNS), "shipment": ("s", SHIPMENT_COLUMNS)}


@dataclass(frozen=True, slots=True)
class Column:
    """``table`` is "order" or "shipment"; ``name`` one of its columns above."""

    table: str
    name: str


@dataclass(frozen=True, slots=True)
class Equals:
    column: Column
    values: tuple[str, ...]
    """One value for ==, several for ``in``."""


@dataclass(frozen=True, slots=True)
class IsSet:
    column: Column


@dataclass(frozen=True, slots=True)
class HasTag:
    tag: str


@dataclass(frozen=True, slots=True)
class Always:
    value: bool


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Negated:
    part: Filter


Filter = Equals | IsSet | HasTag | Always | AllOf | AnyOf | Negated


def render(condition: Filter, params: list[object]) -> str:
    """``condition`` as SQL over ``orders o`` (and ``shipments s``), always 0 or 1."""
    if isinstance(condition, Equals):
        params.extend(condition.values)
        marks = ", ".join("?" * len(condition.values))
        return f"coalesce({_column(condition.column)} IN ({marks}), 0)"
    if isinstance(condition, IsSet):
        return f"({_column(condition.column)} IS NOT NULL)"
    if isinstance(condition, HasTag):
        params.append(condition.tag.lower())
        return "EXISTS (SELECT 1 FROM json_each(o.tags) WHERE lower(value) = ?)"
    if isinstance(condition, Always):
        return "1" if condition.value else "0"
    if isinstance(condition, Negated):
        return f"(NOT {render(condition.part, params)})"
    joiner = " AND " if isinstance(condition, AllOf) else " OR "
    if not condition.parts:
        return "1" if isinstance(condition, AllOf) else "0"
    return "(" + joiner.join(render(part, params) for part in condition.parts) + ")"


def _column(column: Column) -> str:
    alias, allowed = _ALIASES[column.table]
    if column.name not in allowed:
        raise ValueError(f"no column {column.table}.{column.name}")
    return f"{alias}.{column.name}"
