"""Structure figures through the daemon's scan into a real DuckDB store, ``tailwatch check`` and
``tailwatch.evaluate`` (issue 23): every version carries them with their healthy levels and
spreads, and its details; a broken interaction stands out of its healthy band."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tailwatch
from collectors.metrics.catalog import STRUCTURE_METRICS
from monitor.cli import main
from monitor.settings import GeneratorSettings, StructureSettings
from monitor.store.database import Store
from monitor.store.history import version_figures
from monitor.watch.generator import GeneratorWatch, structure_options
from tests.collectors.families.data import BROKEN, cancer, shuffled_within

STRUCTURE = {spec.name for spec in STRUCTURE_METRICS}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("structure")
    reference, holdout, fresh = cancer()
    reference.to_parquet(root / "reference.parquet", index=False)
    holdout.to_parquet(root / "holdout.parquet", index=False)
    (root / "versions").mkdir()
    fresh.to_parquet(root / "versions" / "v0.parquet", index=False)
    broken = shuffled_within(fresh, BROKEN, "diagnosis", seed=1)
    broken.to_parquet(root / "versions" / "v1.parquet", index=False)
    return root


def test_the_daemon_stores_structure_figures_levels_and_details(files: Path, tmp_path: Path):
    settings = GeneratorSettings(
        name="cancer",
        reference=str(files / "reference.parquet"),
        holdout=str(files / "holdout.parquet"),
        versions=str(files / "versions" / "*"),
        categorical=["diagnosis"],
        target="diagnosis",
        sample_size=149,
        regions=4,
        structure=StructureSettings(max_targets=3, healthy_draws=3),
    )
    with Store(tmp_path / "tw.duckdb") as store:
        outcome = GeneratorWatch(settings, store).scan()
        assert outcome.measured == 2 and outcome.failed == 0
        history, healthy = version_figures(store.history("generator", "cancer"))
        details = store.run_details("generator", "cancer", "structure")
    assert [v.version for v in history] == ["v0", "v1"]
    for version in history:
        assert set(version.figures) >= STRUCTURE, STRUCTURE - set(version.figures)
        assert "interaction_loss" in version.per_feature[BROKEN]
    assert set(healthy) >= STRUCTURE and STRUCTURE - {"detection_auc"} <= set(healthy.spread)
    assert healthy.meta["structure_healthy_draws"] == 3
    fresh, broken = (v.figures for v in history)
    for name in ("dependence_difference_max", "interaction_loss_max"):
        band = healthy[name] + 3 * healthy.spread[name]
        assert fresh[name] <= band < broken[name], (name, fresh[name], band, broken[name])
    stored = {row.version: json.loads(row.content) for row in details.itertuples()}
    assert set(stored) == {"v0", "v1"}
    worst = stored["v1"]["pairs"]["worst"][0]
    assert BROKEN in (worst["first"], worst["second"])
    assert worst["difference"] == pytest.approx(broken["dependence_difference_max"])


def test_the_switch_turns_the_family_off() -> None:
    assert structure_options(StructureSettings(enabled=False)) is None
    on = structure_options(StructureSettings(max_columns=12, detection=False))
    assert on is not None and on.max_columns == 12 and not on.detection
    with pytest.raises(ValueError, match="max_columns"):
        StructureSettings(max_columns=1)


def test_check_and_evaluate_carry_the_structure_figures(files: Path, tmp_path: Path) -> None:
    reference, holdout, fresh = cancer()
    evaluation = tailwatch.evaluate(
        reference,
        fresh,
        holdout=holdout,
        categorical=["diagnosis"],
        target="diagnosis",
        regions=4,
        cache=False,
    )
    assert set(evaluation.figures) >= STRUCTURE
    assert set(evaluation.healthy) >= STRUCTURE
    out = tmp_path / "check.json"
    code = main(
        [
            "check",
            str(files / "versions" / "v1.parquet"),
            "--reference",
            str(files / "reference.parquet"),
            "--holdout",
            str(files / "holdout.parquet"),
            "--categorical",
            "diagnosis",
            "--target",
            "diagnosis",
            "--regions",
            "4",
            "--cache-dir",
            "off",
            "--profile",
            "--json",
            str(out),
        ]
    )
    assert code in (0, 1)
    subject = json.loads(out.read_text())["subjects"][0]
    assert subject["error"] is None
    assert subject["timings"]["structure"] > 0  # measured in the check's run
