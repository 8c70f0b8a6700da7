"""JUnit XML for ``rules test --junit FILE``: one test case per scenario, so a CI shows each one.

A failed scenario carries its failures (with the instance timelines) as the text of a
``<failure>`` element; the suite is named after the test file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from daemon.ruletest.runner import Outcome

FileOutcomes = tuple[Path, Sequence[Outcome], float]
"""A test file, the outcomes of its scenarios, and the seconds they took."""


def junit_xml(results: Sequence[FileOutcomes]) -> str:
    """The JUnit XML document for the scenarios of every test file run."""
    suites = ElementTree.Element("testsuites")
    totals = {"tests": 0, "failures": 0}
    for path, outcomes, seconds in results:
        failed = sum(1 for outcome in outcomes if not outcome.passed)
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=str(path),
            tests=str(len(outcomes)),
            failures=str(failed),
            errors="0",
            time=f"{seconds:.3f}",
        )
        totals["tests"] += len(outcomes)
        totals["failures"] += failed
        for outcome in outcomes:
            case = ElementTree.SubElement(suite, "testcase", name=outcome.name, classname=path.stem)
            if outcome.passed:
                continue
            first = outcome.failures[0].splitlines()[0] if outcome.failures else "failed"
            failure = ElementTree.SubElement(case, "failure", message=first, type="expectation")
            failure.text = "\n".join(outcome.failures)
    suites.set("tests", str(totals["tests"]))
    suites.set("failures", str(totals["failures"]))
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def write_junit(path: Path, results: Sequence[FileOutcomes]) -> None:
    path.write_text(junit_xml(results), encoding="utf-8")
