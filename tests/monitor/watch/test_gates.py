"""The gates in the daemon's scan (issue 15): figures stored in a real DuckDB store, the three
checks over the stored history, and the verified rows exported as Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from monitor.checks import evaluate_checks
from monitor.settings import GeneratorSettings
from monitor.store.database import Store
from monitor.store.history import version_figures
from monitor.watch.generator import GeneratorWatch


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratorSettings, Path]:
    root = tmp_path_factory.mktemp("gates")
    data = load_breast_cancer(as_frame=True).frame.sample(frac=1.0, random_state=0)
    data = data.reset_index(drop=True)
    training, holdout, fresh = data.iloc[:220], data.iloc[220:420], data.iloc[420:]
    (root / "versions").mkdir()
    training.to_parquet(root / "training.parquet", index=False)
    holdout.to_parquet(root / "holdout.parquet", index=False)
    shuffled = fresh.copy()
    shuffled["target"] = np.random.default_rng(0).permutation(shuffled["target"].to_numpy())
    versions = {
        "v0": fresh,  # a healthy generator: unseen real rows
        "v1": shuffled,  # labels scrambled: useless for training
        "v2": training.sample(len(fresh), random_state=1),  # copies of training rows
        "v3": fresh[fresh["target"] == 1],  # class 0 (37 % of the rows) gone
    }
    for name, frame in versions.items():
        frame.to_parquet(root / "versions" / f"{name}.parquet", index=False)
    settings = GeneratorSettings(
        name="cancer",
        reference=str(root / "training.parquet"),
        holdout=str(root / "holdout.parquet"),
        versions=str(root / "versions" / "*"),
        sample_size=len(fresh),
        regions=4,
        target="target",
        export_verified=str(root / "verified"),
    )
    return settings, root


def test_gates_are_measured_stored_and_judged(world, tmp_path: Path) -> None:
    settings, root = world
    with Store(tmp_path / "tw.duckdb") as store:
        outcome = GeneratorWatch(settings, store).scan()
        assert outcome.measured == 4 and outcome.failed == 0
        history, healthy = version_figures(store.history("generator", "cancer"))
    figures = {v.version: v.figures for v in history}
    assert figures["v0"]["utility_ratio"] > 0.9
    assert figures["v1"]["tstr_roc_auc"] < 0.65 < figures["v1"]["trtr_roc_auc"]
    assert figures["v2"]["membership_auc"] > 0.8
    assert figures["v3"]["classes_lost"] == 1.0
    assert healthy["utility_ratio"] == 1.0 and healthy.spread["utility_ratio"] > 0
    assert healthy["membership_auc"] == 0.5
    results = {r.check: r for r in evaluate_checks(history, healthy)}
    # v3 holds one class only: no model trained on it can separate the classes either.
    assert results["utility_decline"].breached == (False, True, False, True)
    assert results["membership_exposure"].breached == (False, False, True, False)
    assert results["class_lost"].breached == (False, False, False, True)
    assert results["membership_exposure"].kind == "privacy"
    # The kept rows of each version, as Parquet: as many as the yield says.
    for version in ("v0", "v2"):
        kept = pd.read_parquet(root / "verified" / "cancer" / f"{version}.parquet")
        sample_rows = history[int(version[1])].sample_rows
        assert len(kept) == round(figures[version]["verified_yield"] * sample_rows)
    assert figures["v2"]["verified_yield"] < 0.1 < figures["v0"]["verified_yield"]


def test_target_must_be_measured() -> None:
    with pytest.raises(ValueError, match="target column 'y' is not in 'columns'"):
        GeneratorSettings(
            name="g", reference="r.parquet", versions="v/*", columns=["a"], target="y"
        )
    with pytest.raises(ValueError, match="'task' needs a 'target'"):
        GeneratorSettings(name="g", reference="r.parquet", versions="v/*", task="regression")
