"""The config keys about running the daemon on its box: retention, secrets, the agents' group.

``retention_days``
    raw vendor payloads older than this are pruned (default 90; 0 keeps them forever). The
    orders, the timeline and the audit log are always kept.
``secrets_file``
    a ``NAME=value`` file (systemd ``EnvironmentFile`` syntax) holding the credentials that
    ``*_env`` settings name; it must be readable by the daemon's user only (mode 600), or the
    daemon refuses to start. The environment wins over the file.
``agents_group``
    the OS group of the agents: ``orderwatchd doctor`` checks that it can write the database.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_KEYS = frozenset({"retention_days", "secrets_file", "agents_group"})
DEFAULT_RETENTION_DAYS = 90
PRIVATE_ONLY = "only the daemon's user may read it"


@dataclass(frozen=True, slots=True)
class Service:
    retention_days: int = DEFAULT_RETENTION_DAYS
    secrets_file: Path | None = None
    agents_group: str = ""
    secret_values: frozenset[str] = frozenset()
    """Every value the secrets file holds (so the log can redact them)."""


def read_service(
    path: Path, data: Mapping[str, Any], problems: list[str]
) -> tuple[Service, dict[str, str]]:
    """The service settings of a config file, and the variables its secrets file defines."""
    retention = data.get("retention_days", DEFAULT_RETENTION_DAYS)
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 0:
        problems.append(f"{path}: retention_days: a whole number of days, 0 to keep forever")
        retention = DEFAULT_RETENTION_DAYS
    group = data.get("agents_group", "")
    if not isinstance(group, str):
        problems.append(f"{path}: agents_group: the name of an OS group")
        group = ""
    secrets_file: Path | None = None
    variables: dict[str, str] = {}
    if "secrets_file" in data:
        secrets_file = path.parent / str(data["secrets_file"])
        variables = read_secrets_file(secrets_file, problems)
    service = Service(
        retention_days=retention,
        secrets_file=secrets_file,
        agents_group=group,
        secret_values=frozenset(variables.values()),
    )
    return service, variables


def loose_permissions(file: Path) -> str:
    """Why ``file`` is not private to its owner, or "" when it is (mode 600 or 400)."""
    mode = stat.S_IMODE(file.stat().st_mode)
    if mode & 0o077:
        return (
            f"{file}: readable or writable by group or others (mode {mode:03o}); "
            f"{PRIVATE_ONLY}: chmod 600 {file}"
        )
    return ""


def read_secrets_file(file: Path, problems: list[str]) -> dict[str, str]:
    """``NAME=value`` lines (``#`` comments, optional ``export`` and quotes)."""
    try:
        loose = loose_permissions(file)
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{file}: cannot read the secrets file: {exc.strerror}")
        return {}
    if loose:
        problems.append(loose)
        return {}
    variables: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        name = name.strip()
        if not sep or not name.replace("_", "").isalnum():
            problems.append(f"{file}:{number}: expected NAME=value")
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        variables[name] = value
    return variables
