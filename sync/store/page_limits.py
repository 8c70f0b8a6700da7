"""The tracking page's abuse limits as the store keeps them, so a restart does not lift them.

The page holds its limits in memory (``daemon.http.limits``); what a restart must not forget is
written here: each link's token bucket, each address's look-up bucket, and the failure records
that shut an address (or an order number) out. Rows are saved in the same transaction as the
audit row of the request that changed them (:meth:`TrackingPageStore.record_page_access`), so
keeping them costs no transaction of its own, and read back once when the page starts serving.
A row is worth nothing after its ``until`` (a bucket full again, a record past every window);
such rows are skipped on reading and deleted now and then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sync.store.base import StoreBase
from sync.store.db import Transaction


@dataclass(frozen=True, slots=True)
class SavedBucket:
    """One key's token bucket: ``tokens`` left at ``at`` (Unix seconds)."""

    bucket: str
    key: str
    tokens: float
    at: float
    until: float


@dataclass(frozen=True, slots=True)
class SavedPenalty:
    """One key's failures within the window, blocks earned so far and the current block's end."""

    penalty: str
    key: str
    failures: tuple[float, ...]
    blocks: int
    blocked_until: float
    until: float


@dataclass(frozen=True, slots=True)
class SavedLimits:
    buckets: tuple[SavedBucket, ...] = ()
    penalties: tuple[SavedPenalty, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.buckets or self.penalties)


class PageLimitStore(StoreBase):
    async def page_limits(self, now: float) -> SavedLimits:
        """Every saved limit still in force at ``now`` (Unix seconds)."""
        buckets = await self.db.fetchall(
            "SELECT bucket, key, tokens, at, until FROM page_buckets WHERE until > ?", (now,)
        )
        penalties = await self.db.fetchall(
            "SELECT penalty, key, failures, blocks, blocked_until, until FROM page_penalties "
            "WHERE until > ?",
            (now,),
        )
        return SavedLimits(
            tuple(
                SavedBucket(r["bucket"], r["key"], r["tokens"], r["at"], r["until"])
                for r in buckets
            ),
            tuple(
                SavedPenalty(
                    r["penalty"],
                    r["key"],
                    _times(r["failures"]),
                    int(r["blocks"]),
                    float(r["blocked_until"]),
                    float(r["until"]),
                )
                for r in penalties
            ),
        )

    async def save_page_limits(self, limits: SavedLimits) -> None:
        """Save ``limits`` on their own (the page saves them with its audit rows instead)."""
        if limits:
            async with self.db.write() as tx:
                await save_limits(tx, limits)

    async def forget_page_limits(self, now: float) -> int:
        """Delete the rows that no longer limit anything at ``now``; returns how many."""
        async with self.db.write() as tx:
            gone = 0
            for table in ("page_buckets", "page_penalties"):
                cursor = await tx.execute(f"DELETE FROM {table} WHERE until <= ?", (now,))
                gone += max(0, cursor.rowcount)
            return gone


async def save_limits(tx: Transaction, limits: SavedLimits) -> None:
    """Write ``limits`` inside ``tx``, replacing what was saved for the same keys."""
    if limits.buckets:
        await tx.executemany(
            "INSERT OR REPLACE INTO page_buckets (bucket, key, tokens, at, until) "
            "VALUES (?, ?, ?, ?, ?)",
            [(b.bucket, b.key, b.tokens, b.at, b.until) for b in limits.buckets],
        )
    if limits.penalties:
        await tx.executemany(
            "INSERT OR REPLACE INTO page_penalties "
            "(penalty, key, failures, blocks, blocked_until, until) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (p.penalty, p.key, json.dumps(p.failures), p.blocks, p.blocked_until, p.until)
                for p in limits.penalties
            ],
        )


def _times(text: str) -> tuple[float, ...]:
    try:
        found = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(found, list):
        return ()
    return tuple(float(t) for t in found if isinstance(t, int | float))
