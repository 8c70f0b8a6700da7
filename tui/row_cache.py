"""The order list's memory: a small LRU of list lines keyed by order id.

Lines are cached by id rather than by position, so when the id list changes (a new order arrives
at the top, a filter is applied) every line already read stays usable and only the orders that
really changed are read again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

from sync.store import QueueLine


class RowCache:
    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._lines: OrderedDict[int, QueueLine] = OrderedDict()
        self._gone: set[int] = set()
        self._stale: dict[int, int] = {}
        """Changed orders, with the epoch at which they were marked."""
        self.epoch = 0
        """Moves on at each invalidation; a read remembers the epoch it started at."""

    def __len__(self) -> int:
        return len(self._lines)

    def get(self, order_id: int) -> QueueLine | None:
        line = self._lines.get(order_id)
        if line is not None:
            self._lines.move_to_end(order_id)
        return line

    def is_gone(self, order_id: int) -> bool:
        """True when the order was asked for and no longer exists."""
        return order_id in self._gone

    def put(self, asked: Sequence[int], lines: Iterable[QueueLine], started: int) -> None:
        """Store the lines read for ``asked``; asked ids that came back empty are gone.

        ``started`` is the epoch when the read began: an order marked changed after that stays
        marked, since the read may predate the change.
        """
        found: set[int] = set()
        for line in lines:
            found.add(line.id)
            self._lines[line.id] = line
            self._lines.move_to_end(line.id)
        for order_id in asked:
            if self._stale.get(order_id, -1) <= started:
                self._stale.pop(order_id, None)
            if order_id not in found:
                self._lines.pop(order_id, None)
                self._gone.add(order_id)
            else:
                self._gone.discard(order_id)
        while len(self._lines) > self.capacity:
            evicted, _ = self._lines.popitem(last=False)
            self._stale.pop(evicted, None)

    def missing(self, order_ids: Iterable[int]) -> list[int]:
        """Those of ``order_ids`` with nothing to show yet (never read, or evicted)."""
        return [i for i in order_ids if i not in self._lines and i not in self._gone]

    def stale(self, order_ids: Iterable[int]) -> list[int]:
        """Those of ``order_ids`` shown from an old read that must be read again."""
        return [i for i in order_ids if i in self._stale]

    def invalidate(self, order_ids: Iterable[int]) -> None:
        """Mark orders as changed: they keep showing their old line until it is read again."""
        self.epoch += 1
        for order_id in order_ids:
            if order_id in self._lines:
                self._stale[order_id] = self.epoch
            self._gone.discard(order_id)

    def clear(self) -> None:
        self._lines.clear()
        self._gone.clear()
        self._stale.clear()
