"""The rules language: ``rules.toml`` in, immutable rule objects and timer plans out.

Pure Python, no database and no clock of its own. The pieces, in the order data flows:

- :mod:`~daemon.rules.durations`   ``90s``, ``1h30m``, ``2d`` ↔ ``timedelta``
- :mod:`~daemon.rules.calendar`    opening hours, holidays, closures; local times → UTC
- :mod:`~daemon.rules.business`    rule clocks: wall time, or a calendar's open hours
- :mod:`~daemon.rules.schema`      the one table of fields a rule may read, with their types
- :mod:`~daemon.rules.syntax`      expression text → tokens → syntax tree
- :mod:`~daemon.rules.expr`        syntax tree → type-checked closures (never ``eval``)
- :mod:`~daemon.rules.template`    ``"Order {order.number} …"`` messages
- :mod:`~daemon.rules.loader`      TOML → :class:`RuleSet`, or every problem with its line
- :mod:`~daemon.rules.plan`        (rule, subject, now, memory) → :class:`Plan` or None
- :mod:`~daemon.rules.decide`      plan vs stored timer → what the store must write
- :mod:`~daemon.rules.prefilter`   which subjects a rule could apply to, for a full re-plan
- :mod:`~daemon.rules.lint`        ``rules check``: what was understood, what looks wrong

Errors: the parsers raise ``ValueError`` subclasses (``DurationError``, ``ExpressionError`` with
a column, ``TemplateError``); they never leave this package, because the loader turns each into
one line of a :class:`sync.errors.ConfigError` (``FILE:LINE: key: message``).
"""

from __future__ import annotations

from daemon.rules.loader import load_rules, parse_rules
from daemon.rules.model import RuleSet, TimeoutRule
from daemon.rules.plan import Plan, plan, render_summary
from daemon.rules.subject import Subject, subjects_of

__all__ = [
    "Plan",
    "RuleSet",
    "Subject",
    "TimeoutRule",
    "load_rules",
    "parse_rules",
    "plan",
    "render_summary",
    "subjects_of",
]
