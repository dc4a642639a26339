"""The report's mixing section (issue 29): the latest version's curve beside the baseline's and
the safe share across versions, from sweeps measured on scikit-learn's breast cancer table (fresh
real rows, then a label-shuffled version) and stored in a real DuckDB store."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from collectors.gates.mixing import MixingCurve, mixing_sweep
from collectors.gates.utility import trtr_draws
from collectors.result import MetricValue, RunResult
from tests.monitor.report.test_columns import _report, _write
from tests.support.report_histories import T0


@cache
def _curves() -> tuple[MixingCurve, MixingCurve]:
    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(3).permutation(len(x))
    x, y = x[order], y[order]
    real, real_y, test, test_y = x[:340], y[:340], x[340:], y[340:]
    trtr = trtr_draws("classification", real, real_y, test, test_y, 150, draws=4, n_classes=2)
    rng = np.random.default_rng(4)
    out = []
    for shuffle in (False, True):
        pick = rng.choice(340, 150, replace=False)
        labels = rng.permutation(real_y[pick]) if shuffle else real_y[pick]
        out.append(mixing_sweep("classification", real, real_y, real[pick], labels, test,
                                test_y, shares=(0, 25, 50, 100), seeds=2, n_classes=2,
                                trtr=trtr))  # fmt: skip
    return out[0], out[1]


def _run(index: int, curve: MixingCurve) -> RunResult:
    metrics = [MetricValue(k, "reference", v) for k, v in curve.figures().items()]
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator", subject="tabular", version=f"v{index}",
        fingerprint=f"s{index}", version_index=index, started_at=start,
        finished_at=start + timedelta(minutes=1), status="ok", reference_rows=340,
        sample_rows=150, metrics=metrics,
    )  # fmt: skip


def test_mixing_section_plots_and_tables_both_curves(tmp_path: Path) -> None:
    honest, shuffled = _curves()
    db = _write(tmp_path / "tw.duckdb", [_run(0, honest), _run(1, shuffled)])
    data, page, md = _report(db, tmp_path / "out")
    assert 'data-plot="mixing"' in page and 'id="generator-tabular-mixing"' in page
    # The Markdown table: each share's mean +- sd for the baseline and the latest version.
    for share, a, b, sa, sb in zip(honest.shares, honest.mean, shuffled.mean, honest.sd,
                                   shuffled.sd, strict=True):  # fmt: skip
        assert f"| {share} | {a:.3f} ± {sa:.3f} | {b:.3f} ± {sb:.3f} |" in md
    assert f"| safe share | {honest.safe:.2f} [{honest.safe_low:.2f}, {honest.safe_high:.2f}]" in md
    metrics = data["generators"][0]["metrics"]
    assert metrics["safe_synthetic_share"]["values"] == [honest.safe, shuffled.safe]
    assert metrics["safe_synthetic_share"]["check"] == "safe_share_decline"
    assert metrics["safe_synthetic_share"]["limits"][-1] == pytest.approx(honest.safe - 0.25)


def test_no_sweep_no_section(tmp_path: Path) -> None:
    run = _run(0, _curves()[0])
    bare = RunResult(**{**run.__dict__, "metrics": [MetricValue("precision", "reference", 0.9)]})
    _, page, md = _report(_write(tmp_path / "tw.duckdb", [bare]), tmp_path / "out")
    assert 'id="generator-tabular-mixing"' not in page and "Mixing sweep" not in md
