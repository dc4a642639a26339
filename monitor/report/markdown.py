"""The report as Markdown for a ticket: the verdict, key figures per version, alerts, corpora."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.report.html import KIND_LABELS, column_caption, column_head, column_rows, gap_rows
from monitor.report.mixing import mixing_rows
from monitor.report.model import CorpusSection, GeneratorSection, Report
from monitor.report.sequences import sequence_tables
from monitor.report.structure import structure_tables

__all__ = ["render_markdown"]

# Columns of the per-version table; the full set is in report.json.
KEY_METRICS = (
    "precision",
    "recall",
    "coverage",
    "density",
    "alpha_precision",
    "beta_recall",
    "authenticity",
    "worst_region_coverage",
    "tail_frequency_ratio",
)
MAX_ROWS = 24


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _generator(section: GeneratorSection) -> list[str]:
    lines = [f"## Generator `{section.name}`: {section.verdict.label}", ""]
    lines += [f"- {r}" for r in section.verdict.reasons]
    lines += [f"- Note: {n}" for n in section.notes]
    if section.last_error:
        lines.append(f"- Last failed run ({section.failed_runs} failed): {section.last_error}")
    if not section.versions:
        return [*lines, ""]
    shown = [m for m in KEY_METRICS if m in section.metrics]
    start = max(0, len(section.versions) - MAX_ROWS)
    rows = [["healthy", *(_num(section.metrics[m].healthy) for m in shown)]]
    rows += [
        [section.versions[i], *(_num(section.metrics[m].values[i]) for m in shown)]
        for i in range(start, len(section.versions))
    ]
    lines += ["", *_table(["version", *shown], rows)]
    if start:
        lines.append(f"\n(The first {start} versions are in report.json.)")
    if section.top_drifting:
        lines += ["", f"Top drifting features: {', '.join(section.top_drifting)}."]
    mixing_head, mixing_table = mixing_rows(section)  # issue 29: the mixing sweep
    if mixing_table:
        lines += ["", "Mixing sweep (score on real rows by share of the version's rows):", ""]
        lines += _table(mixing_head, mixing_table)
    for caption, head, table in structure_tables(section.structure):  # issue 23
        lines += ["", f"{caption} (latest version):", "", *_table(list(head), table)]
    for caption, head, table in sequence_tables(section.sequences):  # issue 28
        lines += ["", f"{caption} (latest version):", "", *_table(list(head), table)]
    if section.columns is not None:
        rows, more, flagged = column_rows(section.columns)
        lines += ["", "Per-column drift (latest version): " + column_caption(section.columns), ""]
        lines += _table(column_head(section.columns), rows)
        if more:
            lines.append(f"\n({more} more columns, {flagged} of them flagged, are in report.json.)")
    breached = [c for c in section.checks if c.streak and c.kind != "gap"]
    lines += ["", "Change checks breached by the latest version (they page):", ""]
    lines += _table(
        ["check", "kind", "latest", "limit", "versions in a row", "detail"],
        [[c.check, KIND_LABELS[c.kind], _num(c.values[-1]), _num(c.limits[-1]), str(c.streak),
          c.detail or "–"] for c in breached],
    ) if breached else ["None."]  # fmt: skip
    gaps = gap_rows(section)
    lines += ["", "Fidelity gaps (far from the healthy level; tickets, never pages):", ""]
    lines += _table(
        ["gap", "since", "constant", "versions in a row", "latest", "limit", "detail"],
        [[row.check, start, "yes" if constant else "no", str(row.streak), _num(row.values[-1]),
          _num(row.limits[-1]), row.detail or "–"] for row, start, constant in gaps],
    ) if gaps else ["None at the latest version."]  # fmt: skip
    return [*lines, ""]


def _corpus(section: CorpusSection) -> list[str]:
    lines = [f"## Corpus `{section.name}`: {section.verdict.level}", ""]
    lines += [f"- {r}" for r in section.verdict.reasons]
    lines += [f"- Note: {n}" for n in section.notes]
    if section.snapshots:
        rows = [[k, _num(v[-1])] for k, v in section.figures.items()]
        rows += [[f"rows ({label})", _num(v[-1])] for label, v in section.provenance.items()]
        lines += ["", f"Latest snapshot `{section.snapshots[-1]}`:", "", *_table(
            ["figure", "value"], rows)]  # fmt: skip
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """The whole Markdown text."""
    lines = [f"# {report.title}: **{report.verdict.label}**", ""]
    lines.append(f"Generated {report.generated_at} from `{report.store_path}`"
                 + (f", versions since {report.since}" if report.since else "") + ".")  # fmt: skip
    lines += ["", *(f"- {r}" for r in report.verdict.reasons), ""]
    lines += [f"> {n}" for n in report.notes]
    for section in report.generators:
        lines += _generator(section)
    for corpus in report.corpora:
        lines += _corpus(corpus)
    lines += ["## Alerts the metrics would have fired", ""]
    alerts = report.alerts
    if alerts:
        lines += _table(
            ["subject", "version", "check", "value", "limit"],
            [[a.subject, a.version, a.check, _num(a.value), _num(a.limit)] for a in alerts],
        )
    else:
        lines.append("No check was breached by any version shown.")
    lines += ["", "Plots: report.html (self-contained); every figure: report.json.", ""]
    return "\n".join(lines)
