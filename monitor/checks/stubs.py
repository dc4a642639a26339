"""What the rules file and the runbooks must hold for the registered checks, and stubs for both.

:func:`rule_problems` is the rules-file check (tests/rules runs it): every registered check's
alert exists, selects it, carries the ``finding`` label of its kind (collapse, privacy,
fidelity-gap), pages (``critical``/``warning``) for change and privacy checks and opens a ticket
(``info``) for gaps, never the other way, and has a ``## <alert>`` runbook section. For a check
that lacks them, :func:`alert_stub` and :func:`runbook_stub` print a starting point
(``python -m monitor.checks.stubs`` prints the stubs of every check the files lack).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.checks.registry import Check, records
from monitor.checks.verdict import FINDING_OF_KIND

__all__ = ["alert_stub", "checks_selected", "rule_problems", "runbook_stub"]

PAGING = frozenset({"critical", "warning"})
_MATCHER = re.compile(r'check\s*(=~|=)\s*"([^"]*)"')


def checks_selected(expr: str, known: Iterable[str] | None = None) -> set[str]:
    """The registered checks an alert expression's ``check`` matchers select."""
    names = set(records()) if known is None else set(known)
    selected: set[str] = set()
    for operator, value in _MATCHER.findall(expr):
        if operator == "=":
            selected |= {value} & names
        else:
            selected |= {name for name in names if re.fullmatch(value, name)}
    return selected


def rule_problems(alerts: Sequence[Mapping[str, Any]], runbooks: str) -> list[str]:
    """What ``alerts`` (the rules file's alerting rules) and ``runbooks`` (docs/runbooks.md)
    lack for the registered checks; empty when every check is covered."""
    sections = set(re.findall(r"^## (Tailwatch\w+)\s*$", runbooks, flags=re.M))
    by_name = {a["alert"]: a for a in alerts if "alert" in a}
    problems = []
    for check in records().values():
        paging = check.kind != "gap"
        selecting = [a for a in by_name.values() if check.name in checks_selected(a["expr"])]
        severities = {a.get("labels", {}).get("severity") for a in selecting}
        if check.alert not in by_name:
            problems.append(f"{check.name}: no alert {check.alert} in the rules file")
        elif check.name not in checks_selected(by_name[check.alert]["expr"]):
            problems.append(f"{check.name}: alert {check.alert} does not select it")
        elif by_name[check.alert].get("labels", {}).get("finding") != FINDING_OF_KIND[check.kind]:
            problems.append(
                f"{check.name}: alert {check.alert} lacks the label finding: "
                f"{FINDING_OF_KIND[check.kind]} (Alertmanager routes findings by kind)"
            )
        if paging and not severities & PAGING:
            problems.append(f"{check.name}: no paging alert (critical or warning) selects it")
        if paging and "info" in severities:
            problems.append(f"{check.name}: a {check.kind} check only opens a ticket (info)")
        if not paging and "info" not in severities:
            problems.append(f"{check.name}: no ticket alert (info) selects the gap")
        if not paging and severities & PAGING:
            problems.append(f"{check.name}: the gap pages; gaps are tickets, never pages")
        if check.alert not in sections:
            problems.append(f"{check.name}: no runbook section '## {check.alert}'")
    return problems


def alert_stub(check: Check) -> str:
    """A starting point for ``check``'s alert in rules/tailwatch.rules.yml (edit the texts)."""
    severity = "info" if check.kind == "gap" else "critical"
    anchor = check.alert.lower()
    return f"""      - alert: {check.alert}
        expr: tailwatch_generator_check_breach_versions{{check="{check.name}"}} >= 2
        for: {"1h" if check.kind == "gap" else "1m"}
        labels:
          severity: {severity}
          finding: {FINDING_OF_KIND[check.kind]}
        annotations:
          summary: "Generator {{{{ $labels.generator }}}}: {check.description}, {{{{ $value }}}} versions in a row"
          description: >-
            For the latest {{{{ $value }}}} versions generator {{{{ $labels.generator }}}}: {check.description}.
          runbook_url: http://127.0.0.1:9108/runbooks/#{anchor}
"""  # noqa: E501


def runbook_stub(check: Check) -> str:
    """A starting point for ``check``'s runbook section in docs/runbooks.md."""
    figures = ", ".join(f"`{name}`" for name in check.reads)
    return f"""## {check.alert}

**Means.** {check.description[0].upper()}{check.description[1:]} (check `{check.name}`, a
{check.kind} finding).

**Confirm.** `tailwatch report` and `tailwatch status`: {figures}.

**Do.** ...
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Print the stubs of the checks ``rules/tailwatch.rules.yml`` or the runbooks lack."""
    import yaml

    args = list(sys.argv[1:] if argv is None else argv)
    rules = Path(args[0] if args else "rules/tailwatch.rules.yml")
    runbooks = Path(args[1] if len(args) > 1 else "docs/runbooks.md")
    groups = yaml.safe_load(rules.read_text(encoding="utf-8"))["groups"]
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    problems = rule_problems(alerts, runbooks.read_text(encoding="utf-8"))
    lacking = {p.split(":", 1)[0] for p in problems}
    for name in lacking:
        check = records()[name]
        print(
            f"# {name}: " + "; ".join(p.split(": ", 1)[1] for p in problems if p.startswith(name))
        )
        print(alert_stub(check))
        print(runbook_stub(check))
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
