"""What the daemon tells the console about the desk, written into the database on every
(re)load of ``rules.toml``: the delay reasons, the agents, the reply templates, the longest
snooze (see :mod:`sync.desk`), the shares of the rules on trial
(:mod:`sync.rollout`) and the shop's time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from daemon.rules.model import RuleSet
from daemon.rules.workflow import Workflow
from sync.desk import (
    AGENTS_KEY,
    DELAY_REASONS_KEY,
    MAX_SNOOZE_KEY,
    REPLIES_KEY,
    SHOP_ZONE_KEY,
    DeskAgent,
    agents_to_json,
    reasons_to_json,
)
from sync.rollout import ROLLOUTS_KEY, rollouts_to_json
from sync.store import Store


def desk_state(rules: RuleSet) -> dict[str, str]:
    workflow = rules.workflow or Workflow()
    agents = tuple(
        DeskAgent(agent.login, agent.name, agent.team, agent.backup)
        for agent in workflow.roster.agents.values()
    )
    return {
        DELAY_REASONS_KEY: reasons_to_json(workflow.desk.delay_reasons),
        AGENTS_KEY: agents_to_json(agents),
        REPLIES_KEY: workflow.replies.to_json(),
        MAX_SNOOZE_KEY: str(int(workflow.desk.max_snooze.total_seconds())),
        ROLLOUTS_KEY: rollouts_to_json(rollouts(rules)),
        SHOP_ZONE_KEY: rules.timezone,
    }


def rollouts(rules: RuleSet) -> dict[str, Decimal]:
    """The rules on trial and their shares, for the reports' comparison of the two groups."""
    return {rule.id: rule.rollout for rule in rules.rules if rule.rollout is not None}


async def publish_desk(store: Store, rules: RuleSet, now: datetime) -> None:
    await store.set_state(desk_state(rules), now)
