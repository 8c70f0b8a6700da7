"""The daemon's commits are copied back into the database beside the writes, not inside them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import sync.store.db as db_module
from sync.store import Store
from sync.store.files import Checkpoint, checkpoint, integrity_problems, wal_size
from tests.conftest import T0, OrderFactory


class Recorder:
    """Stands in for :func:`sync.store.files.checkpoint`: runs the real one, noting the thread it
    ran on and what it found."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.results: list[Checkpoint] = []

    def __call__(self, path: Path, mode: str = "PASSIVE") -> Checkpoint:
        self.threads.append(threading.current_thread().name)
        result = checkpoint(path, mode)
        self.results.append(result)
        return result


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    monkeypatch.setattr(db_module, "checkpoint", found)
    return found


async def _pages(store: Store, make_order: OrderFactory, pages: int, size: int = 50) -> None:
    for page in range(pages):
        records = [make_order(page * size + n) for n in range(size)]
        await store.save_order_page("shop", "shopify", records, f"c{page}", T0)


async def _synced(path: Path, make_order: OrderFactory, pages: int, **options: bool) -> None:
    """A store opened on ``path`` writes ``pages`` pages of orders and is closed."""
    store = await Store.open(path, **options)
    try:
        await _pages(store, make_order, pages)
    finally:
        await store.close()


async def test_commits_are_copied_back_in_a_worker_thread(
    tmp_path: Path, make_order: OrderFactory, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "COPY_BACK_EVERY", 0.0)
    await _synced(tmp_path / "mirror.db", make_order, 20)
    assert recorder.results, "no background checkpoint ran"
    assert threading.main_thread().name not in recorder.threads
    # What was committed got copied back, and the copy is sound.
    assert any(result.checkpointed > 0 for result in recorder.results)
    assert integrity_problems(tmp_path / "mirror.db") == []
    reopened = await Store.open(tmp_path / "mirror.db")
    assert await reopened.order_count() == 1000
    await reopened.close()


async def test_copies_back_at_most_once_per_interval(
    tmp_path: Path, make_order: OrderFactory, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "COPY_BACK_EVERY", 3600.0)
    await _synced(tmp_path / "mirror.db", make_order, 10)
    assert len(recorder.threads) == 1  # the first commit's, then none within the hour


async def test_agent_connections_leave_copying_back_to_the_daemon(
    tmp_path: Path, make_order: OrderFactory, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "COPY_BACK_EVERY", 0.0)
    await _synced(tmp_path / "mirror.db", make_order, 3, durable=True)
    assert recorder.threads == []


async def test_the_wal_stays_bounded_during_a_long_run_of_writes(
    tmp_path: Path, make_order: OrderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer's own fallback checkpoint lets the WAL start over even while the background
    # copies race the commits; with a tiny bound the file must stay near it.
    monkeypatch.setattr(db_module, "COPY_BACK_EVERY", 0.0)
    monkeypatch.setattr(db_module, "MIRROR_AUTOCHECKPOINT", 64)
    path = tmp_path / "mirror.db"
    store = await Store.open(path)
    try:
        await _pages(store, make_order, 60)
        largest = wal_size(path)  # the file keeps its largest extent until truncated
    finally:
        await store.close()
    assert largest < 16 * 64 * 4096
