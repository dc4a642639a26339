"""``tailwatch check`` and ``tailwatch.evaluate`` report the mixing sweep (issue 29): the curve
and the safe synthetic share of a version with a target, on scikit-learn's breast cancer table
(the real CLI in a subprocess on Parquet files; the facade in-process). A label-shuffled version
after an honest baseline breaches ``safe_share_decline``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

import tailwatch


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)


def test_check_prints_and_writes_the_curve(tmp_path: Path, cancer: pd.DataFrame) -> None:
    cancer.iloc[:400].to_parquet(tmp_path / "real.parquet", index=False)
    honest = cancer.iloc[400:].reset_index(drop=True)
    honest.to_parquet(tmp_path / "baseline.parquet", index=False)
    labels = np.random.default_rng(0).permutation(honest["target"].to_numpy())
    honest.assign(target=labels).to_parquet(tmp_path / "shuffled.parquet", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", str(tmp_path / "shuffled.parquet"),
         "--reference", str(tmp_path / "real.parquet"), "--baseline",
         str(tmp_path / "baseline.parquet"), "--target", "target", "--cache-dir", "off",
         "--json", str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    document = json.loads((tmp_path / "out.json").read_text())
    result = document["subjects"][0]
    mixing = result["mixing"]
    curve = {int(k): v for k, v in mixing["score_by_share"].items()}
    assert sorted(curve) == [0, 10, 25, 50, 75, 90, 100]
    line = next(x for x in done.stdout.splitlines() if "mixing sweep:" in x)
    assert f"safe synthetic share {mixing['safe_synthetic_share']:.2f}" in line
    assert f"100 % {curve[100]:.3f}" in line
    assert mixing["safe_synthetic_share"] <= 0.25  # labels shuffled: near zero
    checks = {c["check"]: c for c in result["checks"]}
    assert checks["safe_share_decline"]["state"] == "breached"


def test_evaluate_returns_the_curve(cancer: pd.DataFrame) -> None:
    evaluation = tailwatch.evaluate(cancer.iloc[:400], cancer.iloc[400:], target="target",
                                    cache=False)  # fmt: skip
    mixing = evaluation.mixing
    assert mixing is not None
    frame = evaluation.mixing_frame()
    assert list(frame.index) == [0, 10, 25, 50, 75, 90, 100]
    assert frame.loc[0, "score"] == evaluation.figures["trtr_balanced_accuracy"]
    assert frame.loc[100, "score"] == evaluation.figures["tstr_balanced_accuracy"]
    assert float(mixing["safe_synthetic_share"]) >= 0.5  # type: ignore[arg-type]  # fresh rows
    assert "Mixing sweep: safe synthetic share" in evaluation.to_html()
