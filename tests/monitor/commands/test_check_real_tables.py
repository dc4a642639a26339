"""``tailwatch check`` and ``tailwatch.evaluate`` on real tables as they come (issue 24).

Real data shipped inside an installed package, with real missing values and real timestamps:
statsmodels' Mauna Loa CO2 series (``statsmodels.datasets.co2``: 2284 weekly readings from
1958-03-29 to 2001-12-29, 59 of them missing). Fresh real rows pass; a version whose missing
share in a column jumps, and one whose timestamps collapse into one month, fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tailwatch
from monitor.cli import main

pytest.importorskip("statsmodels")


def _co2() -> pd.DataFrame:
    from statsmodels.datasets import co2

    frame = co2.load_pandas().data.rename_axis("week").reset_index()
    assert frame["co2"].isna().sum() == 59 and frame["week"].dtype.kind == "M"
    return frame


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Disjoint real rows: reference, holdout, a baseline and fresh versions; two broken ones."""
    path = tmp_path_factory.mktemp("co2")
    frame = _co2()
    order = np.random.default_rng(0).permutation(len(frame))
    parts = {
        "reference": order[:1000],
        "holdout": order[1000:1500],
        "baseline": order[1500:1760],
        "fresh": order[1760:2020],
    }
    for name, rows in parts.items():
        frame.iloc[np.sort(rows)].to_csv(path / f"{name}.csv", index=False)
    fresh = frame.iloc[np.sort(parts["fresh"])].reset_index(drop=True)
    rng = np.random.default_rng(1)
    dropped = fresh.copy()
    dropped.loc[rng.random(len(dropped)) < 0.3, "co2"] = np.nan  # 2.6 % -> about 30 % missing
    dropped.to_csv(path / "dropped.csv", index=False)
    month = fresh.copy()
    hours = rng.integers(0, 28 * 24, len(month))
    month["week"] = pd.Timestamp("1990-03-01") + pd.to_timedelta(hours, unit="h")
    month.to_csv(path / "one_month.csv", index=False)
    return path


def _check(folder: Path, version: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        [
            "check", str(folder / f"{version}.csv"),
            "--reference", str(folder / "reference.csv"),
            "--holdout", str(folder / "holdout.csv"),
            "--baseline", str(folder / "baseline.csv"),
            "--log-format", "text",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_fresh_real_rows_pass(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    code, out = _check(folder, "fresh", capsys)
    assert code == 0, out


def test_timestamps_collapsed_into_one_month_fail(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    code, out = _check(folder, "one_month", capsys)
    assert code == 1, out


def test_evaluate_measures_missing_shares_and_calendar(folder: Path) -> None:
    real = pd.read_csv(folder / "reference.csv", parse_dates=["week"])
    holdout = pd.read_csv(folder / "holdout.csv", parse_dates=["week"])
    result = tailwatch.evaluate(
        real,
        pd.read_csv(folder / "one_month.csv", parse_dates=["week"]),
        holdout=holdout,
        baseline=pd.read_csv(folder / "baseline.csv", parse_dates=["week"]),
    )
    assert result.level != "healthy"
    figures = result.per_feature
    assert figures["week"]["calendar_tv_month"] > 0.8
    assert figures["week"]["range_ratio"] < 0.01
    assert figures["co2"]["missing_expected"] == pytest.approx(real["co2"].isna().mean())
