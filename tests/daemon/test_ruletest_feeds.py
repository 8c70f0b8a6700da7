"""``rules test`` on a rule about a source: its escalation's level, an ack, what it announced."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.cli import main

RULES = """
[[rules]]
id = "stale"
subject = "source"
fires_when = "source.age > 2h"
for = "10m"
keep_firing_for = "15m"
severity = "critical"
escalation = "ops"

[agents.owner]
team = "ops"

[agents.lead]
name = "The lead"

[teams.ops]
name = "Operations"

[escalations.ops]
[[escalations.ops.levels]]
notify = ["team:ops"]
channels = ["console"]
ack_within = "15m"

[[escalations.ops.levels]]
notify = ["agent:lead"]
channels = ["console"]
"""

SCENARIOS = """
rule_files = ["rules.toml"]
timezone = "UTC"

[[tests]]
name = "nobody acknowledges: the stale feed climbs to the lead, then recovers"
start = "2027-04-12T09:00:00"
events = [
  { at = "+0m", source = { name = "17track", kind = "17track", last_success_at = "-3h" } },
  { at = "+1h", source = { name = "17track", kind = "17track", last_success_at = "now" } },
]
expect = [
  { at = "+10m", rule = "stale", key = "17track", escalation = "firing" },
  { at = "+10m", rule = "stale", key = "17track", level = 1, notified = ["console:owner"] },
  { at = "+25m", rule = "stale", key = "17track", level = 2, notified = ["console:lead"] },
  { at = "+1h15m", rule = "stale", key = "17track", state = "resolved", escalation = "resolved" },
  { between = ["+0m", "+2h"], notifications = ["stale:17track:firing"] },
]

[[tests]]
name = "an acknowledgement stops the feed's ladder at level 1"
start = "2027-04-12T09:00:00"
events = [
  { at = "+0m", source = { name = "17track", kind = "17track", last_success_at = "-3h" } },
  { at = "+12m", ack = { rule = "stale", key = "17track", by = "owner" } },
]
expect = [
  { at = "+12m", rule = "stale", key = "17track", state = "acknowledged" },
  { at = "+12m", rule = "stale", key = "17track", escalation = "acknowledged" },
  { at = "+40m", rule = "stale", key = "17track", level = 1 },
]
"""


def test_a_feed_rules_escalation_is_checked_like_an_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    (tmp_path / "rules_test.toml").write_text(SCENARIOS, encoding="utf-8")
    code = main(["rules", "test", str(tmp_path / "rules_test.toml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 scenarios: 2 passed, 0 failed" in out
