"""``orderwatchd report`` on the command line: periods, formats and readable errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from daemon.cli import main
from sync.desk import SHOP_ZONE_KEY
from sync.rollout import ROLLOUTS_KEY, rollouts_to_json
from sync.store import LookupKind, Store
from tests.conftest import OrderFactory
from tests.daemon.reports.seed import seed_week

WEEK = ["report", "weekly", "--from", "2026-11-16", "--to", "2026-11-22"]


@pytest.fixture
async def seeded(tmp_path: Path, make_order: OrderFactory) -> Path:
    path = tmp_path / "shop.db"
    store = await Store.open(path)
    await seed_week(store, make_order)
    await store.close()
    return path


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def count(self, tag: str, css: str | None = None) -> int:
        return sum(
            1 for t, attrs in self.tags if t == tag and (css is None or attrs.get("class") == css)
        )


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def test_json_has_every_section(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(_run([*WEEK, "--db", str(seeded), "--format", "json"], capsys))
    assert list(report) == [
        "period",
        "orders_by_stage",
        "breaches",
        "delay_reasons",
        "stalls",
        "response",
        "interventions",
        "agreement",
        "rollouts",
        "lookups",
    ]
    assert report["period"] == {
        "kind": "weekly",
        "from": "2026-11-16",
        "to": "2026-11-22",
        "time_zone": "UTC",
    }


def test_csv_is_one_figure_a_line(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run([*WEEK, "--db", str(seeded), "--format", "csv"], capsys)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "group", "item", "metric", "value"]
    assert all(len(row) == 5 for row in rows)
    assert ["breaches", "paid_not_shipped", "", "escalations", "2"] in rows
    assert ["agreement", "", "", "agreement_pct", "66.7"] in rows
    assert sum(1 for row in rows if row[0] == "delay_by_weekday_hour") == 7 * 24


def test_html_is_self_contained_with_svg_heatmaps(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "week.html"
    _run([*WEEK, "--db", str(seeded), "--format", "html", "-o", str(target)], capsys)
    text = target.read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(text)
    tags.close()
    # one reason x 7 weekdays, then 7 weekdays x 24 hours
    assert tags.count("rect", "cell") == 7 + 7 * 24
    assert tags.count("svg") == 5
    assert tags.count("rect", "bar") == 2 + 2
    assert tags.count("circle", "point") == 7
    assert tags.count("script") == 0
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not any(attrs.get("src") or attrs.get("href") for _, attrs in tags.tags)


def test_the_table_names_the_period(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run([*WEEK, "--db", str(seeded), "--tz", "Asia/Shanghai"], capsys)
    assert out.splitlines()[0] == "weekly report 2026-11-16 .. 2026-11-22 (Asia/Shanghai)"
    assert "  sf       Shenzhen -> Beijing    2     10.0    30.0" in out
    assert "  3 orders with parcels checked, 1 disagree (66.7% agree)" in out


@pytest.fixture
async def empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"
    await (await Store.open(path)).close()
    return path


def test_an_empty_database_reports_nothing_found(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = empty
    out = _run(["report", "daily", "--from", "2026-11-16", "--db", str(path)], capsys)
    assert "daily report 2026-11-16 .. 2026-11-16 (UTC)" in out
    assert "  (none)" in out


def test_a_bad_day_is_one_readable_line(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "daily", "--from", "16.11.2026", "--db", str(seeded)]) == 1
    assert capsys.readouterr().err == (
        "orderwatchd: --from '16.11.2026': expected a day as YYYY-MM-DD\n"
    )


def test_an_unknown_zone_is_one_readable_line(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*WEEK, "--db", str(seeded), "--tz", "Mars/Olympus"]) == 1
    assert "not a known time zone" in capsys.readouterr().err


def test_a_missing_database_is_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*WEEK, "--db", str(tmp_path / "none.db")]) == 1
    assert "no database here" in capsys.readouterr().err


def test_the_default_period_is_the_last_whole_week(seeded: Path) -> None:
    from daemon.reports.command import _days
    from sync.reports.model import PeriodKind

    today = datetime(2026, 11, 25, tzinfo=UTC).date()
    assert _days(PeriodKind.WEEKLY, None, None, today) == (
        datetime(2026, 11, 16).date(),
        datetime(2026, 11, 23).date(),
    )


def test_the_config_names_the_database_and_the_rules_zone(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[3]
    text = (root / "rules.toml").read_text(encoding="utf-8")
    (tmp_path / "rules.toml").write_text(
        text.replace('timezone = "Europe/Berlin"', 'timezone = "Asia/Shanghai"', 1),
        encoding="utf-8",
    )
    config = tmp_path / "orderwatchd.toml"
    config.write_text(f'database = "{seeded.name}"\nrules = "rules.toml"\n', encoding="utf-8")
    report = json.loads(_run([*WEEK, "--config", str(config), "--format", "json"], capsys))
    assert report["period"]["time_zone"] == "Asia/Shanghai"
    assert report["delay_reasons"]["weekday_by_hour"][0][17] == 1


@pytest.fixture
async def with_trial(seeded: Path) -> Path:
    """The seeded week with paid_not_shipped on a 50% trial and one look-up at order 1."""
    store = await Store.open(seeded)
    try:
        share = rollouts_to_json({"paid_not_shipped": Decimal(50)})
        await store.set_state({ROLLOUTS_KEY: share}, datetime(2026, 11, 16, tzinfo=UTC))
        (order_id,) = await store.order_ids_created(
            datetime(2026, 11, 16, 1, tzinfo=UTC), datetime(2026, 11, 16, 1, 1, tzinfo=UTC)
        )
        at = datetime(2026, 11, 17, 9, tzinfo=UTC)
        await store.record_lookup("anna", LookupKind.FIND, order_id, at)
    finally:
        await store.close()
    return seeded


def test_every_format_has_the_trial_and_the_lookups(
    with_trial: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = list(
        csv.reader(io.StringIO(_run([*WEEK, "--db", str(with_trial), "--format", "csv"], capsys)))
    )
    groups = {row[2] for row in rows if row[0] == "rollouts"}
    assert groups == {"trial", "rest"}
    assert ["rollouts", "paid_not_shipped", "trial", "share_pct", "50.0"] in rows
    assert ["lookups_by_stage", "delivered", "", "lookups", "1"] in rows
    assert ["lookups", "2026-11-17", "delivered", "count", "1"] in rows
    table = _run([*WEEK, "--db", str(with_trial)], capsys)
    assert "Rules on trial: their group against the rest" in table
    assert "  2026-11-17  1      delivered 1" in table
    report = json.loads(_run([*WEEK, "--db", str(with_trial), "--format", "json"], capsys))
    assert sum(r["orders"] for r in report["rollouts"]) == 4
    target = tmp_path / "week.html"
    _run([*WEEK, "--db", str(with_trial), "--format", "html", "-o", str(target)], capsys)
    text = target.read_text(encoding="utf-8")
    assert "<h2>Rules on trial</h2>" in text
    assert "<h2>What agents looked up</h2>" in text


def test_without_a_config_the_zone_is_the_one_the_daemon_published(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def publish() -> None:
        store = await Store.open(seeded)
        try:
            await store.set_state({SHOP_ZONE_KEY: "Asia/Shanghai"}, datetime.now(UTC))
        finally:
            await store.close()

    asyncio.run(publish())
    report = json.loads(_run([*WEEK, "--db", str(seeded), "--format", "json"], capsys))
    assert report["period"]["time_zone"] == "Asia/Shanghai"
    assert report["delay_reasons"]["weekday_by_hour"][0][17] == 1


def test_the_rules_file_names_the_rules_on_trial(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[3]
    text = (root / "rules.toml").read_text(encoding="utf-8")
    (tmp_path / "rules.toml").write_text(
        text.replace('id = "paid_not_shipped"', 'id = "paid_not_shipped"\nrollout = "50%"', 1),
        encoding="utf-8",
    )
    config = tmp_path / "orderwatchd.toml"
    config.write_text(f'database = "{seeded.name}"\nrules = "rules.toml"\n', encoding="utf-8")
    report = json.loads(_run([*WEEK, "--config", str(config), "--format", "json"], capsys))
    groups = {(r["rule"], r["group"]) for r in report["rollouts"]}
    assert {("paid_not_shipped", "trial"), ("paid_not_shipped", "rest")} <= groups
