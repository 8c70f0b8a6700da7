"""Reading rule expressions: characters → tokens → a small syntax tree. Nothing here runs code.

Grammar, loosest binding first::

    expr       := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := operand [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') operand]
    operand    := number | duration | string | 'true' | 'false' | list
                | name ['(' [expr (',' expr)*] ')'] | '(' expr ')'
    list       := '[' [operand (',' operand)* [',']] ']'

A name is a dotted field path (``order.paid_at``) or, before ``(``, a function. Whether a name
exists and whether types fit is decided later, in :mod:`daemon.rules.expr`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from daemon.rules.durations import DurationError, parse_duration
from daemon.rules.schema import Kind, Scalar

MAX_LENGTH = 2000
MAX_DEPTH = 40

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<duration>\d+[a-zA-Z][a-zA-Z0-9]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|<|>|[()\[\],])
    """,
    re.VERBOSE,
)

_MISTAKES = {
    "=": "use == to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' (or != to compare)",
    "+": "arithmetic is not supported",
    "-": "arithmetic is not supported",
    "*": "arithmetic is not supported",
    "/": "arithmetic is not supported",
}


class ExpressionError(ValueError):
    """An expression that cannot be compiled; ``column`` (1-based) points at the problem."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column

    def located(self, text: str) -> str:
        """The message with its place in ``text``; an expression written over several lines
        gets a line too, counted from the expression's first line."""
        before = text[: self.column - 1]
        if "\n" not in before:
            return f"column {self.column}: {self.message}"
        line = before.count("\n") + 1
        column = len(before) - before.rfind("\n")
        return f"line {line} of the expression, column {column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    column: int
    value: Scalar | None = None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        column = position + 1
        if match is None:
            raise ExpressionError(_unexpected(text, position), column)
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_token(kind, match.group(), column))
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _unexpected(text: str, position: int) -> str:
    char = text[position]
    if char in "'\"":
        return "string is not closed"
    hint = _MISTAKES.get(char)
    return f"unexpected {char!r}" + (f": {hint}" if hint else "")


def _token(kind: str, text: str, column: int) -> Token:
    if kind == "duration":
        try:
            return Token(kind, text, column, parse_duration(text))
        except DurationError as error:
            raise ExpressionError(str(error), column) from None
    if kind == "number":
        return Token(kind, text, column, Decimal(text))
    if kind == "string":
        return Token(kind, text, column, re.sub(r"\\(.)", r"\1", text[1:-1]))
    if kind == "name" and text in KEYWORDS:
        return Token("keyword", text, column)
    return Token(kind, text, column)


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar
    kind: Kind
    column: int


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Node, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    path: str
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class Logic:
    op: str
    operands: tuple[Node, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    column: int


Node = Literal | ListOf | Name | Call | Compare | Logic | Not

_LITERAL_KINDS = {"number": Kind.NUMBER, "duration": Kind.DURATION, "string": Kind.TEXT}


def parse(text: str) -> Node:
    """The syntax tree of ``text``, or :class:`ExpressionError` at the first problem."""
    parser = _Parser(tokenize(text))
    if parser.peek().kind == "end":
        raise ExpressionError("empty expression", 1)
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise ExpressionError(
            f"unexpected {token.text!r} after a complete expression", token.column
        )
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind in {"op", "keyword"} and token.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str, what: str) -> None:
        if not self.accept(text):
            token = self.peek()
            found = "the end" if token.kind == "end" else repr(token.text)
            raise ExpressionError(f"expected {what}, found {found}", token.column)

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", self.peek().column)
        node = self._chain("or", self._and)
        self.depth -= 1
        return node

    def _and(self) -> Node:
        return self._chain("and", self._not)

    def _chain(self, op: str, operand: Callable[[], Node]) -> Node:
        first = operand()
        operands = [first]
        while self.accept(op):
            operands.append(operand())
        if len(operands) == 1:
            return first
        return Logic(op, tuple(operands), column_of(first))

    def _not(self) -> Node:
        token = self.peek()
        if token.kind == "keyword" and token.text == "not" and self.peek(1).text != "in":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError("expression nested too deeply", token.column)
            node = Not(self._not(), token.column)
            self.depth -= 1
            return node
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._operand()
        op = self._comparison_op()
        if op is None:
            return left
        op_token = self.tokens[self.index - 1]
        node = Compare(op, left, self._operand(), op_token.column)
        if self._comparison_op() is not None:
            column = self.tokens[self.index - 1].column
            raise ExpressionError("comparisons cannot be chained: join them with 'and'", column)
        return node

    def _comparison_op(self) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.take()
            return token.text
        if token.kind == "keyword" and token.text == "in":
            self.take()
            return "in"
        if token.kind == "keyword" and token.text == "not" and self.peek(1).text == "in":
            self.take()
            self.take()
            return "not in"
        return None

    def _operand(self) -> Node:
        token = self.take()
        if token.kind in _LITERAL_KINDS and token.value is not None:
            return Literal(token.value, _LITERAL_KINDS[token.kind], token.column)
        if token.kind == "keyword" and token.text in {"true", "false"}:
            return Literal(token.text == "true", Kind.BOOL, token.column)
        if token.kind == "name":
            return self._name(token)
        if token.text == "(" and token.kind == "op":
            node = self.expression()
            self.expect(")", "')'")
            return node
        if token.text == "[" and token.kind == "op":
            return self._list(token)
        found = "the end of the expression" if token.kind == "end" else repr(token.text)
        raise ExpressionError(f"expected a value, found {found}", token.column)

    def _name(self, token: Token) -> Node:
        if not self.accept("("):
            return Name(token.text, token.column)
        args: list[Node] = []
        if not self.accept(")"):
            args.append(self.expression())
            while self.accept(","):
                args.append(self.expression())
            self.expect(")", "',' or ')'")
        return Call(token.text, tuple(args), token.column)

    def _list(self, token: Token) -> Node:
        items: list[Node] = []
        while not self.accept("]"):
            items.append(self._operand())
            if not self.accept(","):
                self.expect("]", "',' or ']'")
                break
        return ListOf(tuple(items), token.column)


def column_of(node: Node) -> int:
    """Where ``node`` starts in the expression text (1-based)."""
    if isinstance(node, Compare):
        return column_of(node.left)
    if isinstance(node, Logic):
        return column_of(node.operands[0])
    return node.column
