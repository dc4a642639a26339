"""Issue 12, item 8: inputs that gave silent or unclear results now give right figures or named
errors (extreme values, integer-coded categories, a non-UTF-8 CSV, a column the reference lacks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.generator import GeneratorReference
from collectors.metrics.drift import correlation_difference
from collectors.sources.readers import SourceError, read_table
from monitor.store.database import Store
from monitor.watch.generator import GeneratorWatch
from tests.support.generators import generator, real, runs, version_path, write


def test_correlation_difference_is_finite_near_the_float64_limit() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(500, 3))
    data[:, 1] += data[:, 0]
    scaled = data / np.abs(data).max() * 1e308  # every value within the float64 range
    assert np.isfinite(scaled).all()
    assert correlation_difference(scaled, scaled) == pytest.approx(0.0, abs=1e-12)
    # correlation does not depend on the unit: the same answer as on the unscaled data
    other = rng.normal(size=(500, 3))
    expected = correlation_difference(data, other)
    assert correlation_difference(scaled, other * 1e300) == pytest.approx(expected, rel=1e-9)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=rows), "region": rng.integers(0, 4, size=rows)})


def test_integer_coded_categories_match_whatever_the_number_type() -> None:
    reference = GeneratorReference(
        _frame(1000, 1), holdout=_frame(300, 2), categorical=["region"], k=5, n_regions=4
    )
    sample = _frame(500, 3)
    expected = reference.measure(sample).figures
    assert expected["recall"] > 0.9
    for dtype in (float, "Int64", np.int32):  # e.g. a CSV with a blank cell reads as float
        figures = reference.measure(sample.astype({"region": dtype})).figures
        for name in ("precision", "recall", "coverage", "density"):
            assert figures[name] == pytest.approx(expected[name]), (dtype, name)


def test_a_non_utf8_csv_names_the_file_and_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,café\n2,thé\n".encode("latin-1"))
    with pytest.raises(SourceError) as caught:
        read_table([path])
    message = str(caught.value)
    assert str(path) in message and "utf-8" in message.lower(), message


def test_a_column_missing_from_the_reference_names_the_file(tmp_path: Path) -> None:
    settings = generator(tmp_path, "gan", columns=["f0", "f1", "absent"])
    write(version_path(settings, "v1"), real(300, 1))
    with Store(tmp_path / "tw.duckdb") as store:
        assert GeneratorWatch(settings, store).scan().failed == 1
        (error,) = runs(store, "gan")["error"]
    assert settings.reference in error and "'absent'" in error, error
