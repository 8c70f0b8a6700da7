"""``[[inhibit]]``: while one rule's instance is in a muting state, it mutes another rule's
instances that match it.

Any rule can mute any order or parcel rule. They match on every name in ``equal``, each either a
label both rules have, or a name with a meaning of its own:

- ``order``   the same order (order and parcel rules);
- ``carrier`` the same carrier: a parcel's carrier, or one of the carriers a tracking feed
  follows (a feed that follows every carrier matches any), so a stale feed for SF mutes the
  alerts of SF parcels only.

Matching is strict: a name with no value on either side never matches. A :class:`Muting` is
built from the instances that mute right now (:class:`Muter`) and answers, for one target
instance, which rule mutes it and why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from daemon.rules.model import Inhibit, Rule
from daemon.rules.plan import Plan, render_labels
from daemon.rules.subject import Subject
from sync.domain import SubjectKind
from sync.store import SourceTimer

ANY = "*"
"""The carrier of a feed that follows every carrier."""

MatchKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Muter:
    """One instance that may mute others: its rule, state, and per name the values it has."""

    rule_id: str
    state: str
    values: Mapping[str, tuple[str, ...]]
    about: str = ""
    """Who the instance is about (a feed's name, an order number), for explanations."""


def values_of(
    rule: Rule, subject: Subject, names: Sequence[str], now: datetime, planned: Plan | None = None
) -> dict[str, tuple[str, ...]]:
    """The values ``rule``'s instance about ``subject`` has for each of ``names``."""
    labels = dict(rule.labels)
    rendered = render_labels(rule, subject, now, planned) if set(names) & labels.keys() else {}
    found: dict[str, tuple[str, ...]] = {}
    for name in names:
        if name in labels:
            found[name] = (rendered[name],) if rendered.get(name) else ()
        elif name == "order" and subject.kind is not SubjectKind.SOURCE:
            found[name] = (str(subject.order.id),)
        elif name == "carrier" and subject.shipment is not None:
            found[name] = (subject.shipment.carrier,) if subject.shipment.carrier else ()
        elif name == "carrier" and subject.source is not None:
            found[name] = subject.source.carriers or (ANY,)
        else:
            found[name] = ()
    return found


def source_muter(
    timer: SourceTimer, names: Sequence[str], carriers: Mapping[str, tuple[str, ...]]
) -> Muter:
    """A feed rule's stored instance as a muter (its labels were rendered when stored)."""
    values: dict[str, tuple[str, ...]] = {}
    for name in names:
        if name in timer.labels:
            values[name] = (timer.labels[name],) if timer.labels[name] else ()
        elif name == "carrier":
            values[name] = carriers.get(timer.source) or (ANY,)
        else:
            values[name] = ()
    return Muter(timer.rule_id, timer.state, values, timer.source)


@dataclass(frozen=True, slots=True)
class Muting:
    """Per target rule, the inhibit rules and the match keys of the instances muting now."""

    by_target: Mapping[str, tuple[tuple[Inhibit, Mapping[MatchKey, str]], ...]] = field(
        default_factory=dict
    )

    @classmethod
    def of(cls, inhibits: Sequence[Inhibit], muters: Iterable[Muter]) -> Muting:
        found: dict[str, list[tuple[Inhibit, Mapping[MatchKey, str]]]] = {}
        listed = list(muters)
        for inhibit in inhibits:
            keys: dict[MatchKey, str] = {}
            for muter in listed:
                if muter.rule_id != inhibit.source_rule or muter.state not in inhibit.states:
                    continue
                columns = [muter.values.get(name, ()) for name in inhibit.equal]
                for key in itertools.product(*columns):
                    keys.setdefault(key, muter.about)
            if keys:
                found.setdefault(inhibit.target_rule, []).append((inhibit, keys))
        return cls({rule: tuple(pairs) for rule, pairs in found.items()})

    def adding(self, inhibits: Sequence[Inhibit], muters: Iterable[Muter]) -> Muting:
        """This muting with more muting instances (decided in the same pass)."""
        extra = Muting.of(inhibits, muters)
        if not extra.by_target:
            return self
        merged = dict(self.by_target)
        for rule_id, pairs in extra.by_target.items():
            merged[rule_id] = (*merged.get(rule_id, ()), *pairs)
        return Muting(merged)

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(self.by_target)

    def muted_by(self, rule: Rule, subject: Subject, now: datetime, planned: Plan) -> str:
        """The rule muting this instance, or "" when nothing does."""
        found = self.why(rule, subject, now, planned)
        return found[0] if found else ""

    def why(
        self, rule: Rule, subject: Subject, now: datetime, planned: Plan
    ) -> tuple[str, str] | None:
        """(the muting rule, what matched) for this instance, or None when nothing mutes it."""
        pairs = self.by_target.get(rule.id)
        if not pairs:
            return None
        names = sorted({name for inhibit, _ in pairs for name in inhibit.equal})
        values = values_of(rule, subject, names, now, planned)
        for inhibit, keys in pairs:
            columns = [_with_any(name, values.get(name, ())) for name in inhibit.equal]
            for key in itertools.product(*columns):
                if key in keys:
                    return inhibit.source_rule, _matched(inhibit, key, keys[key])
        return None


def _with_any(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """A target's values, plus the wildcard a feed following every carrier has."""
    return (*values, ANY) if name == "carrier" and values else values


def _matched(inhibit: Inhibit, key: MatchKey, about: str) -> str:
    pairs = [f"{name} {value}" for name, value in zip(inhibit.equal, key, strict=True)]
    what = ", ".join(pairs) if pairs else "every instance"
    return f"{about}: {what}" if about else what
