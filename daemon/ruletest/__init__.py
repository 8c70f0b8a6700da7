"""``orderwatchd rules test``: scenarios for rules files, run on a virtual clock.

:func:`run_test_files` reads each test file (:mod:`~daemon.ruletest.spec`), plays its scenarios
through the production engine (:mod:`~daemon.ruletest.runner`) and prints one line per scenario,
with the failures and the timelines of the instances they are about.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from daemon.ruletest.junit import FileOutcomes, write_junit
from daemon.ruletest.runner import Outcome, run_file
from daemon.ruletest.spec import read_test_file

__all__ = ["Outcome", "run_test_files"]


async def run_test_files(
    paths: Sequence[Path], pattern: str | None = None, junit: Path | None = None
) -> tuple[int, list[str]]:
    """Run every scenario; returns how many failed and the report's lines. With ``junit``, the
    outcomes are also written there as JUnit XML."""
    lines: list[str] = []
    results: list[FileOutcomes] = []
    failed = total = 0
    for path in paths:
        file = read_test_file(path)
        began = time.perf_counter()
        outcomes = await run_file(file, pattern)
        results.append((path, outcomes, time.perf_counter() - began))
        lines.append(f"{path}: {', '.join(str(rules) for rules in file.rule_files)}")
        for outcome in outcomes:
            total += 1
            if outcome.passed:
                lines.append(f"  ok    {outcome.name}")
                continue
            failed += 1
            lines.append(f"  FAIL  {outcome.name}")
            lines += [f"        {failure}" for failure in outcome.failures]
    lines.append(f"{total} scenarios: {total - failed} passed, {failed} failed")
    if junit is not None:
        write_junit(junit, results)
    return failed, lines
