"""Injected faults: the ways a vendor API misbehaves, drawn deterministically per request.

A spec is a comma-separated list of ``kind:probability`` pairs, e.g.
``429:0.05,500:0.02,stall:0.01,garbage:0.01``. A numeric kind answers that HTTP status (429
comes with ``Retry-After``); ``stall`` holds the response for ``stall_seconds`` before answering
normally (the client's timeout should fire first); ``garbage`` cuts the body in half, so it is no
longer JSON. One draw from a seeded ``random.Random`` per request, so a given seed and request
order always fail the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

STALL = "stall"
GARBAGE = "garbage"
Fault = int | str


@dataclass(frozen=True, slots=True)
class FaultSpec:
    chances: tuple[tuple[Fault, float], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Read a spec string; raises ValueError naming the bad part."""
        chances: list[tuple[Fault, float]] = []
        for part in filter(None, (piece.strip() for piece in spec.split(","))):
            kind, sep, value = part.partition(":")
            if not sep:
                raise ValueError(f"fault {part!r}: expected kind:probability")
            try:
                chance = float(value)
            except ValueError:
                raise ValueError(f"fault {part!r}: {value!r} is not a probability") from None
            if not 0.0 <= chance <= 1.0:
                raise ValueError(f"fault {part!r}: probability must be between 0 and 1")
            chances.append((_kind(kind.strip(), part), chance))
        if sum(chance for _, chance in chances) > 1.0 + 1e-9:
            raise ValueError(f"faults {spec!r}: probabilities add up to more than 1")
        return cls(tuple(chances))

    def __str__(self) -> str:
        return ",".join(f"{kind}:{chance:g}" for kind, chance in self.chances)


def _kind(kind: str, part: str) -> Fault:
    if kind in (STALL, GARBAGE):
        return kind
    if kind.isdigit() and 400 <= int(kind) <= 599:
        return int(kind)
    raise ValueError(f"fault {part!r}: kind must be an HTTP status 4xx/5xx, stall or garbage")


class Faults:
    """Decides, request by request, whether and how to misbehave."""

    def __init__(
        self,
        spec: FaultSpec | str = "",
        *,
        seed: int = 0,
        stall_seconds: float = 30.0,
        retry_after: int = 1,
    ) -> None:
        self.spec = spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)
        self.stall_seconds = stall_seconds
        self.retry_after = retry_after
        self._rng = random.Random(seed)
        self.injected: dict[Fault, int] = {}

    def draw(self) -> Fault | None:
        """The fault for the next request, or None to answer normally."""
        if not self.spec.chances:
            return None
        point = self._rng.random()
        for kind, chance in self.spec.chances:
            point -= chance
            if point < 0:
                self.injected[kind] = self.injected.get(kind, 0) + 1
                return kind
        return None
