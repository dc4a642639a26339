"""``tailwatch check VERSION --reference R`` without ``--baseline`` judges what it can (issue 22):
privacy checks and fidelity gaps against the healthy real-vs-real levels, and a gap counts as
collapse, so the default ``--fail-on`` exits 1 on a clearly collapsed version and 0 on fresh real
rows. A ``--baseline`` that is itself broken does not hide a persistent break. Real data:
sklearn's digits (the informative pixels), through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from monitor.cli import main
from monitor.commands.gate import BROKEN_BASELINE, NO_BASELINE

ROWS = 300


def _table() -> tuple[pd.DataFrame, pd.Series]:
    frame = load_digits(as_frame=True).frame
    target = frame.pop("target")
    return frame.loc[:, frame.std() > 2].astype(float), target


def _mode_collapsed(ref: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The 40 reference rows nearest one of them, resampled with a little jitter."""
    centre = ref.iloc[seed].to_numpy()
    near = ref.iloc[np.argsort(((ref.to_numpy() - centre) ** 2).sum(axis=1))[:40]]
    rows = near.sample(ROWS, replace=True, random_state=seed).to_numpy()
    jitter = np.random.default_rng(seed).normal(0.0, 0.1, rows.shape)
    return pd.DataFrame(rows + jitter, columns=ref.columns)


@pytest.fixture(scope="module", params=[0, 1, 2])
def folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Disjoint real rows (reference, holdout, fresh) and two collapsed versions, per seed."""
    seed = int(request.param)
    path = tmp_path_factory.mktemp(f"digits{seed}")
    table, target = _table()
    order = np.random.default_rng(seed).permutation(len(table))
    ref = table.iloc[order[:900]].reset_index(drop=True)
    classes = target.iloc[order[:900]].reset_index(drop=True)
    ref.to_csv(path / "reference.csv", index=False)
    table.iloc[order[900:1300]].to_csv(path / "holdout.csv", index=False)
    table.iloc[order[1300 : 1300 + ROWS]].to_csv(path / "fresh.csv", index=False)
    ref[classes == seed].to_csv(path / "one_region.csv", index=False)  # one digit's rows only
    _mode_collapsed(ref, seed).to_csv(path / "mode.csv", index=False)
    return path


def _check(folder: Path, version: str, *extra: str) -> tuple[int, dict]:
    out = folder / f"{version}-{len(extra)}.json"
    code = main(
        [
            "check", str(folder / f"{version}.csv"),
            "--reference", str(folder / "reference.csv"),
            "--holdout", str(folder / "holdout.csv"),
            "--cache-dir", str(folder / "cache"),
            "--json", str(out),
            "--log-format", "text",
            *extra,
        ]
    )  # fmt: skip
    return code, json.loads(out.read_text("utf-8"))["subjects"][0]


def _states(subject: dict) -> dict[str, str]:
    return {c["check"]: c["state"] for c in subject["checks"]}


def test_fresh_real_rows_pass_without_a_baseline(folder: Path) -> None:
    code, subject = _check(folder, "fresh")
    assert code == 0, subject
    states = _states(subject)
    assert states["coverage_gap"] == "ok" and states["memorization"] == "ok"  # both judged
    assert states["coverage_decline"] == "skipped"  # no change to judge


@pytest.mark.parametrize("version", ["one_region", "mode"])
def test_a_collapsed_version_fails_without_a_baseline(
    folder: Path, version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, subject = _check(folder, version)
    printed = capsys.readouterr().out
    assert code == 1, subject
    failing = [c for c in subject["checks"] if c["fails"]]
    gaps = [c for c in failing if c["check"].endswith("_gap")]
    assert any(c["check"] == "coverage_gap" for c in gaps), failing
    assert all("collapse" in c["findings"] and NO_BASELINE in c["message"] for c in gaps)
    assert "FAIL coverage_gap [collapse,fidelity-gap]: coverage" in printed, printed
    assert NO_BASELINE in printed
    assert "no baseline: change checks skipped" in printed  # under the level line
    # --fail-on still decides: without collapse or fidelity-gap the gaps do not fail.
    code, subject = _check(folder, version, "--fail-on", "privacy")
    assert not any(c["fails"] and c["check"].endswith("_gap") for c in subject["checks"])


def test_a_broken_baseline_does_not_hide_a_persistent_break(folder: Path) -> None:
    code, subject = _check(folder, "mode", "--baseline", str(folder / "one_region.csv"))
    assert code == 1, subject
    coverage = next(c for c in subject["checks"] if c["check"] == "coverage_gap")
    assert coverage["fails"] and BROKEN_BASELINE in coverage["message"]
    code, subject = _check(folder, "fresh", "--baseline", str(folder / "fresh.csv"))
    assert code == 0, subject


def test_the_configured_form_compares_with_the_first_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A break that began a version earlier still fails: the configured gate compares v3 with
    the history's first version, not with v2 (itself broken)."""
    table, _ = _table()
    order = np.random.default_rng(5).permutation(len(table))
    ref = table.iloc[order[:900]].reset_index(drop=True)
    (tmp_path / "real").mkdir()
    (tmp_path / "versions").mkdir()
    ref.to_csv(tmp_path / "real" / "reference.csv", index=False)
    table.iloc[order[1300 : 1300 + ROWS]].to_csv(tmp_path / "versions" / "v1.csv", index=False)
    _mode_collapsed(ref, 3).to_csv(tmp_path / "versions" / "v2.csv", index=False)
    _mode_collapsed(ref, 4).to_csv(tmp_path / "versions" / "v3.csv", index=False)
    (tmp_path / "tailwatch.toml").write_text(
        '[storage]\npath = "tailwatch.duckdb"\n[[generators]]\nname = "digits"\n'
        f'reference = "real/*.csv"\nversions = "versions/*"\nsample_size = {ROWS}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "gate.json"
    argv = ["check", "--config", "tailwatch.toml", "--generator", "digits", "--json", str(out)]
    assert main([*argv, "--log-format", "text"]) == 1
    (subject,) = json.loads(out.read_text("utf-8"))["subjects"]
    assert subject["versions"] == ["v1", "v2", "v3"] and subject["version"] == "v3"
    coverage = next(c for c in subject["checks"] if c["check"] == "coverage_decline")
    assert coverage["fails"], coverage
