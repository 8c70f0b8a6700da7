"""The tracking page's kept limits: saved with an audit row, read back while in force."""

from __future__ import annotations

from sync.store import Store
from sync.store.page_limits import SavedBucket, SavedLimits, SavedPenalty
from sync.store.tracking_page import PageAccess, PageOutcome
from tests.conftest import T0

AT = T0.timestamp()


def limits(until: float) -> SavedLimits:
    return SavedLimits(
        (SavedBucket("link", "abc123", 0.5, AT, until),),
        (SavedPenalty("address", "203.0.113.9", (AT - 5, AT), 1, AT + 60, until),),
    )


async def test_limits_saved_with_an_audit_row_are_read_back(store: Store) -> None:
    saved = limits(AT + 100)
    access = PageAccess(T0, PageOutcome.INVALID, "203.0.113.9", token_id="abc123")
    await store.record_page_access(access, saved)
    assert await store.page_limits(AT) == saved


async def test_a_key_saved_again_replaces_its_row(store: Store) -> None:
    await store.save_page_limits(limits(AT + 100))
    later = SavedBucket("link", "abc123", 2.0, AT + 50, AT + 200)
    await store.save_page_limits(SavedLimits((later,)))
    assert (await store.page_limits(AT)).buckets == (later,)


async def test_limits_past_their_end_are_skipped_then_forgotten(store: Store) -> None:
    await store.save_page_limits(limits(AT + 100))
    assert not await store.page_limits(AT + 100)
    assert await store.forget_page_limits(AT + 99) == 0
    assert await store.forget_page_limits(AT + 100) == 2
    assert not await store.page_limits(0)
