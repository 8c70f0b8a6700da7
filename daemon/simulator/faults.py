"""Injected faults: the ways a vendor API misbehaves, drawn deterministically per request.

A spec is a comma-separated list of ``kind:probability`` pairs, e.g.
``429:0.05,500:0.02,stall:0.01,garbage:0.01``. A numeric kind answers that HTTP status (429
comes with ``Retry-After``); ``stall`` holds the response for ``stall_seconds`` before answering
normally (the client's timeout should fire first); ``garbage`` cuts the body in half, so it is no
longer JSON. One draw from a seeded ``random.Random`` per request, so a given seed and request
order always fail the same way.

The same spec carries the shop's quirks, which are not per request:

- ``dup:P``: a webhook is delivered twice with the same delivery id, with probability P;
- ``reorder:P``: with probability P, an order's previous version is delivered after its current
  one (an out-of-order webhook with an older ``updated_at``), and each batch is shuffled;
- ``late:P``: a share P of orders reach order listings late (see :class:`~.shop.Shop`);
- ``ties:SECONDS``: every shop time on a grid of that many seconds, so pages end in ties;
- ``unrecorded:P``: a share P of shipped orders never get their shipment recorded at the shop
  (the courier scans the parcel, the platform shows the order in progress), for agents to fix
  by pushing the tracking number back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeVar

STALL = "stall"
GARBAGE = "garbage"
DUPLICATE = "dup"
REORDER = "reorder"
LATE = "late"
TIES = "ties"
UNRECORDED = "unrecorded"
QUIRKS = (DUPLICATE, REORDER, LATE, TIES, UNRECORDED)
Fault = int | str
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    chances: tuple[tuple[Fault, float], ...] = ()
    quirks: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Read a spec string; raises ValueError naming the bad part."""
        chances: list[tuple[Fault, float]] = []
        quirks: list[tuple[str, float]] = []
        for part in filter(None, (piece.strip() for piece in spec.split(","))):
            kind, sep, value = part.partition(":")
            if not sep:
                raise ValueError(f"fault {part!r}: expected kind:probability")
            try:
                chance = float(value)
            except ValueError:
                raise ValueError(f"fault {part!r}: {value!r} is not a number") from None
            if kind.strip() == TIES:
                if chance < 1 or chance != int(chance):
                    raise ValueError(f"fault {part!r}: ties takes whole seconds, at least 1")
                quirks.append((TIES, chance))
                continue
            if not 0.0 <= chance <= 1.0:
                raise ValueError(f"fault {part!r}: probability must be between 0 and 1")
            if kind.strip() in QUIRKS:
                quirks.append((kind.strip(), chance))
                continue
            chances.append((_kind(kind.strip(), part), chance))
        if sum(chance for _, chance in chances) > 1.0 + 1e-9:
            raise ValueError(f"faults {spec!r}: probabilities add up to more than 1")
        return cls(tuple(chances), tuple(quirks))

    def quirk(self, kind: str) -> float:
        """The value given for a shop quirk (0 when not asked for)."""
        return dict(self.quirks).get(kind, 0.0)

    @property
    def tick(self) -> int:
        """The shop's time grid in seconds (``ties``), 1 when not asked for."""
        return max(1, int(self.quirk(TIES)))

    def __str__(self) -> str:
        every = (*self.chances, *self.quirks)
        return ",".join(f"{kind}:{chance:g}" for kind, chance in every)


def _kind(kind: str, part: str) -> Fault:
    if kind in (STALL, GARBAGE):
        return kind
    if kind.isdigit() and 400 <= int(kind) <= 599:
        return int(kind)
    raise ValueError(
        f"fault {part!r}: kind must be an HTTP status 4xx/5xx, stall, garbage, "
        "dup, reorder, late, ties or unrecorded"
    )


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
        self._quirk_rng = random.Random(seed + 1)
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

    def roll(self, quirk: str) -> bool:
        """Whether a webhook quirk (``dup``, ``reorder``) strikes this time."""
        chance = self.spec.quirk(quirk)
        if chance <= 0 or self._quirk_rng.random() >= chance:
            return False
        self.injected[quirk] = self.injected.get(quirk, 0) + 1
        return True

    def shuffle(self, items: list[T]) -> None:
        """Shuffle a webhook batch in place when ``reorder`` is on."""
        if self.spec.quirk(REORDER) > 0:
            self._quirk_rng.shuffle(items)
