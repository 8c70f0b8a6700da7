"""``orderwatchd import``, ``parse csv``, and imports in ``orderwatchd status``."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.importing import import_lines, import_report, render_progress
from sync.clock import VirtualClock
from sync.connectors.csv_drop import Progress, import_export, open_export
from sync.store import Store
from tests.conftest import T0

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures" / "exports"
TAOBAO = FIXTURES / "taobao_orders.csv"


def test_import_says_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["import", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: orderwatchd import")
    assert "--profile" in out and "--db" in out and "--config" in out


def test_import_fills_the_database_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "o.db"
    assert main(["import", str(TAOBAO), "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == (
        "taobao_orders.csv: 8 rows read, 8 orders changed, 0 quarantined "
        "(source taobao, profile taobao)"
    )
    assert "8/8 rows" in err and "rows/s" in err and "left" in err
    assert main(["import", str(TAOBAO), "--db", str(db)]) == 0
    assert "already imported" in capsys.readouterr().out


def test_an_unreadable_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "o.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("orderwatchd: ") and "missing.csv: cannot read" in err


def test_a_file_no_profile_fits_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("货品,数量\n茶,1\n", encoding="gbk")
    assert main(["import", str(odd), "--db", str(tmp_path / "o.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "odd.csv: no profile fits" in err


def test_import_without_db_or_config_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(TAOBAO)]) == 1
    assert "pass --db PATH or --config PATH" in capsys.readouterr().err


def test_import_takes_its_source_and_profiles_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "orderwatchd.toml"
    config.write_text(
        'database = "data/o.db"\n'
        "[[profiles]]\n"
        'name = "myerp"\n'
        'base = "warehouse"\n'
        'columns = { packed_at = ["打包完成", "打包时间"] }\n'
        "[[sources]]\n"
        'name = "shop-cn"\n'
        'kind = "csv"\n'
        'folder = "drops"\n'
        'profile = "taobao"\n',
        encoding="utf-8",
    )
    (tmp_path / "data").mkdir()
    assert main(["import", str(TAOBAO), "--config", str(config)]) == 0
    assert "(source shop-cn, profile taobao)" in capsys.readouterr().out
    stages = FIXTURES / "warehouse_stages.csv"
    assert main(["import", str(stages), "--config", str(config), "--profile", "myerp"]) == 0
    assert "(source myerp, profile myerp)" in capsys.readouterr().out


def test_parse_csv_prints_orders_in_the_common_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["parse", "csv", str(TAOBAO)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["profile"] == "taobao"
    assert document["problems"] == []
    first = document["orders"][0]
    assert set(first) >= {
        "source", "external_id", "number", "payment_status", "fulfillment_status", "lifecycle",
        "raw_status", "total", "currency", "created_at", "updated_at", "paid_at", "customer",
        "line_items", "shipments",
    }  # fmt: skip
    assert first["created_at"] == "2026-11-20T01:12:45Z"
    assert first["raw_status"] == "买家已付款，等待卖家发货"
    assert first["customer"] == {"name": "王芳", "email": "", "phone": "13800135678"}


def test_parse_csv_with_a_profile_that_does_not_fit_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["parse", "csv", str(FIXTURES / "douyin_orders.csv"), "--profile", "jd"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "订单号" in err


def test_profile_is_refused_for_vendor_payloads(capsys: pytest.CaptureFixture[str]) -> None:
    fixture = FIXTURES.parent / "shopify_orders_page.json"
    assert main(["parse", "shopify-graphql", str(fixture), "--profile", "jd"]) == 1
    assert "csv exports only" in capsys.readouterr().err


def test_progress_shows_rows_total_rate_and_time_left() -> None:
    line = render_progress("orders.csv", 2500, 10000, 2.0)
    assert line.startswith("orders.csv [######------------------]")
    assert "2,500/10,000 rows" in line
    assert "1,250 rows/s" in line
    assert "0:00:06 left" in line


async def test_status_shows_an_import_in_progress(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "o.db")
    clock = VirtualClock(T0)
    export = open_export(TAOBAO.read_bytes(), TAOBAO.name, "taobao")

    def slow_then_stopped(progress: Progress) -> None:
        clock.advance(timedelta(seconds=1))
        if progress.rows_done >= 6:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            await import_export(store, export, clock, on_progress=slow_then_stopped, batch_rows=3)
        report = await import_report(store)
    finally:
        await store.close()
    (running,) = report["imports"]
    assert (running["state"], running["rows_done"], running["rows_total"]) == ("importing", 6, 8)
    assert running["rows_per_s"] == 6.0
    assert running["time_left_s"] == 0
    assert import_lines(report)[0] == (
        "import       taobao: taobao_orders.csv 6/8 rows, 6 rows/s, 0:00:00 left"
    )


def test_status_lists_quarantined_rows_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "o.db"
    assert main(["import", str(TAOBAO), "--db", str(db)]) == 0
    stages = tmp_path / "stages.csv"
    shutil.copy(FIXTURES / "warehouse_stages.csv", stages)
    assert main(["import", str(stages), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "quarantine   warehouse: 2 rows set aside" in out
    assert "stages.csv:5 打包时间: '昨天晚上' is not a date and time" in out
    assert main(["status", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["quarantine"]["counts"] == {"warehouse": 2}
    assert {i["file"] for i in report["imports"]} == {"taobao_orders.csv", "stages.csv"}
