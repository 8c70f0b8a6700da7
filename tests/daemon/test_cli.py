"""The ``orderwatchd`` command line: help, exit statuses, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import build_parser, main

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def _subcommands() -> list[list[str]]:
    return [["run"], ["demo"], ["simulate"], ["status"], ["parse"], ["rules"], ["rules", "check"]]


@pytest.mark.parametrize("words", _subcommands(), ids=" ".join)
def test_every_subcommand_says_what_it_does(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: orderwatchd " + " ".join(words))
    assert len(text.splitlines()) > 3


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "demo", "simulate", "status", "parse", "rules"):
        assert command in out


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2


def test_parse_prints_normalized_orders(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "shopify-graphql", str(FIXTURES / "shopify_orders_page.json")]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records
    assert {"payment_status", "fulfillment_status", "lifecycle"} <= set(records[0])


def test_parse_reads_a_17track_push(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "track17_push_tracking_updated.json"
    assert main(["parse", "17track", str(path)]) == 0
    (track,) = json.loads(capsys.readouterr().out)
    assert track["tracking_number"]


def test_parse_of_garbage_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["parse", "17track", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not JSON" in err


def test_rules_check_accepts_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(ROOT / "rules.toml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_rules_check_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(
        'schema = 1\n[[rules]]\nid = "a"\nsubject = "order"\nstarts_at = "order.paid_at"\n'
        'active_while = "order.colour == 1"\ntimeout = "soon"\nsummary = "x"\n'
    )
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) >= 2
    assert all(line.startswith("orderwatchd: ") and "rules.toml:" in line for line in err)


def test_status_without_a_database_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", str(tmp_path / "none.db")]) == 1
    assert "no database" in capsys.readouterr().err
