"""Views exported as CSV name what they showed in their first lines (views the lists' own
tests do not cover)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.tui.conftest import MakeApp, Shop
from tests.tui.helpers import settle
from tests.tui.test_quarantine import open_quarantine, set_aside
from tui.config import ConsoleConfig


async def test_the_quarantine_exports_its_rows(
    small_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    await set_aside(small_shop)
    folder = tmp_path / "out"
    folder.mkdir()
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=0, export_dir=folder))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_quarantine(pilot)
        await pilot.press("E")
        await settle(pilot)
    (path,) = folder.glob("orderwatch-quarantine-*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[:2] == [["# view", "Quarantined rows"], ["# rows", "the newest 500 at most"]]
    assert rows[3][:4] == ["when", "source", "file", "line"]
    lines = sorted(rows[4:], key=lambda row: int(row[3]))
    assert [(row[2], row[3], row[5]) for row in lines] == [
        ("wms.csv", "2", "9999"),  # the bare number it waits for
        ("wms.csv", "3", ""),
    ]
    assert "#9999" in json.loads(lines[0][6]).values()


async def test_the_order_detail_exports_its_timeline(
    small_shop: Shop, make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(small_shop, config=ConsoleConfig(undo_seconds=0, export_dir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f", *"SF1400000002", "enter")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
    (path,) = tmp_path.glob("orderwatch-order-1002-timeline-*.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["# view", "Order #1002, its timeline"]
    assert rows[2] == ["when", "who", "kind", "what"]
    scans = [row for row in rows[3:] if row[2] == "checkpoint"]
    assert [row[3] for row in scans] == [
        "Shenzhen · Picked up by courier",
        "Hangzhou · Arrived at sorting hub",
        "Hangzhou · Departed hub",
    ]
    assert scans[-1][0] == "2026-11-20 09:00 (no zone)"
