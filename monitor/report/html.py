"""The report as one self-contained HTML page: inline CSS, plots as SVG data URIs, no scripts.

A Content-Security-Policy forbids every fetch except ``data:`` images, so the page can make no
network request even if a plot were to reference one. Sections carry ``id`` and plots carry
``data-plot`` attributes (the browser test looks for them).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable, Sequence

from collectors.metrics import BY_NAME
from monitor.report import corpus_plots, mixing, plots, sequences, structure
from monitor.report.model import (
    LEVEL_COLOURS,
    Alert,
    CheckRow,
    ColumnTable,
    CorpusSection,
    GeneratorSection,
    Report,
    Verdict,
)

__all__ = ["KIND_LABELS", "LEVEL_COLOURS", "gap_rows", "render_html", "slug"]

# How each kind of check is named for people: change checks page, gaps are tickets.
KIND_LABELS = {"collapse": "change", "privacy": "change (privacy)", "gap": "gap (ticket)"}

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 color:#1d1d1f;background:#f4f5f7;margin:0}
main{max-width:1180px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:26px;margin:4px 0 2px}h2{font-size:21px;margin:0 0 6px}
h3{font-size:16px;margin:22px 0 6px}
.meta{color:#555;font-size:13px}
.verdict{border-radius:10px;color:#fff;padding:16px 22px;margin:16px 0 10px}
.verdict .level{font-size:30px;font-weight:800;letter-spacing:.02em;text-transform:uppercase}
.verdict .finding{display:inline-block;font-size:16px;font-weight:700;margin:4px 8px 0 0;
  padding:1px 10px;border:2px solid #fff;border-radius:999px}
.verdict ul{margin:6px 0 0;padding-left:20px}
.badge{display:inline-block;border-radius:999px;color:#fff;padding:1px 10px;font-size:13px;
 font-weight:700;vertical-align:middle;margin-left:8px}
nav{margin:8px 0 4px;font-size:14px}nav a{margin-right:14px}
section.subject,section.alerts{background:#fff;border-radius:10px;padding:18px 22px;
 margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
figure{margin:10px 0 4px}figure img{width:100%;height:auto;display:block}
figcaption{color:#555;font-size:13px;margin-top:2px}
.empty{color:#555;background:#f4f5f7;border-radius:6px;padding:8px 12px;font-style:italic}
.note{background:#fff8e1;border-left:4px solid #b26a00;padding:6px 12px;margin:8px 0}
table{border-collapse:collapse;font-size:13px;margin:6px 0;width:100%}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
nav .chip{display:inline-block;margin:2px 16px 2px 0}
tr.breach td{background:#fdecea}
tr.gap td{background:#fff8e1}
details{margin-top:8px}
"""


_NUMBER = re.compile(r"^[-–+]?[0-9.,]*$")
_NUM = ' class="num"'


def slug(name: str) -> str:
    """An HTML id fragment for a subject name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "subject"


def _e(text: object) -> str:
    return html.escape(str(text))


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if float(value).is_integer() and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:.{digits}f}"


def _badge(verdict: Verdict) -> str:
    colour = LEVEL_COLOURS[verdict.level]
    return f'<span class="badge" style="background:{colour}">{_e(verdict.label)}</span>'


def _vanished(text: dict) -> str:
    """The rarest reference words the latest version no longer uses, listed."""
    rare = text.get("vanished_rare") or []
    head = (
        f'<p class="meta">{int(text.get("vanished_types", 0))} of '
        f"{int(text.get('reference_types', 0))} reference word types absent from the latest "
        "version. Rare reference words (the rarest count classes, 10 % of tokens) it lost:</p>"
    )
    if not rare:
        return head + '<p class="empty">none</p>'
    rows = [(_e(str(word)), str(int(count))) for word, count in rare]
    return head + _table(["word", "reference count"], rows)


def _figure(name: str, svg: str | None, caption: str, missing: str) -> str:
    if svg is None:
        return f'<p class="empty" data-plot-missing="{name}">{_e(missing)}</p>'
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure class="plot" data-plot="{name}"><img alt="{_e(caption)}" '
        f'src="data:image/svg+xml;base64,{data}"><figcaption>{_e(caption)}</figcaption></figure>'
    )


def _table(head: Sequence[str], rows: Iterable[Iterable[str]], classes: Iterable[str] = ()) -> str:
    cls = list(classes)
    body = [list(row) for row in rows]
    numeric = [bool(body) and all(_NUMBER.match(row[j]) for row in body) for j in range(len(head))]
    out = ["<table><thead><tr>"]
    out += [f"<th{_NUM if numeric[j] else ''}>{_e(h)}</th>" for j, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(body):
        attr = f' class="{cls[i]}"' if i < len(cls) and cls[i] else ""
        cells = "".join(f"<td{_NUM if numeric[j] else ''}>{c}</td>" for j, c in enumerate(row))
        out.append(f"<tr{attr}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _notes(notes: Iterable[str]) -> str:
    return "".join(f'<p class="note">{_e(n)}</p>' for n in notes)


def gap_rows(section: GeneratorSection) -> list[tuple[CheckRow, str, bool]]:
    """Gaps breached by the latest version: (row, version its streak began, held at every
    version shown, i.e. constant since the first version when the report starts there)."""
    out = []
    for row in section.checks:
        if row.kind == "gap" and row.streak > 0 and section.versions:
            start = section.versions[len(section.versions) - min(row.streak, len(section.versions))]
            out.append((row, start, row.streak >= len(section.versions)))
    return out


def _checks_table(section: GeneratorSection) -> str:
    return _table(
        ["check", "kind", "latest value", "limit", "versions in a row", "detail", "meaning"],
        [[_e(c.check), _e(KIND_LABELS.get(c.kind, c.kind)),
          _num(c.values[-1] if c.values else None), _num(c.limits[-1] if c.limits else None),
          str(c.streak), f'<span class="text">{_e(c.detail)}</span>',
          f'<span class="text">{_e(c.description)}</span>'] for c in section.checks],
        ["breach" if c.streak and c.kind != "gap" else "gap" if c.streak else ""
         for c in section.checks],
    )  # fmt: skip


def _gaps_table(section: GeneratorSection) -> str:
    gaps = gap_rows(section)
    if not gaps:
        return '<p class="empty">No fidelity gap at the latest version.</p>'
    return _table(
        ["gap", "since", "constant", "versions in a row", "latest value", "limit", "detail"],
        [[_e(row.check), _e(start), "yes" if constant else "no", str(row.streak),
          _num(row.values[-1]), _num(row.limits[-1]), f'<span class="text">{_e(row.detail)}</span>']
         for row, start, constant in gaps],
    )  # fmt: skip


def _share(share: float | None, reference: float | None) -> str:
    if share is None or reference is None:
        return "–"
    return f"{100 * share:.2f} % (ref {100 * reference:.2f} %)"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def column_rows(table: ColumnTable) -> tuple[list[list[str]], int, int]:
    """The shown rows as plain text cells, and how many columns (and flagged ones) are not shown."""
    rows = [
        [r.column, r.kind, _num(r.ks_statistic), _num(r.total_variation), _num(r.baseline),
         _signed(r.change), _share(r.tail_share_lower, r.tail_reference_lower),
         _share(r.tail_share_upper, r.tail_reference_upper),
         "–" if r.categories_lost is None else str(r.categories_lost),
         *([_share(r.missing_share or 0.0, r.missing_reference or 0.0)] if table.has_missing
           else []),
         "; ".join(r.flags) or "–"]
        for r in table.rows[: table.shown]
    ]  # fmt: skip
    hidden = table.rows[table.shown :]
    return rows, len(hidden), sum(1 for r in hidden if r.flags)


COLUMN_HEAD = ["column", "kind", "KS", "TV", "baseline", "change", "lower tail share",
               "upper tail share", "categories lost", "flagged"]  # fmt: skip


def column_head(table: ColumnTable) -> list[str]:
    """The per-column table's head: ``COLUMN_HEAD``, with "missing share" before "flagged"
    where some column has missing cells (complete-data tables are unchanged)."""
    if not table.has_missing:
        return list(COLUMN_HEAD)
    return [*COLUMN_HEAD[:-1], "missing share", COLUMN_HEAD[-1]]


def column_caption(table: ColumnTable) -> str:
    """What the per-column table shows and why a column is flagged (one paragraph)."""
    critical = "" if table.ks_critical is None else (
        f" and the KS critical value {table.ks_critical:.3f} (1 %, Bonferroni over the numeric "
        "columns, at these row counts)")  # fmt: skip
    return (
        f"Version {table.version}: {len(table.rows)} columns, {table.flagged} flagged, flagged "
        f"first, then by drift (KS for numeric, total variation for categorical columns), worst "
        f"first. Baseline and change: the drift at the checks' baseline ({table.baseline}). "
        f"Flagged: drift above {table.drift_limit:.2f}{critical}; a tail share beyond the tail "
        "checks' factors of the reference's share beyond counting noise; categories lost. "
        "Flags describe; the checks decide the verdict."
    )


def _columns_table(table: ColumnTable) -> str:
    rows, more, flagged = column_rows(table)
    out = [f'<p class="meta">{_e(column_caption(table))}</p>']
    out.append(
        _table(
            column_head(table),
            [[_e(c) for c in row] for row in rows],
            ["gap" if r.flags else "" for r in table.rows[: table.shown]],
        )
    )
    if more:
        out.append(
            f'<p class="meta" data-more-columns="{more}">{more} more columns ({flagged} of them '
            "flagged) are not listed here; report.json holds every column.</p>"
        )
    return "".join(out)


def _generator(section: GeneratorSection) -> str:
    sid = f"generator-{slug(section.name)}"
    parts = [f'<section class="subject generator" id="{sid}">',
             f"<h2>Generator {_e(section.name)}{_badge(section.verdict)}</h2>"]  # fmt: skip
    if section.versions:
        parts.append(
            f'<p class="meta">{len(section.versions)} versions shown, '
            f"{_e(section.versions[0])} to {_e(section.versions[-1])} · latest measured "
            f"{_e(section.finished_at[-1][:16].replace('T', ' '))} UTC · "
            f"{section.reference_rows[-1]:,} reference rows, {section.sample_rows[-1]:,} "
            f"sample rows · {section.failed_runs} failed runs</p>"
        )
    parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in section.verdict.reasons) + "</ul>")
    if section.last_error:
        parts.append(f'<p class="note">Last failed run: {_e(section.last_error)}</p>')
    parts.append(_notes(section.notes))
    if not section.versions:
        return "".join([*parts, "</section>"])
    top = ", ".join(section.top_drifting) or "none"
    figures: list[tuple[str, Callable[[GeneratorSection], str | None], str, str]] = [
        ("metrics", plots.metrics_plot,
         "Fidelity and diversity across versions; green: healthy real-vs-real level with its "
         "sampling noise; red dashes: the alert limit of the check that watches the metric.",
         "No fidelity metrics stored."),
        ("regions", plots.regions_plot,
         "Coverage per region (k-means cluster) of the real reference, regions by size.",
         "No per-region coverage stored for these versions."),
        ("categories", plots.categories_plot,
         "Real categories lost (red dashes: the baseline's count, category_lost breaches above "
         "it) and the synthetic mass of the real-rare categories beside its healthy level.",
         "No categorical feature measured."),
        ("tails", plots.tails_plot,
         "Tail frequency ratio per numeric feature (lower and upper 1 % tails).",
         "No per-feature tail frequencies stored."),
        ("drift", plots.drift_plot, f"Top drifting features by KS / TV: {top}.",
         "No per-feature drift statistics stored."),
        ("histograms", plots.histogram_plot,
         "Marginal histograms of the top drifting features: reference vs latest version.",
         f"Histograms not recorded for version {section.versions[-1]}."),
    ]  # fmt: skip
    titles = {"metrics": "Metrics across versions", "regions": "Region coverage",
              "categories": "Categories lost and rare-category mass",
              "tails": "Tail frequency per feature", "drift": "Top drifting features",
              "histograms": "Reference vs latest marginals"}  # fmt: skip
    for name, draw, caption, missing in figures:
        parts.append(f"<h3>{titles[name]}</h3>")
        parts.append(_figure(name, draw(section), caption, missing))
    gates = plots.gates_plot(section)
    if gates is not None:  # utility probe, membership attack, verified subset
        parts.append("<h3>Standing gates: utility, membership, verified yield</h3>")
        caption = (
            "Utility of a model trained on each version against one trained on real rows "
            "(TSTR / TRTR), the membership attack's ROC AUC (0.5: the attacker cannot tell the "
            "training rows from unseen ones) and the share of rows the verifier keeps."
        )
        parts.append(_figure("gates", gates, caption, ""))
    mixing_svg = mixing.mixing_plot(section)
    if mixing_svg is not None:  # the mixing sweep (issue 29)
        parts.append(f'<h3 id="{sid}-mixing">Mixing sweep: how much of it a model takes</h3>')
        parts.append(_figure("mixing", mixing_svg, mixing.CAPTION, ""))
    if section.text:  # text generators
        parts.append("<h3>Vocabulary (text)</h3>")
        caption = (
            "Rank-frequency curves of the reference and the latest version (log-log), and "
            "distinct-n across versions."
        )
        parts.append(_figure("text", plots.text_plot(section), caption, "No text details."))
        parts.append(_vanished(section.text))
    if section.structure:  # structure fidelity (issue 23)
        parts.append(f'<h3 id="{sid}-structure">Structure: pair dependence (latest version)</h3>')
        heatmap = structure.heatmap_plot(section)
        parts.append(_figure("structure", heatmap, structure.CAPTION, "No pair dependence."))
        for caption, head, rows in structure.structure_tables(section.structure):
            parts.append(f"<h4>{_e(caption)}</h4>")
            parts.append(_table(head, rows))
    if section.sequences:  # sequences over time (issue 28)
        parts.append(f'<h3 id="{sid}-sequences">Sequences: order, lengths, gaps (latest)</h3>')
        plot = sequences.sequence_plot(section)
        parts.append(_figure("sequences", plot, sequences.CAPTION, "No sequence details."))
        for caption, head, rows in sequences.sequence_tables(section.sequences):
            parts.append(f"<h4>{_e(caption)}</h4>")
            parts.append(_table(head, rows))
    if section.columns is not None:
        parts.append(f'<h3 id="{sid}-columns">Per-column drift (latest version)</h3>')
        parts.append(_columns_table(section.columns))
    parts.append("<h3>Checks (latest version)</h3>")
    parts.append(
        '<p class="meta">Change checks compare a version with the generator\'s own baseline '
        "beyond the healthy noise: they page. Gaps compare it with the healthy real-vs-real "
        "level: a fidelity defect, a ticket, never a page.</p>"
    )
    parts.append(_checks_table(section))
    parts.append(f'<h3 id="{sid}-gaps">Fidelity gaps</h3>')
    parts.append(_gaps_table(section))
    parts.append("<details><summary>Every stored figure of the latest version</summary>")
    parts.append(
        _table(
            ["metric", "first shown", "latest", "healthy", "goal"],
            [[_e(m.metric), _num(m.values[0]), _num(m.values[-1]), _num(m.healthy), _e(m.goal)]
             for m in section.metrics.values()],
        )
    )  # fmt: skip
    parts.append("</details></section>")
    return "".join(parts)


def _corpus(section: CorpusSection) -> str:
    sid = f"corpus-{slug(section.name)}"
    parts = [f'<section class="subject corpus" id="{sid}">',
             f"<h2>Corpus {_e(section.name)}{_badge(section.verdict)}</h2>"]  # fmt: skip
    if section.snapshots:
        parts.append(
            f'<p class="meta">{len(section.snapshots)} snapshots shown, latest '
            f"{_e(section.snapshots[-1])} · {section.failed_runs} failed scans</p>"
        )
    parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in section.verdict.reasons) + "</ul>")
    if section.last_error:
        parts.append(f'<p class="note">Last failed scan: {_e(section.last_error)}</p>')
    parts.append(_notes(section.notes))
    if section.snapshots:
        parts.append("<h3>Provenance mix</h3>")
        parts.append(_figure("provenance", corpus_plots.provenance_plot(section),
                             "Rows by provenance label per snapshot.",
                             "No provenance mix stored for this corpus."))  # fmt: skip
        parts.append("<h3>Leakage and budget</h3>")
        parts.append(
            _figure(
                "leakage",
                corpus_plots.leakage_plot(section),
                "Synthetic share, exact and near-duplicate leakage, budget line.",
                "No synthetic share or leakage ratios stored for this corpus.",
            )
        )
        parts.append(
            _table(["figure", "latest snapshot"],
                   [[_e(k), _num(v[-1])] for k, v in section.figures.items()])
        )  # fmt: skip
    parts.append("</section>")
    return "".join(parts)


def _alerts(alerts: tuple[Alert, ...]) -> str:
    parts = ['<section class="alerts" id="alerts"><h2>Alerts the metrics would have fired</h2>']
    if not alerts:
        parts.append('<p class="empty">No check was breached by any version shown.</p>')
    else:
        parts.append(
            _table(
                ["subject", "version", "check", "value", "limit", "meaning"],
                [[f'<span class="text">{_e(a.kind)} {_e(a.subject)}</span>', _e(a.version),
                  _e(a.check), _num(a.value), _num(a.limit),
                  f'<span class="text">{_e(a.description)}</span>'] for a in alerts],
            )
        )  # fmt: skip
    parts.append("</section>")
    return "".join(parts)


def _about() -> str:
    names = [m for m, _, _ in plots.PANEL_METRICS if m in BY_NAME]
    items = "".join(
        f"<li><b>{_e(n)}</b>: {_e(BY_NAME[n].description)} Healthy: {_e(BY_NAME[n].healthy)}. "
        f"<i>{_e(BY_NAME[n].paper)}</i></li>"
        for n in names
    )
    return f'<details id="about"><summary>What the metrics mean</summary><ul>{items}</ul></details>'


def render_html(report: Report) -> str:
    """The whole page."""
    v = report.verdict
    subjects = [(f"generator-{slug(g.name)}", g.name, g.verdict) for g in report.generators]
    subjects += [(f"corpus-{slug(c.name)}", c.name, c.verdict) for c in report.corpora]
    nav = "".join(f'<span class="chip"><a href="#{sid}">{_e(name)}</a>{_badge(verdict)}</span>'
                  for sid, name, verdict in subjects)  # fmt: skip
    since = f" · versions since {_e(report.since)}" if report.since else ""
    body = [
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="meta">Generated {_e(report.generated_at)} from {_e(report.store_path)}'
        f"{since}</p>",
        f'<div class="verdict" id="verdict" style="background:{LEVEL_COLOURS[v.level]}">'
        f'<div class="level">{_e(v.level)}</div>'
        + "".join(f'<div class="finding">{_e(label)}</div>' for label in v.labels)
        + "<ul>"
        + "".join(f"<li>{_e(r)}</li>" for r in v.reasons)
        + "</ul></div>",
        f'<nav>{nav}<span class="chip"><a href="#alerts">alerts ({len(report.alerts)})</a>'
        "</span></nav>",
        _notes(report.notes),
        *(_generator(g) for g in report.generators),
    ]
    if not report.corpora and report.generator_filter is None:
        body.append(
            '<section class="subject corpus" id="corpora"><h2>Corpora</h2>'
            '<p class="empty">No corpus is recorded in the store.</p></section>'
        )
    body += [*(_corpus(c) for c in report.corpora), _alerts(report.alerts), _about()]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.title)}: {_e(v.level)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
