"""The report's structure section (issue 23): the pair-dependence heatmap and the worst pairs,
columns, categories and classes of the latest version, read from the ``structure`` run detail
the structure family stores (measured here on scikit-learn's breast cancer table)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer

from collectors.families import FamilyFigures, FamilyInputs
from collectors.families.structure import StructureFamily, StructureOptions
from collectors.result import MetricValue, RunResult
from collectors.sources import FeatureMap
from tests.monitor.report.test_columns import _report, _write
from tests.support.report_histories import T0

COLUMNS = ["mean radius", "mean texture", "mean smoothness", "mean symmetry", "target"]


@cache
def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    frame = frame[COLUMNS].sample(frac=1.0, random_state=0).reset_index(drop=True)
    return frame.iloc[:250], frame.iloc[250:450], frame.iloc[450:].reset_index(drop=True)


@cache
def _measured() -> tuple[FamilyFigures, FamilyFigures, pd.DataFrame]:
    """A healthy version (fresh real rows) and a broken one (columns permuted on their own)."""
    reference, holdout, fresh = _frames()
    inputs = FamilyInputs(
        reference, holdout, FeatureMap.fit(reference, categorical=["target"]), "target", 0, None, 4
    )
    family = StructureFamily(inputs, StructureOptions(healthy_draws=2))
    rng = np.random.default_rng(1)
    broken = pd.DataFrame({c: rng.permutation(fresh[c].to_numpy()) for c in fresh.columns})
    return family.measure(fresh, source="v0"), family.measure(broken, source="v1"), broken


def _run(index: int, measured: FamilyFigures) -> RunResult:
    metrics = [MetricValue(k, "reference", v) for k, v in measured.figures.items()]
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator", subject="tabular", version=f"v{index}",
        fingerprint=f"s{index}", version_index=index, started_at=start,
        finished_at=start + timedelta(minutes=1), status="ok", reference_rows=250,
        sample_rows=len(_frames()[2]), metrics=metrics,
        details={"structure": json.dumps(measured.details["structure"], allow_nan=False)},
    )  # fmt: skip


def test_structure_section_shows_heatmap_and_worst_tables(tmp_path: Path) -> None:
    healthy, broken, frame = _measured()
    db = _write(tmp_path / "tw.duckdb", [_run(0, healthy), _run(1, broken)])
    data, page, md = _report(db, tmp_path / "out")

    structure = data["generators"][0]["structure"]
    assert structure == json.loads(json.dumps(broken.details["structure"]))
    assert 'data-plot="structure"' in page and 'data-plot-missing="structure"' not in page

    # The worst pair of the latest version heads its table, in the HTML and the Markdown.
    worst = structure["pairs"]["worst"][0]
    differences = [p["difference"] for p in structure["pairs"]["worst"]]
    assert worst["difference"] == max(differences)
    pair = f"{worst['first']} × {worst['second']}"
    html_section = page[page.index('id="generator-tabular-structure"') :]
    assert re.search(rf"<td[^>]*>{re.escape(pair)}</td>", html_section)
    assert f"| {pair} | {worst['measure']} |" in md

    # A numeric pair's dependences are Spearman's rho, as scipy computes them.
    reference = _frames()[0]
    for p in structure["pairs"]["worst"]:
        if p["measure"] == "spearman":
            real = spearmanr(reference[p["first"]], reference[p["second"]]).statistic
            latest = spearmanr(frame[p["first"]], frame[p["second"]]).statistic
            assert abs(p["reference"] - real) < 1e-9 and abs(p["version"] - latest) < 1e-9
            assert f"{p['reference']:.3f}" in md
            break
    else:
        raise AssertionError("no numeric pair among the worst pairs")
    # Per-class coverage and the audited columns are tabled too.
    assert "Per-class coverage and recall (lowest first) (latest version):" in md
    assert "Columns predicted on real rows (error-based audit) (latest version):" in md


def test_no_structure_detail_no_section(tmp_path: Path) -> None:
    healthy, _, _ = _measured()
    run = _run(0, healthy)
    run = RunResult(**{**run.__dict__, "details": {}})
    data, page, md = _report(_write(tmp_path / "tw.duckdb", [run]), tmp_path / "out")
    assert data["generators"][0]["structure"] is None
    assert 'id="generator-tabular-structure"' not in page and "Worst column pairs" not in md
