"""A strict reader of the Prometheus text exposition format (0.0.4), for tests.

It refuses what Prometheus would refuse: bad metric or label names, a sample before its family's
TYPE, a family split in two groups, a repeated series, a counter not ending in ``_total``, a value
that is not a number, a label value with a bad escape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"summary": ("_sum", "_count", ""), "histogram": ("_bucket", "_sum", "_count")}

Series = tuple[str, tuple[tuple[str, str], ...]]


class ExpositionError(ValueError):
    pass


@dataclass
class Family:
    name: str
    kind: str = "untyped"
    help: str = ""
    samples: dict[Series, float] = field(default_factory=dict)


def _labels(text: str, line: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """The labels at the start of ``text`` (just after "{"), and what follows the "}"."""
    labels: list[tuple[str, str]] = []
    rest = text
    while True:
        rest = rest.lstrip()
        if rest.startswith("}"):
            return tuple(sorted(labels)), rest[1:]
        match = LABEL.match(rest)
        if not match or not rest[match.end() :].startswith('="'):
            raise ExpositionError(f"bad label in {line!r}")
        name, rest = match.group(), rest[match.end() + 2 :]
        value, rest = _quoted(rest, line)
        if name.startswith("__") or name in dict(labels):
            raise ExpositionError(f"reserved or repeated label {name} in {line!r}")
        labels.append((name, value))
        rest = rest.lstrip()
        if rest.startswith(","):
            rest = rest[1:]
        elif not rest.startswith("}"):
            raise ExpositionError(f"expected , or }} in {line!r}")


def _quoted(text: str, line: str) -> tuple[str, str]:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            return "".join(out), text[index + 1 :]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in {"\\", '"', "n"}:
                raise ExpositionError(f"bad escape in {line!r}")
            out.append("\n" if escaped == "n" else escaped)
            index += 2
            continue
        if char == "\n":
            raise ExpositionError(f"raw newline in a label value: {line!r}")
        out.append(char)
        index += 1
    raise ExpositionError(f"unterminated label value in {line!r}")


def _value(text: str, line: str) -> float:
    parts = text.split()
    if len(parts) not in (1, 2):
        raise ExpositionError(f"expected a value (and a timestamp) in {line!r}")
    if parts[0] in {"NaN", "+Inf", "-Inf"}:
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}[parts[0]]
    try:
        return float(parts[0])
    except ValueError:
        raise ExpositionError(f"not a number in {line!r}") from None


def _family_of(name: str, families: dict[str, Family]) -> Family:
    for family in families.values():
        for suffix in SUFFIXES.get(family.kind, ("",)):
            if name == family.name + suffix:
                return family
    raise ExpositionError(f"sample {name} before its # TYPE")


def _comment(line: str, families: dict[str, Family], done: set[str]) -> str | None:
    parts = line.split(None, 3)
    if len(parts) < 3 or parts[1] not in {"HELP", "TYPE"}:
        return None
    name = parts[2]
    if not NAME.fullmatch(name):
        raise ExpositionError(f"bad metric name in {line!r}")
    if name in done:
        raise ExpositionError(f"{name} appears in two groups")
    family = families.setdefault(name, Family(name))
    text = parts[3] if len(parts) > 3 else ""
    if parts[1] == "TYPE":
        if text not in TYPES or family.samples:
            raise ExpositionError(f"bad or late TYPE in {line!r}")
        if text == "counter" and not name.endswith("_total"):
            raise ExpositionError(f"counter {name} does not end in _total")
        family.kind = text
    else:
        family.help = text
    return name


def parse(text: str) -> dict[str, Family]:
    families: dict[str, Family] = {}
    done: set[str] = set()
    current: str | None = None
    if not text.endswith("\n"):
        raise ExpositionError("the exposition must end with a newline")
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            name = _comment(line, families, done)
        else:
            match = NAME.match(line)
            if not match:
                raise ExpositionError(f"bad sample line {line!r}")
            family = _family_of(match.group(), families)
            if family.name in done:
                raise ExpositionError(f"{family.name} appears in two groups")
            rest, labels = line[match.end() :], ()
            if rest.startswith("{"):
                labels, rest = _labels(rest[1:], line)
            series = (match.group(), labels)
            if series in family.samples:
                raise ExpositionError(f"repeated series in {line!r}")
            family.samples[series] = _value(rest, line)
            name = family.name
        if name is not None and name != current:
            if current is not None:
                done.add(current)
            current = name
    return families


def value(families: dict[str, Family], name: str, **labels: str) -> float:
    """The value of one series; KeyError when it is not exported."""
    for family in families.values():
        key = (name, tuple(sorted(labels.items())))
        if key in family.samples:
            return family.samples[key]
    raise KeyError((name, labels))


def total(families: dict[str, Family], name: str, **labels: str) -> float:
    """The sum of every series of ``name`` whose labels include ``labels``."""
    found = 0.0
    for family in families.values():
        for (series, series_labels), number in family.samples.items():
            if series == name and set(labels.items()) <= set(series_labels):
                found += number
    return found
