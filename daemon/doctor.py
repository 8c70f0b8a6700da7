"""``orderwatchd doctor``: is this box set up to run orderwatch for years?

It checks the config and the rules as the daemon would load them; the database's integrity,
schema and WAL; the permissions (the database and its folder writable by the agents' group and
by nobody else, the secrets file and a config holding credentials readable by the daemon's user
only); that every source answers; and that this clock agrees with the sources' clocks (their
HTTP ``Date``), since a wrong clock fires false alarms. Each problem comes with how to fix it;
the exit status is 1 when there is any.
"""

from __future__ import annotations

import asyncio
import grp
import os
import stat
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from daemon.clockskew import FIX as SKEW_FIX
from daemon.clockskew import skew_of
from daemon.config import Config, Feed, load_config
from daemon.logs import SECRET_NAME
from daemon.reload import try_load
from daemon.retention import JOURNAL_LIMIT
from daemon.service_config import PRIVATE_ONLY, loose_permissions
from sync.errors import ConfigError, StoreError
from sync.store.files import integrity_problems, schema_version, wal_path, wal_size
from sync.store.migrations import MIGRATIONS

PROBE_TIMEOUT = 10.0
DEFAULT_URLS = {
    "17track": "https://api.17track.net",
    "aftership": "https://api.aftership.com",
    "kuaidi100": "https://poll.kuaidi100.com",
}
"""Sources whose address need not be configured."""


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    detail: str
    fix: str = ""
    """How to fix it; empty when all is well."""

    @property
    def ok(self) -> bool:
        return not self.fix

    def lines(self) -> list[str]:
        if self.ok:
            return [f"ok       {self.subject}: {self.detail}"]
        return [f"PROBLEM  {self.subject}: {self.detail}", f"         fix: {self.fix}"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_config(path: Path) -> tuple[Config | None, list[Finding]]:
    try:
        config = load_config(path)
    except ConfigError as exc:
        return None, [
            Finding("config", problem, "correct it in the file and run doctor again")
            for problem in exc.problems
            if PRIVATE_ONLY not in problem  # the secrets file's check says it, with the fix
        ]
    return config, [Finding("config", f"{path} reads cleanly")]


def _literal_secrets(path: Path) -> list[str]:
    """Credentials written in the config file itself instead of named by ``*_env``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    found: list[str] = []
    for table in ("sources", "trackers"):
        items = data.get(table, [])
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            for key in item:
                if SECRET_NAME.search(key) and not key.endswith("_env"):
                    found.append(f"{table}.{item.get('name', '?')}.{key}")
    return found


def check_config_file(path: Path) -> list[Finding]:
    if not path.is_file():
        return []
    mode = _mode(path)
    if mode & 0o022:
        return [
            Finding(
                "config file",
                f"{path} can be changed by others (mode {mode:03o})",
                f"chmod go-w {path}",
            )
        ]
    literal = _literal_secrets(path)
    if literal and mode & 0o077:
        return [
            Finding(
                "config file",
                f"{path} holds credentials ({', '.join(literal)}) and others can read it "
                f"(mode {mode:03o})",
                f"move them to the secrets file and name them with *_env, or chmod 600 {path}",
            )
        ]
    return [Finding("config file", f"{path} (mode {mode:03o})")]


def check_secrets_file(config: Config | None) -> list[Finding]:
    file = config.service.secrets_file if config else None
    if file is None or not file.exists():
        return []
    mode = _mode(file)
    if loose_permissions(file):
        return [
            Finding(
                "secrets file",
                f"{file} is readable or writable by group or others (mode {mode:03o}): "
                "agents could read the shop's credentials",
                f"chmod 600 {file}",
            )
        ]
    owner, me = file.stat().st_uid, os.geteuid()
    if me != 0 and owner != me:
        return [
            Finding(
                "secrets file",
                f"{file} belongs to uid {owner}, not to the daemon's user (uid {me})",
                f"chown {me} {file}",
            )
        ]
    return [Finding("secrets file", f"{file} is readable by its owner only")]


def check_rules(config: Config) -> list[Finding]:
    rules, problems = try_load(config.rules)
    if rules is None:
        return [
            Finding("rules", problem, "correct rules.toml; orderwatchd rules check shows it all")
            for problem in problems
        ]
    return [Finding("rules", f"{config.rules}: {len(rules.rules)} rules, version {rules.version}")]


def check_database(db: Path) -> list[Finding]:
    if not db.is_file():
        return [Finding("database", f"{db} does not exist yet", "start the daemon once")]
    found: list[Finding] = []
    problems = integrity_problems(db)
    if problems:
        found.append(
            Finding(
                "database",
                f"integrity_check: {'; '.join(problems[:3])}",
                "stop the daemon and restore the last good backup (orderwatchd restore PATH)",
            )
        )
    else:
        found.append(Finding("database", f"{db}: integrity ok"))
    try:
        version = schema_version(db)
    except StoreError as exc:
        return [*found, Finding("database", str(exc), "restore the last good backup")]
    latest = MIGRATIONS[-1][0]
    if version > latest:
        found.append(
            Finding(
                "schema",
                f"version {version} is newer than this orderwatch ({latest})",
                "run the orderwatch version that wrote it",
            )
        )
    size = wal_size(db)
    if size > JOURNAL_LIMIT:
        found.append(
            Finding(
                "WAL",
                f"{wal_path(db)} is {size // (1024 * 1024)} MB: a reader holds an old snapshot",
                f"find the process with `fuser {db}` (a console or sqlite3 shell left inside a "
                "transaction) and end it; the daemon then truncates the WAL within a minute",
            )
        )
    else:
        found.append(Finding("WAL", f"{size // 1024} kB"))
    return found


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _file_access(path: Path, group: str) -> Finding:
    info = path.stat()
    mode, owner_group = stat.S_IMODE(info.st_mode), _group_name(info.st_gid)
    name = "database folder" if path.is_dir() else "database file"
    wanted = 0o070 if path.is_dir() else 0o060
    what = f"{path} (group {owner_group}, mode {mode:03o})"
    if group and owner_group != group:
        return Finding(
            name, f"{what} does not belong to the agents' group {group}", f"chgrp {group} {path}"
        )
    if mode & wanted != wanted:
        setgid = "2" if path.is_dir() else ""
        return Finding(
            name,
            f"{what}: the agents' group cannot write it",
            f"chmod {setgid}{'770' if path.is_dir() else '660'} {path}",
        )
    if mode & 0o007:
        return Finding(
            name,
            f"{what}: users outside the group can reach customers' data",
            f"chmod o-rwx {path}",
        )
    return Finding(name, f"{what}: the agents' group can write it")


def check_permissions(db: Path, group: str) -> list[Finding]:
    found: list[Finding] = []
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            return [
                Finding(
                    "agents' group",
                    f"no OS group named {group}",
                    f"groupadd {group}, then usermod -aG {group} AGENT for each agent",
                )
            ]
    folder = db.parent
    if folder.is_dir():
        found.append(_file_access(folder, group))
        if found[-1].ok and not _mode(folder) & stat.S_ISGID:
            found.append(
                Finding(
                    "database folder",
                    f"{folder} has no set-group-id bit: the -wal and -shm "
                    "files SQLite creates there may get the wrong group",
                    f"chmod g+s {folder}",
                )
            )
    for path in (db, wal_path(db), db.with_name(db.name + "-shm")):
        if path.exists():
            found.append(_file_access(path, group))
    return found


def _feed_url(feed: Feed) -> str:
    return feed.settings.get("url") or DEFAULT_URLS.get(feed.kind, "")


async def _probe(client: httpx.AsyncClient, feed: Feed) -> list[Finding]:
    url = _feed_url(feed)
    subject = f"source {feed.name}"
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        words = str(exc) or type(exc).__name__
        return [
            Finding(
                subject,
                f"{url} does not answer: {words}",
                "check the url in the config, DNS, the firewall and any proxy",
            )
        ]
    found = [Finding(subject, f"{url} answers (HTTP {response.status_code})")]
    skew = skew_of(response, time.time())
    if skew is not None:
        if skew.wrong:
            found.append(Finding("clock", skew.words(), SKEW_FIX))
        else:
            found.append(Finding("clock", skew.words()))
    return found


async def check_sources(config: Config) -> list[Finding]:
    feeds = [feed for feed in (*config.sources, *config.trackers) if _feed_url(feed)]
    if not feeds:
        return []
    async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, follow_redirects=False) as client:
        results = await asyncio.gather(*(_probe(client, feed) for feed in feeds))
    return [finding for found in results for finding in found]


async def examine(config_path: Path, db: Path | None = None) -> list[Finding]:
    config, findings = check_config(config_path)
    findings += check_config_file(config_path)
    findings += check_secrets_file(config or _secrets_only(config_path))
    if config is not None:
        findings += check_rules(config)
    database = db or (config.database if config else None)
    if database is not None:
        findings += check_database(database)
        findings += check_permissions(database, config.service.agents_group if config else "")
    if config is not None:
        findings += await check_sources(config)
    return _unique(findings)


def _secrets_only(config_path: Path) -> Config | None:
    """A stand-in config naming just the secrets file, when the real one does not load."""
    try:
        data: dict[str, Any] = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if "secrets_file" not in data:
        return None
    from daemon.config import default_config
    from daemon.service_config import Service

    config = default_config(Path(), Path())
    service = Service(secrets_file=config_path.parent / str(data["secrets_file"]))
    return Config(database=config.database, rules=config.rules, service=service)


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        if (finding.subject, finding.detail) not in seen:
            seen.add((finding.subject, finding.detail))
            kept.append(finding)
    return kept


async def doctor(config_path: Path, db: Path | None = None) -> int:
    findings = await examine(config_path, db)
    for finding in findings:
        for line in finding.lines():
            print(line)
    problems = sum(not f.ok for f in findings)
    print(f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "all good")
    return 1 if problems else 0
