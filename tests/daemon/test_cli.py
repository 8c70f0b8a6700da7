"""The ``orderwatchd`` command line: help, exit statuses, one-line errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from daemon.cli import build_parser, main

FIXTURES = Path(__file__).resolve().parents[1] / "sync" / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def _subcommands() -> list[list[str]]:
    """Every command and subcommand the parser knows, found by walking it."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*words, name])
                    walk(sub, [*words, name])

    walk(build_parser(), [])
    return found


def test_the_walk_finds_the_commands() -> None:
    assert {"run", "demo", "simulate", "status", "parse"} <= {w[0] for w in _subcommands()}
    assert ["rules", "check"] in _subcommands()


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


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("shopify-graphql", "shopify_orders_page.json"),
        ("shopify-rest", "shopify_rest_order.json"),
        ("woocommerce", "woocommerce_orders.json"),
        ("woocommerce", "woocommerce_webhook_order_updated.json"),
    ],
)
def test_parse_prints_normalized_orders(
    kind: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parse", kind, str(FIXTURES / name)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"orders"} and document["orders"]
    assert {"payment_status", "fulfillment_status", "lifecycle", "raw_status"} <= set(
        document["orders"][0]
    )


def test_parse_shows_woocommerce_tracking_as_shipments(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "woocommerce_webhook_order_updated.json"
    assert main(["parse", "woocommerce", str(path)]) == 0
    (order,) = json.loads(capsys.readouterr().out)["orders"]
    assert [s["tracking_number"] for s in order["shipments"]] == [
        "9400111899223197428490",
        "SF1402236517810",
    ]
    assert order["shipments"][1]["carrier"] == "sf"


def test_parse_of_an_unknown_kind_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "magento", str(FIXTURES / "woocommerce_order.json")]) == 1
    assert "woocommerce" in capsys.readouterr().err


SHIPMENT_FIELDS = {
    "tracking_number",
    "carrier",
    "status",
    "raw_status",
    "raw_substatus",
    "checkpoints",
    "last_event_at",
    "eta",
    "signed_by",
}


@pytest.mark.parametrize(
    ("kind", "name", "count"),
    [
        ("17track", "track17_push_tracking_updated.json", 1),
        ("17track", "track17_gettrackinfo.json", 2),
        ("aftership", "aftership_trackings.json", 3),
        ("aftership", "aftership_webhook_tracking_update.json", 1),
        ("kuaidi100", "kuaidi100_query.json", 1),
        ("kuaidi100", "kuaidi100_push.json", 1),
    ],
)
def test_parse_prints_normalized_shipments(
    kind: str, name: str, count: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parse", kind, str(FIXTURES / name)]) == 0
    shipments = json.loads(capsys.readouterr().out)["shipments"]
    assert len(shipments) == count
    for shipment in shipments:
        assert set(shipment) == SHIPMENT_FIELDS
        for checkpoint in shipment["checkpoints"]:
            assert set(checkpoint) == {"at", "tz_known", "status", "location", "message"}
            assert checkpoint["at"] is None or checkpoint["at"].endswith("Z")
        instants = [c["at"] for c in shipment["checkpoints"] if c["at"]]
        assert instants == sorted(instants)


def test_parse_reads_a_17track_push(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "track17_push_tracking_updated.json"
    assert main(["parse", "17track", str(path)]) == 0
    (track,) = json.loads(capsys.readouterr().out)["shipments"]
    assert (track["tracking_number"], track["status"], track["raw_status"]) == (
        "SF1402236517810",
        "in_transit",
        "InTransit",
    )
    assert (track["last_event_at"], track["eta"], track["signed_by"]) == (
        "2025-01-11T22:41:18Z",
        "2025-01-12T16:00:00Z",
        None,
    )


def test_parse_flags_kuaidi100s_zone_less_china_times(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "kuaidi100", str(FIXTURES / "kuaidi100_query.json")]) == 0
    (track,) = json.loads(capsys.readouterr().out)["shipments"]
    signed = track["checkpoints"][-1]
    assert (signed["at"], signed["tz_known"]) == ("2025-03-02T06:05:33Z", False)
    assert track["signed_by"] == "王芳"


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
