"""The config keys for running on a box: retention, the secrets file, the agents' group."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.service_config import DEFAULT_RETENTION_DAYS
from sync.errors import ConfigError

SOURCE = (
    '[[sources]]\nname = "shop"\nkind = "shopify"\nurl = "https://x"\ntoken_env = "SHOP_TOKEN"\n'
)


def _config(tmp_path: Path, top: str, source: str = SOURCE) -> Path:
    path = tmp_path / "orderwatchd.toml"
    path.write_text(top + "\n" + source, encoding="utf-8")
    return path


def _secrets(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.env"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_defaults(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, ""), {"SHOP_TOKEN": "t"})

    assert config.service.retention_days == DEFAULT_RETENTION_DAYS
    assert config.service.secrets_file is None
    assert config.service.agents_group == ""


def test_the_secrets_file_supplies_env_settings(tmp_path: Path) -> None:
    _secrets(tmp_path, "# shop\nexport SHOP_TOKEN='shpat_abc'\n\nOTHER=1\n")
    path = _config(tmp_path, 'secrets_file = "secrets.env"\nagents_group = "orderdesk"')

    config = load_config(path, {})

    assert config.sources[0].settings["token"] == "shpat_abc"
    assert config.service.secret_values == {"shpat_abc", "1"}
    assert config.service.agents_group == "orderdesk"


def test_the_environment_wins_over_the_secrets_file(tmp_path: Path) -> None:
    _secrets(tmp_path, "SHOP_TOKEN=from-file\n")
    path = _config(tmp_path, 'secrets_file = "secrets.env"')

    config = load_config(path, {"SHOP_TOKEN": "from-env"})

    assert config.sources[0].settings["token"] == "from-env"


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secrets = _secrets(tmp_path, "SHOP_TOKEN=x\n", mode=0o644)
    path = _config(tmp_path, 'secrets_file = "secrets.env"')

    with pytest.raises(ConfigError) as caught:
        load_config(path, {"SHOP_TOKEN": "t"})

    assert f"chmod 600 {secrets}" in caught.value.problems[0]
    assert "mode 644" in caught.value.problems[0]


def test_a_missing_secrets_file_is_one_readable_problem(tmp_path: Path) -> None:
    path = _config(tmp_path, 'secrets_file = "nowhere.env"')

    with pytest.raises(ConfigError, match="cannot read the secrets file"):
        load_config(path, {"SHOP_TOKEN": "t"})


def test_a_malformed_secrets_line_names_its_line(tmp_path: Path) -> None:
    _secrets(tmp_path, "SHOP_TOKEN=x\nthis is not a variable\n")
    path = _config(tmp_path, 'secrets_file = "secrets.env"')

    with pytest.raises(ConfigError, match=r"secrets.env:2: expected NAME=value"):
        load_config(path, {})


@pytest.mark.parametrize("value", ["-1", '"90"', "true", "1.5"])
def test_retention_days_must_be_a_whole_number(tmp_path: Path, value: str) -> None:
    path = _config(tmp_path, f"retention_days = {value}")

    with pytest.raises(ConfigError, match="retention_days"):
        load_config(path, {"SHOP_TOKEN": "t"})


def test_zero_retention_keeps_payloads_forever(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "retention_days = 0"), {"SHOP_TOKEN": "t"})

    assert config.service.retention_days == 0
