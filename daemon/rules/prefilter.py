"""Which subjects a rule could apply to, as a condition the store can ask SQL about.

A full re-plan (after a reload) must look at every order or parcel a rule could apply to, and a
mirror holds hundreds of thousands that no rule can (delivered, archived). :func:`candidates`
turns each rule's ``active_while`` and ``starts_at`` (or ``fires_when``) into a
:mod:`sync.store.rule_filters` condition that is never narrower than the rule: the parts it
cannot express (numbers, times, functions it does not know) are left out of an ``and`` and make
an ``or`` match everything, and ``not`` is kept only around a part expressed exactly. The engine
still evaluates each candidate with the rule itself, so a wide condition costs time, never
correctness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from daemon.rules.model import ConditionRule, Rule, RuleSet
from daemon.rules.syntax import (
    Call,
    Compare,
    ExpressionError,
    ListOf,
    Literal,
    Logic,
    Name,
    Node,
    parse,
)
from daemon.rules.syntax import Not as NotNode
from sync.domain import TERMINAL_SHIPMENT_STATUSES, SubjectKind
from sync.store.rule_filters import (
    ORDER_COLUMNS,
    SHIPMENT_COLUMNS,
    AllOf,
    Always,
    AnyOf,
    Column,
    Equals,
    Filter,
    HasTag,
    IsSet,
    Negated,
)

_RENAMED = {"customer.name": "customer_name", "customer.email": "email"}


@dataclass(frozen=True, slots=True)
class Part:
    condition: Filter
    exact: bool


def candidates(
    rules: RuleSet,
) -> tuple[dict[str, Filter | None], dict[str, Filter | None]]:
    """Per rule, a condition covering every subject it could apply to (None: every subject):
    the order rules' and the shipment rules'."""
    segments = {segment.name: segment.text for segment in rules.segments}
    orders: dict[str, Filter | None] = {}
    parcels: dict[str, Filter | None] = {}
    for rule in rules.rules:
        if rule.subject is SubjectKind.ORDER:
            orders[rule.id] = rule_filter(rule, segments)
        elif rule.subject is SubjectKind.SHIPMENT:
            parcels[rule.id] = rule_filter(rule, segments)
    return orders, parcels


def rule_filter(rule: Rule, segments: Mapping[str, str]) -> Filter | None:
    """A condition covering every subject ``rule`` could apply to, or None (all of them)."""
    translator = _Translator(segments)
    try:
        if isinstance(rule, ConditionRule):
            part = translator.condition(parse(rule.fires_when.source))
            return None if part is None else part.condition
        active = translator.condition(parse(rule.active_while.source))
        started = _has_value(parse(rule.starts_at.source))
    except ExpressionError:
        return None
    known = [part for part in (active.condition if active else None, started) if part]
    if not known:
        return None
    return known[0] if len(known) == 1 else AllOf(tuple(known))


def _has_value(node: Node) -> Filter | None:
    """A condition true whenever the time ``node`` computes has a value (None: unknown)."""
    if isinstance(node, Name):
        column = column_of(node.path)
        return None if column is None else IsSet(column)
    if not isinstance(node, Call) or not node.args:
        return None
    if node.name in ("before", "after", "day_start"):
        return _has_value(node.args[0])
    if node.name in ("coalesce", "max", "min"):
        parts = [_has_value(arg) for arg in node.args]
        if any(part is None for part in parts):
            return None
        return AnyOf(tuple(part for part in parts if part is not None))
    return None


class _Translator:
    def __init__(self, segments: Mapping[str, str]) -> None:
        self.segments = segments
        self.expanding: set[str] = set()

    def condition(self, node: Node) -> Part | None:
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return Part(Always(node.value), True)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Compare):
            return _compare(node)
        if isinstance(node, Call):
            return _call(node)
        if isinstance(node, NotNode):
            inner = self.condition(node.operand)
            return Part(Negated(inner.condition), True) if inner and inner.exact else None
        if isinstance(node, Logic):
            return self._logic(node)
        return None

    def _logic(self, node: Logic) -> Part | None:
        parts = [self.condition(operand) for operand in node.operands]
        known = [part for part in parts if part is not None]
        exact = len(known) == len(parts) and all(part.exact for part in known)
        if node.op == "and":
            if not known:
                return None
            return Part(AllOf(tuple(part.condition for part in known)), exact)
        if len(known) < len(parts):
            return None  # one side of an "or" could match anything
        return Part(AnyOf(tuple(part.condition for part in known)), exact)

    def _name(self, node: Name) -> Part | None:
        if node.path in ("order.vip", "customer.vip"):
            return Part(HasTag("vip"), True)
        if node.path == "shipment.terminal":
            terminal = tuple(sorted(str(status) for status in TERMINAL_SHIPMENT_STATUSES))
            return Part(Equals(Column("shipment", "status"), terminal), True)
        text = self.segments.get(node.path)
        if text is None or node.path in self.expanding:
            return None
        self.expanding.add(node.path)
        try:
            return self.condition(parse(text))
        except ExpressionError:
            return None
        finally:
            self.expanding.discard(node.path)


def column_of(path: str) -> Column | None:
    """The store column a field is read from, when it is read as is."""
    table, _, name = path.partition(".")
    name = _RENAMED.get(path, name)
    if table in ("order", "customer") and name in ORDER_COLUMNS:
        return Column("order", name)
    if table == "shipment" and name in SHIPMENT_COLUMNS:
        return Column("shipment", name)
    return None


def _compare(node: Compare) -> Part | None:
    field, other = (
        (node.left, node.right) if isinstance(node.left, Name) else (node.right, node.left)
    )
    if not isinstance(field, Name):
        return None
    column = column_of(field.path)
    if column is None or column.name.endswith("_at"):
        return None
    if node.op in ("==", "!=") and isinstance(other, Literal) and isinstance(other.value, str):
        match = Equals(column, (other.value,))
    elif node.op in ("in", "not in") and isinstance(other, ListOf) and field is node.left:
        values = [item.value for item in other.items if isinstance(item, Literal)]
        if not values or not all(isinstance(value, str) for value in values):
            return None
        match = Equals(column, tuple(str(value) for value in values))
    else:
        return None
    if node.op in ("!=", "not in"):
        # A value that is not set compares false either way: "not in" is not simply NOT "in".
        return Part(AllOf((IsSet(column), Negated(match))), True)
    return Part(match, True)


def _call(node: Call) -> Part | None:
    if node.name == "is_set" and len(node.args) == 1 and isinstance(node.args[0], Name):
        column = column_of(node.args[0].path)
        return None if column is None else Part(IsSet(column), True)
    if node.name == "has_tag" and len(node.args) == 1:
        tag = node.args[0]
        if isinstance(tag, Literal) and isinstance(tag.value, str):
            return Part(HasTag(tag.value), True)
    return None
