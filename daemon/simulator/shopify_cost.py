"""How the simulated Shopify reads a GraphQL query: its fields with their arguments, and what
the query costs.

Not a GraphQL parser: a tokenizer and a walk over nested selections, enough for the queries an
order desk sends (no fragments or directives). A connection's node is what ``nodes`` or ``edges
{ node }`` selects; ``pageInfo`` and ``cursor`` ride along free. Before running a query Shopify
asks the *requested* cost, counting ``first`` nodes everywhere, and refuses it over
:data:`MAX_QUERY_COST`; afterwards it charges the *actual* cost, counting only the nodes it
returned. How fields are priced is the shop's :class:`CostModel`:

- ``classic`` (the default): Shopify's published rule. A scalar or an enum costs 0, an object 1,
  and a field taking ``first`` (a connection, or a list such as ``fulfillments``) 2 plus
  ``first`` times the cost of one node, so nested sizes multiply.
- ``current``: a model of how live shops price nested connections today, far below the published
  rule (a Shopify community thread, "Unexpectedly Low GraphQL Query Cost in Shopify Admin API",
  shows ``product(id) { variants(first: 250) { nodes { inventoryItem { id tracked } } } }``
  answered with ``requestedQueryCost`` 25 where the rule gives 503). Here a sized field costs 2
  plus its nodes' cost divided by :data:`CURRENT_SHARE`, rounded up: that query comes to 28. It
  is a model with the thread's order of magnitude, not Shopify's formula, which is unpublished.
- ``strict``: the published rule marked up by half (:data:`STRICT_MARKUP`), a shop pricing above
  what a client works out, to test how a client copes with ``MAX_COST_EXCEEDED``. An
  ``order(id:)`` query asking 50 fulfillments (755 points by the rule) is refused under it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]
MAX_QUERY_COST = 1000
OBJECT_COST = 1
CONNECTION_COST = 2
CURRENT_SHARE = 20
"""Under ``current``, what a connection's nodes cost by the published rule is divided by this."""
STRICT_MARKUP = 1.5
"""Under ``strict``, what a query costs by the published rule is multiplied by this."""
_TOKEN = re.compile(r'\s+|,|#[^\n]*|"(?:\\.|[^"\\])*"|\$?[_A-Za-z][_0-9A-Za-z]*|-?\d+|\.\.\.|.')


class CostModel(StrEnum):
    """How the simulated shop prices a query (see the module docstring)."""

    CLASSIC = "classic"
    CURRENT = "current"
    STRICT = "strict"


class QuerySyntaxError(ValueError):
    """A query text this reader cannot follow."""


@dataclass(frozen=True, slots=True)
class Selected:
    """One selected field: its response key, its arguments as written, its own selection."""

    name: str
    key: str
    arguments: tuple[tuple[str, str], ...]
    fields: tuple[Selected, ...]

    def argument(self, name: str, variables: Mapping[str, Any]) -> Any:
        """An argument's value: a literal read, a ``$variable`` looked up; None when absent."""
        for key, text in self.arguments:
            if key == name:
                return _value(text, variables)
        return None

    def size(self, variables: Mapping[str, Any]) -> int | None:
        """How many nodes the field asks for, or None for a plain object."""
        first = self.argument("first", variables)
        if first is None:
            first = self.argument("last", variables)
        return None if first is None else max(0, int(first))

    def child(self, name: str) -> Selected | None:
        return next((f for f in self.fields if f.name == name), None)

    def node_fields(self) -> tuple[Selected, ...]:
        """The selection of one node of a connection or list field."""
        nodes = self.child("nodes")
        if nodes is not None:
            return nodes.fields
        edges = self.child("edges")
        node = edges.child("node") if edges is not None else None
        if node is not None:
            return node.fields
        return self.fields

    def find(self, name: str) -> Selected | None:
        """The first field called ``name`` anywhere below this one."""
        for field in self.fields:
            if field.name == name:
                return field
            found = field.find(name)
            if found is not None:
                return found
        return None


def _value(text: str, variables: Mapping[str, Any]) -> Any:
    if text.startswith("$"):
        return variables.get(text[1:])
    if text == "null":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # an enum value


@functools.lru_cache(maxsize=64)
def parse(text: str) -> Selected:
    """The query's operation as a field named ``query`` whose fields are its root fields."""
    tokens = [t for t in _TOKEN.findall(text) if t.strip() and t != "," and t[0] != "#"]
    position = 0
    if tokens and tokens[0] in ("query", "mutation"):
        position = 1
        if position < len(tokens) and tokens[position] not in ("(", "{"):
            position += 1
        if position < len(tokens) and tokens[position] == "(":
            position = _skip(tokens, position, "(", ")")
    fields, position = _selection(tokens, position)
    if position != len(tokens):
        raise QuerySyntaxError(f"unexpected {tokens[position]!r} after the operation")
    return Selected("query", "query", (), fields)


def _skip(tokens: list[str], position: int, opening: str, closing: str) -> int:
    depth = 0
    for index in range(position, len(tokens)):
        depth += (tokens[index] == opening) - (tokens[index] == closing)
        if depth == 0:
            return index + 1
    raise QuerySyntaxError(f"unbalanced {opening!r}")


def _selection(tokens: list[str], position: int) -> tuple[tuple[Selected, ...], int]:
    if position >= len(tokens) or tokens[position] != "{":
        raise QuerySyntaxError("expected a selection in braces")
    position += 1
    fields: list[Selected] = []
    while position < len(tokens) and tokens[position] != "}":
        field, position = _field(tokens, position)
        fields.append(field)
    if position >= len(tokens):
        raise QuerySyntaxError("unbalanced '{'")
    return tuple(fields), position + 1


def _field(tokens: list[str], position: int) -> tuple[Selected, int]:
    key = name = tokens[position]
    if not re.fullmatch(r"[_A-Za-z]\w*", name):
        raise QuerySyntaxError(f"unexpected {name!r} where a field belongs")
    position += 1
    if position + 1 < len(tokens) and tokens[position] == ":":
        name, position = tokens[position + 1], position + 2
    arguments: list[tuple[str, str]] = []
    if position < len(tokens) and tokens[position] == "(":
        end = _skip(tokens, position, "(", ")")
        inner = tokens[position + 1 : end - 1]
        index = 0
        while index < len(inner):
            if index + 2 >= len(inner) or inner[index + 1] != ":":
                raise QuerySyntaxError(f"unreadable arguments of {name!r}")
            value = inner[index + 2]
            if value in ("[", "{"):
                stop = _skip(inner, index + 2, value, "]" if value == "[" else "}")
                arguments.append((inner[index], "".join(inner[index + 2 : stop])))
                index = stop
            else:
                arguments.append((inner[index], value))
                index += 3
        position = end
    fields: tuple[Selected, ...] = ()
    if position < len(tokens) and tokens[position] == "{":
        fields, position = _selection(tokens, position)
    return Selected(name, key, tuple(arguments), fields), position


def requested_cost(
    field: Selected, variables: Mapping[str, Any], model: CostModel = CostModel.CLASSIC
) -> int:
    """What Shopify asks for ``field``'s selection before running it (``first`` nodes each)."""
    return marked_up(_requested_selection(field.fields, variables, model), model)


def _requested_selection(
    fields: tuple[Selected, ...], variables: Mapping[str, Any], model: CostModel
) -> int:
    return sum(_requested(f, variables, model) for f in fields)


def _requested(field: Selected, variables: Mapping[str, Any], model: CostModel) -> int:
    if not field.fields:
        return 0
    size = field.size(variables)
    if size is None:
        return OBJECT_COST + _requested_selection(field.fields, variables, model)
    node = OBJECT_COST + _requested_selection(field.node_fields(), variables, model)
    return connection_cost(size * node, model)


def connection_cost(nodes: int, model: CostModel) -> int:
    """What a sized field costs whose nodes together cost ``nodes`` by the published rule."""
    if model is CostModel.CURRENT:
        return CONNECTION_COST + -(-nodes // CURRENT_SHARE)
    return CONNECTION_COST + nodes


def marked_up(points: int, model: CostModel) -> int:
    """A whole query's cost as the shop states it."""
    return math.ceil(points * STRICT_MARKUP) if model is CostModel.STRICT else points


def actual_cost(
    fields: tuple[Selected, ...], data: Mapping[str, Any], model: CostModel = CostModel.CLASSIC
) -> int:
    """What Shopify charges for ``fields`` as answered in ``data``: the nodes really returned."""
    return marked_up(_actual(fields, data, model), model)


def node_cost(fields: tuple[Selected, ...], node: Mapping[str, Any], model: CostModel) -> int:
    """What one returned node of a connection counts toward its connection's actual cost."""
    return OBJECT_COST + _actual(fields, node, model)


def _actual(fields: tuple[Selected, ...], data: Mapping[str, Any], model: CostModel) -> int:
    total = 0
    for field in fields:
        value = data.get(field.key)
        if not field.fields or value is None:
            continue
        if not _is_sized(field):
            total += OBJECT_COST + _actual(field.fields, value, model)
            continue
        if isinstance(value, list):
            nodes = value
        else:
            nodes = value.get("nodes") or [edge["node"] for edge in value.get("edges") or ()]
        each = field.node_fields()
        total += connection_cost(sum(node_cost(each, n, model) for n in nodes), model)
    return total


def _is_sized(field: Selected) -> bool:
    return any(key in ("first", "last") for key, _ in field.arguments)


def max_cost_body(cost: int) -> JSON:
    """Shopify's answer to a query over the single-query limit: no data, no bucket figures."""
    return {
        "errors": [
            {
                "message": f"Query cost is {cost}, which exceeds the single query max cost limit "
                f"({MAX_QUERY_COST}).\n\nSee https://shopify.dev/docs/api/usage/rate-limits "
                "for more information on how the\ncost of a query is calculated.\n",
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": cost,
                    "maxCost": MAX_QUERY_COST,
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
    }
