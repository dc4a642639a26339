"""The gate's files: JUnit XML (one suite per subject) and JSON (every verdict and case)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from monitor.commands.gate import DESCRIPTIONS, GateResult

__all__ = ["write_json", "write_junit"]


def write_json(results: Sequence[GateResult], fail_on: Sequence[str], path: Path) -> None:
    """The verdicts and every case as one JSON document."""
    document = {
        "fail_on": list(fail_on),
        "failed": any(r.failing(fail_on) for r in results),
        "errors": sum(1 for r in results if r.error),
        "subjects": [r.to_dict(fail_on) for r in results],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", "utf-8")


def write_junit(results: Sequence[GateResult], fail_on: Sequence[str], path: Path) -> None:
    """JUnit XML: one testsuite per subject, named after it, one testcase per check that applies.

    A breached check whose findings are in ``fail_on`` is a ``<failure>``; a breached check that
    does not fail the gate, or one not evaluated, is ``<skipped>`` with the reason. A subject that
    could not be judged is one ``<error>`` case. The suite's time is the subject's wall time
    (measuring and judging); its checks share that one measurement, so each case carries an equal
    share of it and the cases add up to the suite.
    """
    suites = ET.Element("testsuites", name="tailwatch")
    total = 0.0
    for r in results:
        failing = r.failing(fail_on)
        classname = f"tailwatch.{r.kind}.{r.subject}"
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=r.subject,
            tests=str(1 if r.error else len(r.cases)),
            failures=str(len(failing)),
            errors="1" if r.error else "0",
            skipped=str(sum(1 for c in r.cases if c.state != "ok" and c not in failing)),
            time=f"{r.seconds:.3f}",
        )
        total += r.seconds
        props = ET.SubElement(suite, "properties")
        verdict = r.details.get("verdict", r.level)  # "healthy; privacy risk"
        for key, value in (
            ("kind", r.kind),
            ("version", r.version),
            ("level", r.level),
            ("verdict", verdict),
        ):
            ET.SubElement(props, "property", name=key, value=str(value))
        if r.error:
            measured = ET.SubElement(
                suite, "testcase", name="measure", classname=classname, time=f"{r.seconds:.3f}"
            )
            ET.SubElement(measured, "error", message=r.error, type="data").text = r.error
            continue
        share = f"{r.seconds / len(r.cases):.3f}" if r.cases else "0.000"
        for case in r.cases:
            element = ET.SubElement(
                suite, "testcase", name=case.check, classname=classname, time=share
            )
            text = f"{case.check} at {r.version}: {DESCRIPTIONS.get(case.check, '')}"
            if case in failing:
                failure = ET.SubElement(
                    element, "failure", message=case.message, type=",".join(sorted(case.findings))
                )
                failure.text = text
            elif case.state == "breached":
                ET.SubElement(
                    element,
                    "skipped",
                    message=f"breached, not failing (--fail-on {','.join(fail_on) or 'none'}): "
                    f"{case.message}",
                )
            elif case.state == "skipped":
                ET.SubElement(element, "skipped", message=case.message)
    suites.set("time", f"{total:.3f}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
