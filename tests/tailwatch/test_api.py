"""The notebook API: doctests, the README example, and the same figures as the daemon.

Real things only: the daemon's GeneratorWatch measures Parquet files into a real DuckDB store and
the facade measures the same rows as DataFrames and an Arrow table.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import tailwatch
from monitor.demo.tabular import real_sample
from monitor.settings import GeneratorSettings
from monitor.store.database import Store
from monitor.store.history import version_figures
from monitor.watch.generator import GeneratorWatch

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = ["f0", "f1", "f2", "segment"]


def test_docstring_examples_run() -> None:
    attempted = 0
    for module in (tailwatch, tailwatch._result, tailwatch._measure):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, f"{module.__name__}: {result.failed} doctest(s) failed"
        attempted += result.attempted
    assert attempted >= 20  # the examples of the module, compare() and evaluate()


def test_readme_notebook_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"### In a notebook.*?```python\n(.*?)```", text, re.S)
    assert code, "README has no notebook example"
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), str(README), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("healthy ")
    assert printed[1] == "collapse suspected"
    history = namespace["history"]
    assert isinstance(history, tailwatch.Comparison)
    assert "<table" in history._repr_html_()
    assert list(history.to_frame().index) == ["v0", "v1", "v2"]


def test_evaluate_gives_the_daemons_figures(tmp_path: Path) -> None:
    real = real_sample(600, seed=1)[COLUMNS]
    v1 = real_sample(200, seed=2)[COLUMNS]
    v2 = real_sample(200, seed=3)[COLUMNS]
    v2["f0"] = 0.3 * v2["f0"]
    for name, frame in (("reference", real), ("v1", v1), ("v2", v2)):
        folder = tmp_path / ("real" if name == "reference" else "versions")
        folder.mkdir(exist_ok=True)
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    settings = GeneratorSettings(
        name="gan",
        reference=str(tmp_path / "real" / "*.parquet"),
        versions=str(tmp_path / "versions" / "*"),
        categorical=["segment"],
        sample_size=200,
        k=5,
        regions=4,
    )
    with Store(tmp_path / "tailwatch.duckdb") as store:
        outcome = GeneratorWatch(settings, store).scan()
        assert (outcome.measured, outcome.failed) == (2, 0)
        stored, stored_healthy = version_figures(store.history("generator", "gan"))

    result = tailwatch.compare(
        real, {"v1": v1, "v2": pa.Table.from_pandas(v2)}, categorical=["segment"], regions=4
    )
    assert [v.version for v in stored] == result.versions == ["v1", "v2"]
    for ours, daemon in zip(result.evaluations, stored, strict=True):
        mine = ours.version_figures
        assert mine.figures == pytest.approx(daemon.figures, rel=1e-9, abs=1e-12)
        assert set(mine.figures) == set(daemon.figures)
        assert (mine.reference_rows, mine.sample_rows) == (
            daemon.reference_rows,
            daemon.sample_rows,
        )
        assert mine.per_feature.keys() == daemon.per_feature.keys()
        for feature, values in daemon.per_feature.items():
            assert mine.per_feature[feature] == pytest.approx(values, rel=1e-9, abs=1e-12)
        assert mine.spread == pytest.approx(daemon.spread, rel=1e-9, abs=1e-12)
    assert dict(result.evaluations[-1].healthy) == pytest.approx(dict(stored_healthy), rel=1e-9)
    assert result.evaluations[-1].healthy.meta == stored_healthy.meta

    single = tailwatch.evaluate(real, v1, categorical=["segment"], regions=4)
    assert single.figures == pytest.approx(stored[0].figures, rel=1e-9, abs=1e-12)
    assert single.baseline is None and single.level == "healthy"
    frame = single.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame.loc["coverage", "goal"] == "maximize"
    states = single.checks_frame()["state"]
    assert states["coverage_decline"] == "n/a" and states["coverage_gap"] == "ok"
    page = result["v2"].to_html()
    assert page.startswith("<!doctype html>") and "coverage_decline" in page
