"""``tailwatch check`` and ``tailwatch.evaluate`` on real tables as they come (issue 24).

Real data shipped inside an installed package, with real missing values and real timestamps:
statsmodels' Mauna Loa CO2 series (``statsmodels.datasets.co2``: 2284 weekly readings from
1958-03-29 to 2001-12-29, 59 of them missing). Fresh real rows pass; a version whose missing
share in a column jumps, and one whose timestamps collapse into one month, fail. And the World
Bank fertility table (``statsmodels.datasets.fertility``: 219 countries, identifiers, 7-12 %
missing per year, two years missing everywhere) is measured as it comes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tailwatch
from collectors.generator import GeneratorReference
from collectors.sources import FeatureMap
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


def test_a_jump_in_a_columns_missing_share_fails(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    code, out = _check(folder, "dropped", capsys)
    assert code == 1, out
    assert re.search(r"FAIL missingness_shift .*co2 missing \d+\.\d% -> \d+\.\d%", out), out


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


def test_a_real_table_with_identifiers_and_missing_years_is_measured() -> None:
    from statsmodels.datasets import fertility

    table = fertility.load_pandas().data
    feature_map = FeatureMap.fit(table)
    notes = "\n".join(feature_map.notes)
    for column in ("Country Name", "Country Code"):
        assert f"column {column!r} left out of the tabular figures: identifier" in notes
    for year in ("2012", "2013"):
        assert f"column {year!r} left out: missing in every row" in notes
    missing = int(table["1960"].isna().sum())
    assert missing > 20 and f"reference: column '1960' is missing in {missing} of 219 rows" in notes
    order = np.random.default_rng(0).permutation(len(table))
    reference = table.iloc[np.sort(order[:150])].reset_index(drop=True)
    version = table.iloc[np.sort(order[150:])].reset_index(drop=True)
    measured = GeneratorReference(reference, k=5, n_regions=5).measure(version)
    assert measured.figures["precision"] > 0.5 and measured.figures["coverage"] > 0.5
    share = measured.per_feature["1960"]["missing_share"]
    assert share == pytest.approx(version["1960"].isna().mean())


def test_check_and_evaluate_name_what_the_reference_leaves_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notes the daemon logs ("reference note") are printed by the single-file ``check``
    and kept in ``Evaluation.notes``: identifiers, columns missing everywhere, missing cells,
    a column whose spread a few extreme values dominate (issue 24, issue 25 item 4)."""
    from statsmodels.datasets import fertility

    table = fertility.load_pandas().data
    order = np.random.default_rng(0).permutation(len(table))
    reference = table.iloc[np.sort(order[:150])].reset_index(drop=True)
    reference.loc[[3, 77], "1970"] = 1e200  # a few huge finite values
    version = table.iloc[np.sort(order[150:])].reset_index(drop=True)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    version.to_csv(tmp_path / "version.csv", index=False)
    expected = (
        "column 'Country Name' left out of the tabular figures: identifier",
        "column 'Country Code' left out of the tabular figures: identifier",
        "column '2013' left out: missing in every row",
        "column '1960' is missing in",
        "column '1970': a few extreme values dominate its spread: scaled robustly",
    )
    monkeypatch.chdir(tmp_path)
    code = main(
        ["check", str(tmp_path / "version.csv"), "--reference", str(tmp_path / "reference.csv"),
         "--cache-dir", "off", "--log-format", "text"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    printed = [
        line for line in captured.err.splitlines() if line.startswith("tailwatch check: note")
    ]
    for text in expected:
        assert sum(text in line for line in printed) == 1, (text, captured.err)
    result = tailwatch.evaluate(reference, version, cache=False)
    for text in expected:
        assert sum(text in note for note in result.notes) == 1, (text, result.notes)
    assert [f"tailwatch check: note: {note}" for note in result.notes] == printed
    complete = tailwatch.evaluate(reference[["1980", "1990"]].dropna(), version[["1980", "1990"]])
    assert complete.notes == ()  # nothing left out, nothing to say
