"""The HTML report as a browser renders it: Debian's headless Chromium draws it to a PNG, and
the page it built holds every heatmap cell."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from daemon.reports.html import as_html
from sync.reports.model import PeriodKind, build_report
from sync.store import Store
from tests.conftest import OrderFactory
from tests.daemon.reports.seed import seed_week
from tests.e2e.test_tracking_browser import CHROMIUM, chromium, png_size

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)

WINDOW = (1000, 1800)


async def test_chromium_renders_the_weekly_report(
    store: Store, make_order: OrderFactory, tmp_path: Path
) -> None:
    await seed_week(store, make_order)
    figures = await build_report(
        store, PeriodKind.WEEKLY, date(2026, 11, 16), date(2026, 11, 23), ZoneInfo("UTC")
    )
    page = tmp_path / "weekly.html"
    page.write_text(as_html(figures), encoding="utf-8")
    shot = tmp_path / "weekly.png"
    size = f"--window-size={WINDOW[0]},{WINDOW[1]}"
    await chromium(tmp_path / "profile-shot", size, f"--screenshot={shot}", page.as_uri())
    dom = (await chromium(tmp_path / "profile-dom", size, "--dump-dom", page.as_uri())).decode()

    assert png_size(shot.read_bytes()) == WINDOW
    assert len(re.findall(r'<rect class="cell"', dom)) == 7 + 7 * 24
    assert dom.count("<svg") == 5
    assert "<script" not in dom
