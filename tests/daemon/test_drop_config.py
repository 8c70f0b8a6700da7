"""The config of csv sources and the shop's own export profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import load_config
from sync.csvimport.profiles import Column, ProfileKind
from sync.errors import ConfigError


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderwatchd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_source_gets_its_folder_next_to_the_config(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            '[[sources]]\nname = "tb"\nkind = "csv"\nfolder = "drops/tb"\nprofile = "taobao"\n',
        )
    )
    (source,) = config.sources
    assert source.settings == {
        "folder": str(tmp_path / "drops" / "tb"),
        "profile": "taobao",
        "settle": "2s",
    }


def test_a_source_may_adjust_its_profile_in_place(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            "[[sources]]\n"
            'name = "tb"\n'
            'kind = "csv"\n'
            'folder = "drops"\n'
            'profile = "taobao"\n'
            'time_zone = "Asia/Hong_Kong"\n'
            'columns = { packed_at = "打包时间" }\n'
            'statuses = { "已揽件" = "paid fulfilled open" }\n',
        )
    )
    (source,) = config.sources
    assert source.settings["profile"] == "source:tb"
    (own,) = config.profiles
    assert own.name == "source:tb"
    assert own.time_zone == "Asia/Hong_Kong"
    assert own.columns[Column.PACKED_AT] == ("打包时间",)
    assert own.columns[Column.NUMBER] == ("订单编号", "订单号")


def test_shop_profiles_may_build_on_each_other(tmp_path: Path) -> None:
    config = load_config(
        _config(
            tmp_path,
            '[[profiles]]\nname = "erp"\nbase = "warehouse"\ncolumns = { picked_at = "拣货" }\n'
            '[[profiles]]\nname = "erp2"\nbase = "erp"\ntime_zone = "UTC"\n'
            '[[sources]]\nname = "wms"\nkind = "csv"\nfolder = "wms"\nprofile = "erp2"\n',
        )
    )
    erp, erp2 = config.profiles
    assert erp2.kind is ProfileKind.STAGES
    assert erp2.columns[Column.PICKED_AT] == ("拣货",)
    assert (erp.time_zone, erp2.time_zone) == ("Asia/Shanghai", "UTC")


def test_every_problem_of_a_csv_source_is_reported_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(
            _config(
                tmp_path,
                '[[sources]]\nname = "a"\nkind = "csv"\nprofile = "tmall2"\nsettle = "soon"\n'
                "colour = 1\n"
                '[[sources]]\nname = "b"\nkind = "csv"\nfolder = "x"\n'
                'columns = { number = "单号" }\n'
                '[[sources]]\nname = "c"\nkind = "shopify"\ncolumns = { number = "x" }\n'
                '[[profiles]]\nname = "p"\ncolumns = { nonsense = "x" }\n',
            )
        )
    problems = "\n".join(caught.value.problems)
    assert "sources[0].folder: required" in problems
    assert "sources[0].profile: unknown profile 'tmall2'" in problems
    assert "sources[0].settle:" in problems
    assert "sources[0].colour: unknown key for a csv source" in problems
    assert "sources[1].profile: name the profile that columns adjust" in problems
    assert "sources[2].columns: only csv sources have a columns table" in problems
    assert "profiles[0].columns.nonsense: unknown column role" in problems
    assert all("orderwatchd.toml" in p for p in caught.value.problems)
