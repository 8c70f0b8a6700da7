"""Watched export folders: complete files only, each imported once, failures reported."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.config import Feed
from daemon.drops import DropFolder, Settle, is_export
from sync.clock import VirtualClock
from sync.connectors.csv_drop import profiles_by_name
from sync.store import Store
from tests.conftest import T0

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures" / "exports"
TAOBAO = FIXTURES / "taobao_orders.csv"


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def drop(store: Store, tmp_path: Path, ticks: Ticks) -> DropFolder:
    feed = Feed(
        name="taobao",
        kind="csv",
        interval=timedelta(minutes=1),
        settings={"folder": str(tmp_path / "drops"), "profile": "taobao", "settle": "2s"},
    )
    (tmp_path / "drops").mkdir()
    return DropFolder(feed, store, VirtualClock(T0), profiles_by_name(), monotonic=ticks)


def test_a_file_is_ready_only_after_its_stamp_held_for_the_settle_time() -> None:
    settle = Settle(2.0)
    path = Path("a.csv")
    assert not settle.ready(path, (100, 1), 0.0)
    assert not settle.ready(path, (100, 1), 1.0)
    assert not settle.ready(path, (200, 2), 2.5)  # still growing: the wait starts again
    assert not settle.ready(path, (200, 2), 4.0)
    assert settle.ready(path, (200, 2), 4.5)


def test_an_empty_file_never_settles() -> None:
    settle = Settle(0.0)
    assert not settle.ready(Path("a.csv"), (0, 1), 0.0)
    assert not settle.ready(Path("a.csv"), (0, 1), 60.0)


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("orders.csv", True),
        ("订单导出.XLSX", True),
        ("export.txt", True),
        (".orders.csv", False),
        ("orders.csv.part", False),
        ("orders.csv.tmp", False),
        ("~$orders.xlsx", False),
        ("orders.csv~", False),
        ("notes.pdf", False),
    ],
)
def test_only_finished_export_names_are_read(name: str, wanted: bool) -> None:
    assert is_export(Path(name)) is wanted


async def test_a_file_still_being_written_is_not_read_until_stable(
    drop: DropFolder, store: Store, ticks: Ticks
) -> None:
    text = TAOBAO.read_bytes()
    path = drop.folder / "orders.csv"
    path.write_bytes(text[: len(text) // 2])
    assert await drop.scan() == []
    ticks.now = 5.0
    with path.open("ab") as growing:
        growing.write(text[len(text) // 2 :])
    assert await drop.scan() == []  # it changed since the last look
    assert await store.order_count() == 0
    ticks.now = 10.0
    (result,) = await drop.scan()
    assert result.rows == 8 and result.quarantined == 0
    assert await store.order_count() == 8


async def test_a_file_renamed_into_the_folder_is_read(
    drop: DropFolder, store: Store, ticks: Ticks
) -> None:
    partial = drop.folder / "orders.csv.part"
    partial.write_bytes(TAOBAO.read_bytes())
    ticks.now = 30.0
    assert await drop.scan() == []
    assert await drop.scan() == []
    partial.rename(drop.folder / "orders.csv")
    await drop.scan()
    ticks.now = 32.0
    (result,) = await drop.scan()
    assert result.file == "orders.csv"
    assert await store.order_count() == 8


async def test_the_same_export_dropped_twice_is_imported_once(
    drop: DropFolder, store: Store, ticks: Ticks
) -> None:
    shutil.copy(TAOBAO, drop.folder / "monday.csv")
    await drop.scan()
    ticks.now = 3.0
    (first,) = await drop.scan()
    events = await store.db.scalar("SELECT count(*) FROM events")
    shutil.copy(TAOBAO, drop.folder / "monday (1).csv")
    await drop.scan()
    ticks.now = 6.0
    (second,) = await drop.scan()
    assert first.rows == 8
    assert second.rows == 0 and second.already is not None
    assert await store.db.scalar("SELECT count(*) FROM events") == events
    ticks.now = 9.0
    assert await drop.scan() == []  # both handled: neither is read again


async def test_an_unreadable_file_is_reported_and_left_until_it_changes(
    drop: DropFolder, store: Store, ticks: Ticks
) -> None:
    bad = drop.folder / "wrong.csv"
    bad.write_text("货品,数量\n茶,1\n", encoding="utf-8")
    await drop.scan()
    ticks.now = 3.0
    assert await drop.scan() == []
    source = await store.source("taobao")
    assert source is not None and "wrong.csv" in source.last_error
    assert "订单编号" in source.last_error
    ticks.now = 6.0
    assert await drop.scan() == []
    bad.write_bytes(TAOBAO.read_bytes())
    ticks.now = 7.0
    await drop.scan()
    ticks.now = 10.0
    (result,) = await drop.scan()
    assert result.rows == 8
    source = await store.source("taobao")
    assert source is not None and source.last_error == ""
