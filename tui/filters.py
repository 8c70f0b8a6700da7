"""The filter language of ``/``: free text plus ``field:value`` tokens.

``status:exception carrier:sf age:>2d assignee:me channel:woo`` narrows a view to orders whose
status (any axis, or a parcel's) is exception, shipped with SF, placed more than two days ago,
with an open escalation assigned to this agent, from a channel or source starting with "woo".
A leading ``!`` negates a token; commas give alternatives (``parcel:exception,delayed``).
Anything that is not a token is free text for the look-up index.

Parsing is pure: the agent, the current instant and their zone are passed in, and every problem
is collected (the filter still runs with the tokens that were understood).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sync.carriers import normalize_carrier
from sync.domain import FulfillmentStatus, Lifecycle, PaymentStatus, ShipmentStatus
from sync.store.filters import Field, Filter, Moment, OneOf, Stage, Within

_TOKEN = re.compile(r"(?P<negate>!?)(?P<name>[a-z_]+):(?P<value>\S*)", re.IGNORECASE)
_SPAN = re.compile(r"(?P<op>[<>]=?)?(?P<amount>\d+)(?P<unit>[mhdw])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNITS["w"] = timedelta(weeks=1)

_ALIASES: dict[str, Field | str] = {
    "status": Field.STATUS,
    "st": Field.STATUS,
    "payment": Field.PAYMENT,
    "pay": Field.PAYMENT,
    "fulfillment": Field.FULFILLMENT,
    "fulfilment": Field.FULFILLMENT,
    "lifecycle": Field.LIFECYCLE,
    "order": Field.LIFECYCLE,
    "parcel": Field.PARCEL,
    "ship": Field.PARCEL,
    "carrier": Field.CARRIER,
    "courier": Field.CARRIER,
    "channel": Field.CHANNEL,
    "source": Field.CHANNEL,
    "assignee": Field.ASSIGNEE,
    "assigned": Field.ASSIGNEE,
    "escalation": Field.ESCALATION,
    "esc": Field.ESCALATION,
    "rule": Field.RULE,
    "stage": Field.STAGE,
    "age": "age",
    "due": "due",
}

FIELD_NAMES = (
    "status",
    "payment",
    "fulfillment",
    "lifecycle",
    "parcel",
    "carrier",
    "channel",
    "assignee",
    "escalation",
    "rule",
    "stage",
    "age",
    "due",
)
"""The field names as the help and the filter bar's hint list them."""

_VOCABULARY: dict[Field, frozenset[str]] = {
    Field.PAYMENT: frozenset(PaymentStatus),
    Field.FULFILLMENT: frozenset(FulfillmentStatus),
    Field.LIFECYCLE: frozenset(Lifecycle),
    Field.PARCEL: frozenset(ShipmentStatus),
    Field.STAGE: frozenset(Stage),
    Field.ESCALATION: frozenset({"firing", "warning", "acknowledged", "snoozed", "open"}),
}
_VOCABULARY[Field.STATUS] = frozenset().union(
    *(_VOCABULARY[f] for f in (Field.PAYMENT, Field.FULFILLMENT, Field.LIFECYCLE, Field.PARCEL))
)
_SYNONYMS = {"acked": "acknowledged", "handed": "handed_over", "unpaid": "pending"}


@dataclass(frozen=True, slots=True)
class Context:
    """What tokens are read against: ``me`` is the agent, times are in their zone."""

    agent: str
    now: datetime
    zone: tzinfo


@dataclass(frozen=True, slots=True)
class Parsed:
    text: str
    """The free text, for the look-up index."""
    filters: tuple[Filter, ...]
    problems: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.text and not self.filters


def parse(line: str, context: Context) -> Parsed:
    words: list[str] = []
    filters: list[Filter] = []
    problems: list[str] = []
    for word in line.split():
        token = _TOKEN.fullmatch(word)
        if token is None:
            words.append(word)
            continue
        name = token["name"].lower()
        field = _ALIASES.get(name)
        if field is None:
            problems.append(f"unknown field “{name}” ({_suggest(name, FIELD_NAMES)})")
            continue
        try:
            one = _token(field, token["value"], context)
        except ValueError as problem:
            problems.append(f"{name}: {problem}")
            continue
        negate = bool(token["negate"])
        filters.append(_negated(one) if negate else one)
    return Parsed(" ".join(words), tuple(filters), tuple(problems))


def _negated(one: Filter) -> Filter:
    if isinstance(one, OneOf):
        return OneOf(one.field, one.values, negate=True)
    return Within(one.moment, one.after, one.before, negate=True)


def _suggest(word: str, choices: tuple[str, ...] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"did you mean “{close[0]}”?" if close else "try " + ", ".join(sorted(choices)[:6])


def _token(field: Field | str, value: str, context: Context) -> Filter:
    if not value:
        raise ValueError("a value is needed after the colon")
    if field == "age":
        return _age(value.lower(), context)
    if field == "due":
        return _due(value.lower(), context)
    assert isinstance(field, Field)
    values = [v for v in value.split(",") if v]
    if field is Field.ESCALATION and "snoozed" in values:
        if len(values) > 1:
            raise ValueError("“snoozed” cannot be combined with other states")
        return Within(Moment.SNOOZED, after=context.now)
    return OneOf(field, tuple(dict.fromkeys(_value(field, v, context) for v in values)))


def _value(field: Field, raw: str, context: Context) -> str:
    if field is Field.CARRIER:
        return normalize_carrier(raw) or raw.lower()
    if field is Field.ASSIGNEE:
        lowered = raw.lower()
        if lowered == "me":
            return context.agent
        return "" if lowered in {"none", "nobody"} else raw
    if field in (Field.CHANNEL, Field.RULE):
        return raw.lower() if field is Field.CHANNEL else raw
    word = raw.lower().replace("-", "_")
    word = _SYNONYMS.get(word, word)
    vocabulary = _VOCABULARY[field]
    if word not in vocabulary:
        raise ValueError(f"unknown value “{raw}” ({_suggest(word, vocabulary)})")
    return word


def _span(value: str) -> tuple[str, timedelta]:
    match = _SPAN.fullmatch(value)
    if match is None:
        raise ValueError(f"“{value}” is not a span like >2d, <4h, >=30m")
    return match["op"] or ">", int(match["amount"]) * _UNITS[match["unit"]]


def _end_of_day(context: Context, days: int) -> datetime:
    local = context.now.astimezone(context.zone).date() + timedelta(days=days + 1)
    return datetime.combine(local, time(0), context.zone)


def _age(value: str, context: Context) -> Within:
    if value == "today":
        return Within(Moment.CREATED, after=_end_of_day(context, -1))
    op, span = _span(value)
    bound = context.now - span
    # Older than a span means placed before now minus the span.
    if op.startswith(">"):
        return Within(Moment.CREATED, before=bound)
    return Within(Moment.CREATED, after=bound)


def _due(value: str, context: Context) -> Within:
    named = {
        "today": lambda: _end_of_day(context, 0),
        "tomorrow": lambda: _end_of_day(context, 1),
        "overdue": lambda: context.now,
        "late": lambda: context.now,
    }
    if value in named:
        return Within(Moment.DUE, before=named[value]())
    op, span = _span(value)
    bound = context.now + span
    if op.startswith("<"):
        return Within(Moment.DUE, before=bound)
    return Within(Moment.DUE, after=bound)
