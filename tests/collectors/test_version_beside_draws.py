"""A cold version measured beside its healthy draws (GeneratorReference.measure_with_healthy):
the draws run in a worker thread, and every figure, level and spread is that of the version and
the draws measured one after the other, on real tables (issue 26)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.families.structure import StructureOptions, structure_family
from collectors.generator import GeneratorReference, Measurement
from collectors.healthy import HealthyLevels
from collectors.healthy_cache import DiskHealthyCache


def _tables(name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(reference, holdout, version): disjoint rows of a real table."""
    if name == "digits":
        data = load_digits(as_frame=True).data
        return data.iloc[:700], data.iloc[700:1050], data.iloc[1050:1450]
    if name == "wine":  # the class as a category (one-hot: tied distances), missing cells
        data = load_wine(as_frame=True).frame
        data["target"] = data["target"].map({0: "a", 1: "b", 2: "c"})
        data.loc[data.index[::7], "alcohol"] = np.nan
        return data.iloc[:80], data.iloc[80:130], data.iloc[130:]
    data = load_breast_cancer(as_frame=True).frame
    return data.iloc[:260], data.iloc[260:400], data.iloc[400:]


def _fitted(name: str, **options: Any) -> tuple[GeneratorReference, pd.DataFrame]:
    reference, holdout, version = (frame.reset_index(drop=True) for frame in _tables(name))
    fitted = GeneratorReference(
        reference, holdout=holdout, n_regions=4, healthy_draws=3, gates=True, **options
    )
    return fitted, version


def _state(m: Measurement, h: HealthyLevels | None) -> tuple[object, ...]:
    assert h is not None and m.regions is not None
    return (m.figures, m.per_feature, m.regions.coverage.tolist(), dict(h), h.spread, h.meta)


@pytest.mark.parametrize("name", ["digits", "wine", "breast_cancer"])
def test_the_version_beside_its_draws_gives_the_figures_one_after_the_other(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    structure = (structure_family(StructureOptions()),) if name != "wine" else ()
    fitted, version = _fitted(name, families=structure)
    after = (fitted.measure(version, source="version"), fitted.healthy_at(len(version)))
    before_fitted, _ = _fitted(name, families=structure)
    before = (before_fitted.healthy_at(len(version)), before_fitted.measure(version))
    threads: set[str] = set()
    draw = GeneratorReference._draw

    def named(self: GeneratorReference, *args: object) -> dict[str, float]:
        threads.add(threading.current_thread().name)
        return draw(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(GeneratorReference, "_draw", named)
    beside_fitted, _ = _fitted(name, families=structure)
    beside = beside_fitted.measure_with_healthy(version, source="version")
    assert threads and all(t.startswith("healthy") for t in threads)  # in the worker
    assert beside[0].timings["healthy_levels"] > 0  # preparing the draws, waiting for them
    assert _state(*beside) == _state(*after) == _state(before[1], before[0])
    assert (
        beside_fitted.healthy_measured == 1
        and beside_fitted.healthy_at(len(version)) is (beside[1])
    )


def test_levels_held_or_cached_are_not_measured_again(tmp_path: Path) -> None:
    cache = DiskHealthyCache(tmp_path)
    fitted, version = _fitted("breast_cancer", healthy_cache=cache, healthy_key="abc123")
    first = fitted.measure_with_healthy(version)
    again = fitted.measure_with_healthy(version)
    assert fitted.healthy_measured == 1 and fitted.healthy_loaded == 0
    restarted, _ = _fitted("breast_cancer", healthy_cache=cache, healthy_key="abc123")
    loaded = restarted.measure_with_healthy(version)  # as a new process: from the cache
    assert restarted.healthy_measured == 0 and restarted.healthy_loaded == 1
    assert restarted.model._draws is None  # no lists built for draws that never run
    assert _state(*first) == _state(*again) == _state(*loaded)


def test_a_failing_version_waits_for_its_draws_and_raises() -> None:
    fitted, version = _fitted("breast_cancer")
    broken = version.drop(columns=version.columns[:3])
    with pytest.raises(ValueError):
        fitted.measure_with_healthy(broken)
    assert len(version) in fitted._healthy  # the levels were measured and kept


def test_the_probes_real_draws_are_fitted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The version's utility probe and the healthy levels both need the real-vs-real (TRTR)
    draws at the version's size, from two threads: they are fitted once, and shared."""
    import collectors.gates.suite as suite

    sizes: list[int] = []
    fit = suite.trtr_draws

    def counted(*args: Any, **kwargs: Any) -> Any:
        sizes.append(args[5])
        return fit(*args, **kwargs)

    monkeypatch.setattr(suite, "trtr_draws", counted)
    fitted, version = _fitted("breast_cancer", target="target")
    measurement, healthy = fitted.measure_with_healthy(version)
    assert healthy is not None and "utility_ratio" in measurement.figures
    assert sizes == [len(version)]
