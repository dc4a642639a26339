"""Frames-in measurement (``monitor.measure``, behind ``tailwatch.evaluate`` and ``tailwatch
check``): healthy levels reused from the cache with every figure equal (issue 26), the cache
missed whenever an input changes, the store keeping them for the daemon, and the gates and text
generators covered as the daemon covers them (issue 24). Real data only: scikit-learn's breast
cancer table and standard-library docstrings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

import tailwatch
from collectors.recipe import forget_fitted
from monitor.cli import main
from monitor.measure import Measured, measure_versions
from monitor.settings import GeneratorSettings
from monitor.store.database import Store
from monitor.watch.generator import GeneratorWatch
from tests.support.real_text import paragraphs
from tests.support.searches import counted_searches
from tests.support.text import lose_rare_words

UTILITY = {"utility_decline", "class_lost"}
TEXT = {"vocabulary_loss", "rare_mass_loss", "diversity_decline", "length_tail_loss"}


@pytest.fixture(autouse=True)
def no_memo() -> None:
    """Each test starts as a new process: no reference fitted in memory."""
    forget_fitted()


@pytest.fixture(scope="module")
def cancer() -> dict[str, pd.DataFrame]:
    data = load_breast_cancer(as_frame=True).frame.sample(frac=1.0, random_state=0)
    data = data.reset_index(drop=True)
    return {"real": data.iloc[:300], "v0": data.iloc[300:430], "v1": data.iloc[430:]}


def _everything(measured: Measured) -> dict[str, object]:
    """Every figure a measurement gives, for equality: figures, per-feature figures, regions,
    histograms, healthy levels with spread and meta, row counts."""
    return {
        "versions": [
            (v.version, dict(v.figures), v.per_feature, dict(v.spread), v.sample_rows)
            for v in measured.versions
        ],
        "regions": [
            (m.regions.sizes.tolist(), m.regions.coverage.tolist(), m.regions.density.tolist())
            for m in measured.measurements
        ],
        "histograms": [json.dumps(m.histograms, sort_keys=True) for m in measured.measurements],
        "healthy": (dict(measured.healthy), measured.healthy.spread, measured.healthy.meta),
    }


def test_a_second_measurement_reuses_the_healthy_levels(
    cancer: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    versions = {"v0": cancer["v0"], "v1": cancer["v1"]}
    fresh = measure_versions(cancer["real"], versions, regions=4, cache=False)
    first = measure_versions(cancer["real"], versions, regions=4, cache=tmp_path)
    second = measure_versions(cancer["real"], versions, regions=4, cache=tmp_path)
    assert not fresh.healthy_cached and not first.healthy_cached
    assert first.reference.healthy_measured == 2  # one size per version (130 and 139 rows)
    assert second.healthy_cached and second.reference is first.reference  # fitted once
    assert second.reference.healthy_measured == 2  # not measured again
    assert len(list(tmp_path.glob("*.json"))) == 2
    forget_fitted()  # as a new process: the levels come from the files
    third = measure_versions(cancer["real"], versions, regions=4, cache=tmp_path)
    assert third.healthy_cached and third.reference is not first.reference
    assert third.reference.healthy_measured == 0 and third.reference.healthy_loaded == 2
    assert _everything(third) == _everything(second) == _everything(first) == _everything(fresh)
    assert {"fit", "fidelity", "mmd", "drift_tails", "healthy_levels"} <= set(second.timings)


def test_evaluate_twice_reuses_the_levels_and_judges_alike(
    cancer: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    runs = [
        tailwatch.evaluate(
            cancer["real"], cancer["v1"], baseline=cancer["v0"], regions=4, cache=tmp_path
        )
        for _ in range(2)
    ]
    assert [r.healthy_cached for r in runs] == [False, True]
    first, second = runs
    assert second.figures == first.figures and second.per_feature == first.per_feature
    assert dict(second.healthy) == dict(first.healthy)
    assert second.healthy.spread == first.healthy.spread
    assert second.healthy.meta == first.healthy.meta
    assert second.checks == first.checks and second.level == first.level
    assert "healthy_levels" in second.timings


def test_the_cache_misses_when_any_input_changes(
    cancer: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    real, version = cancer["real"], {"v": cancer["v0"]}
    assert not measure_versions(real, version, regions=4, cache=tmp_path).healthy_cached
    assert measure_versions(real, version, regions=4, cache=tmp_path).healthy_cached
    changed = real.copy()
    changed.iloc[7, 0] += 1e-9  # one cell of the reference
    assert not measure_versions(changed, version, regions=4, cache=tmp_path).healthy_cached
    assert not measure_versions(real, version, regions=4, k=4, cache=tmp_path).healthy_cached
    assert not measure_versions(real, version, regions=4, seed=1, cache=tmp_path).healthy_cached
    smaller = {"v": cancer["v0"].iloc[:100]}  # another size
    assert not measure_versions(real, smaller, regions=4, cache=tmp_path).healthy_cached
    holdout = cancer["v1"]
    assert not measure_versions(
        real, version, holdout=holdout, regions=4, cache=tmp_path
    ).healthy_cached
    assert measure_versions(real, version, regions=4, cache=tmp_path).healthy_cached


def test_the_daemon_keeps_the_levels_in_its_store(
    cancer: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    (tmp_path / "versions").mkdir()
    cancer["real"].to_parquet(tmp_path / "real.parquet", index=False)
    cancer["v0"].to_parquet(tmp_path / "versions" / "v0.parquet", index=False)
    settings = GeneratorSettings(
        name="cancer",
        reference=str(tmp_path / "real.parquet"),
        versions=str(tmp_path / "versions" / "*"),
        sample_size=130,
        regions=4,
    )
    with Store(tmp_path / "tw.duckdb") as store:
        first = GeneratorWatch(settings, store)
        first.scan()
        cancer["v1"].iloc[:130].to_parquet(tmp_path / "versions" / "v1.parquet", index=False)
        restarted = GeneratorWatch(settings, store)  # a new process: nothing in memory
        assert restarted.scan().measured == 1
        fitted = restarted._fitted
        assert fitted is not None
        assert fitted.reference.healthy_loaded == 1 and fitted.reference.healthy_measured == 0
        stored = store.history("generator", "cancer")
    healthy = stored[stored["scope"] == "healthy"]
    by_version = {v: dict(zip(g["metric"], g["value"], strict=True)) for v, g in
                  healthy.groupby("version")}  # fmt: skip
    assert by_version["v0"] == by_version["v1"]  # the same levels, loaded not re-measured


def test_a_cold_version_searches_the_holdout_against_the_reference_once(
    cancer: dict[str, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The healthy draws come before the version (facade and daemon alike): their distance lists
    give the model's, the gates' and the version's closest-record yardstick, one search of the
    holdout against the reference in all (issue 26; three before), the same figures."""
    calls = counted_searches(monkeypatch)
    real, holdout = cancer["real"], cancer["v1"]
    measured = measure_versions(real, {"v0": cancer["v0"]}, holdout=holdout, cache=False)
    fitted = measured.reference
    assert isinstance(fitted.model.holdout, np.ndarray)
    assert calls.count((len(holdout), len(real))) == 1
    forget_fitted()
    calls.clear()
    again = measure_versions(real, {"v0": cancer["v0"]}, holdout=holdout, cache=tmp_path)
    loaded = measure_versions(real, {"v0": cancer["v0"]}, holdout=holdout, cache=tmp_path)
    assert loaded.reference is again.reference and loaded.healthy_cached
    forget_fitted()
    calls.clear()  # levels from the files, no draws: one search of its own, shared
    from_files = measure_versions(real, {"v0": cancer["v0"]}, holdout=holdout, cache=tmp_path)
    assert from_files.healthy_cached and calls.count((len(holdout), len(real))) == 1
    assert _everything(from_files) == _everything(measured)
    (tmp_path / "versions").mkdir()
    real.to_parquet(tmp_path / "real.parquet", index=False)
    holdout.to_parquet(tmp_path / "holdout.parquet", index=False)
    cancer["v0"].to_parquet(tmp_path / "versions" / "v0.parquet", index=False)
    settings = GeneratorSettings(
        name="cancer",
        reference=str(tmp_path / "real.parquet"),
        holdout=str(tmp_path / "holdout.parquet"),
        versions=str(tmp_path / "versions" / "*"),
        sample_size=len(cancer["v0"]),
    )
    calls.clear()
    with Store(tmp_path / "tw.duckdb") as store:
        assert GeneratorWatch(settings, store).scan().measured == 1
        stored = store.history("generator", "cancer")
    assert calls.count((len(holdout), len(real))) == 1
    figures = stored[stored["scope"] == "reference"]
    by_metric = dict(zip(figures["metric"], figures["value"], strict=True))
    assert by_metric["dcr_close_share"] == measured.versions[0].figures["dcr_close_share"]


def _states(comparison: tailwatch.Comparison) -> dict[str, bool | None]:
    return {r.check: r.breached[-1] for r in comparison.checks}


def test_compare_runs_the_utility_checks_with_a_target(cancer: dict[str, pd.DataFrame]) -> None:
    versions = [cancer["v0"], cancer["v1"]]
    without = _states(tailwatch.compare(cancer["real"], versions, regions=4, cache=False))
    assert all(without.get(check) is None for check in UTILITY)  # "figures missing" before
    result = tailwatch.compare(
        cancer["real"], versions, regions=4, target="target", training=cancer["real"], cache=False
    )
    states = _states(result)
    assert all(states[check] is not None for check in UTILITY), states
    assert "utility_ratio" in result[-1].figures and "utility_ratio" in result[-1].healthy
    scrambled = cancer["v1"].copy()
    scrambled["target"] = np.random.default_rng(0).permutation(scrambled["target"].to_numpy())
    worse = tailwatch.compare(
        cancer["real"], [cancer["v0"], scrambled], regions=4, target="target", cache=False
    )
    assert worse[-1].figures["utility_ratio"] < result[-1].figures["utility_ratio"]


@pytest.fixture(scope="module")
def texts() -> dict[str, pd.DataFrame]:
    rows = list(paragraphs())
    order = np.random.default_rng(1).permutation(len(rows))
    rows = [rows[i] for i in order]
    fresh = rows[1400:1800]
    return {
        "real": pd.DataFrame({"text": rows[:1400]}),
        "v0": pd.DataFrame({"text": fresh}),
        "v1": pd.DataFrame({"text": lose_rare_words(rows[1800:2200], 250)}),
    }


def test_compare_measures_texts_as_the_daemon(
    texts: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    result = tailwatch.compare(
        texts["real"], [texts["v0"], texts["v1"]], text_column="text", regions=5, cache=tmp_path
    )
    states = _states(result)
    assert all(states[check] is not None for check in TEXT), states
    assert states["vocabulary_loss"] or states["rare_mass_loss"]
    assert "text_rare_mass_ratio" in result[-1].figures
    again = tailwatch.compare(
        texts["real"], [texts["v0"], texts["v1"]], text_column="text", regions=5, cache=tmp_path
    )
    assert again[-1].healthy_cached and again[-1].figures == result[-1].figures
    assert dict(again[-1].healthy) == dict(result[-1].healthy)


def test_check_covers_text_gates_and_profiles(
    cancer: dict[str, pd.DataFrame],
    texts: dict[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cancer["real"].to_parquet(tmp_path / "real.parquet", index=False)
    cancer["v0"].to_parquet(tmp_path / "v0.parquet", index=False)
    cancer["v1"].to_parquet(tmp_path / "v1.parquet", index=False)
    common = ["--regions", "4", "--cache-dir", str(tmp_path / "cache")]
    argv = ["check", str(tmp_path / "v1.parquet"), "--reference", str(tmp_path / "real.parquet")]
    argv += ["--baseline", str(tmp_path / "v0.parquet"), "--target", "target", *common]
    for round_ in range(2):
        out = tmp_path / f"gate{round_}.json"
        assert main([*argv, "--profile", "--json", str(out)]) == 0
        (subject,) = json.loads(out.read_text())["subjects"]
        states = {c["check"]: c["state"] for c in subject["checks"]}
        assert all(states[check] != "skipped" for check in UTILITY), states
        assert subject["healthy_cached"] is bool(round_)
        assert {"fit", "fidelity", "gates", "mmd", "healthy_levels"} <= set(subject["timings"])
    assert "seconds per figure family" in capsys.readouterr().err

    texts["real"].to_parquet(tmp_path / "texts.parquet", index=False)
    texts["v0"].to_parquet(tmp_path / "t0.parquet", index=False)
    texts["v1"].to_parquet(tmp_path / "t1.parquet", index=False)
    out = tmp_path / "text.json"
    argv = ["check", str(tmp_path / "t1.parquet"), "--reference", str(tmp_path / "texts.parquet")]
    argv += ["--baseline", str(tmp_path / "t0.parquet"), "--text-column", "text", *common]
    assert main([*argv, "--fail-on", "none", "--json", str(out)]) == 0
    (subject,) = json.loads(out.read_text())["subjects"]
    states = {c["check"]: c["state"] for c in subject["checks"]}
    assert all(states[check] != "skipped" for check in TEXT), states
