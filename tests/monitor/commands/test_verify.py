"""``tailwatch verify`` run as a subprocess on real data: verdicts, kept subset, yield."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_wine


def test_verify_writes_rows_kept_and_yield(tmp_path: Path) -> None:
    data = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    training, holdout, fresh = data.iloc[:70], data.iloc[70:130], data.iloc[130:]
    far = fresh.iloc[:10].copy()
    far["proline"] = far["proline"] * 10  # far beyond the real range and support
    version = pd.concat([fresh, far, training.iloc[:10]], ignore_index=True)
    for name, frame in {"real": training, "holdout": holdout, "v1": version}.items():
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "verify", str(tmp_path / "v1.parquet"),
         "--reference", str(tmp_path / "real.parquet"), "--holdout",
         str(tmp_path / "holdout.parquet"), "--target", "target", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_parquet(out / "rows.parquet")
    kept = pd.read_parquet(out / "kept.parquet")
    summary = json.loads((out / "verify.json").read_text())
    assert len(rows) == len(version) and list(rows.columns[: version.shape[1]]) == list(version)
    assert not rows["tailwatch_kept"].iloc[48:].any()  # every shifted row and every copy dropped
    assert not rows["tailwatch_in_range"].iloc[48:58].any()
    assert not rows["tailwatch_authentic"].iloc[58:].any()
    assert len(kept) == rows["tailwatch_kept"].sum() == summary["kept_rows"]
    assert summary["verified_yield"] == len(kept) / len(version)
    assert f"yield {summary['verified_yield']:.3f}" in done.stdout
    assert set(summary["raw"]) >= {"coverage", "utility_ratio"}
    assert summary["kept"]["precision"] >= summary["raw"]["precision"]


def test_verify_names_a_missing_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "verify", str(tmp_path / "none*.parquet"),
         "--reference", str(tmp_path / "none.parquet")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("tailwatch verify:") and "none" in done.stderr
