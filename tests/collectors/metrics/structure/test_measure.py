"""collectors.metrics.structure.measure: figures of a version and their real-vs-real levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.metrics.structure._frame import split_columns
from collectors.metrics.structure.measure import StructureReference
from tests.collectors.metrics.structure.data import mixed


@pytest.fixture(scope="module")
def reference() -> StructureReference:
    return StructureReference(mixed(1000, 0), mixed(800, 1), seed=2)


def test_healthy_levels_are_the_mean_and_sd_of_pool_draws(reference: StructureReference) -> None:
    m = 150  # pool of 534: without replacement, finite-population correction
    healthy = reference.healthy_at(m, draws=3)
    assert healthy is reference.healthy_at(m, draws=3)
    rng = np.random.default_rng([2, m, 7])
    draws = []
    for _ in range(3):
        rows = np.sort(rng.choice(len(reference.pool), size=m, replace=False))
        sample = reference.pool.iloc[rows].reset_index(drop=True)
        draws.append(reference.measure(sample, importance=False).figures)
    for name in ("dependence_difference_max", "detection_auc", "interaction_loss_max"):
        values = [d[name] for d in draws]
        assert healthy.figures[name] == pytest.approx(np.mean(values))
        correction = 1 / np.sqrt(1 - m / len(reference.pool))
        assert healthy.spread[name] == pytest.approx(np.std(values, ddof=1) * correction)
    assert (healthy.sample_rows, healthy.drawn_rows, healthy.pool_rows) == (m, m, 534)
    assert healthy.at_size
    big = reference.healthy_at(400, draws=2)  # more than half the pool: draws of 267 rows
    assert (big.drawn_rows, big.at_size) == (267, False)


def test_a_broken_version_leaves_the_healthy_band_and_fresh_rows_stay(
    reference: StructureReference,
) -> None:
    healthy = reference.healthy_at(150, draws=3)  # the first test's draws, cached
    assert healthy.figures["detection_auc"] < 0.6
    fresh = reference.measure(mixed(150, 7)).figures
    broken = reference.measure(mixed(150, 8, broken=True))
    for name in ("dependence_difference_max", "interaction_loss_max"):
        band = healthy.figures[name] + 4 * healthy.spread[name]
        assert fresh[name] < band
        assert broken.figures[name] > band
    assert broken.pairs.worst(1)[0].second == "c"
    worst = max(broken.audits, key=lambda a: a.loss)
    assert worst.importance_change  # features named for the worst column


def test_figure_names_and_the_holdout_split(reference: StructureReference) -> None:
    figures = reference.measure(mixed(300, 9)).figures
    assert set(figures) == {
        "dependence_difference_mean",
        "dependence_difference_max",
        "detection_auc",
        "category_share_p_min",
        "category_share_ratio_min",
        "category_share_ratio_max",
        "categories_off_share",
        "interaction_loss_max",
        "interaction_loss_ratio_max",
        "class_coverage_min",
        "class_recall_min",
    }
    assert (len(reference.test), len(reference.pool)) == (266, 534)
    assert reference.label_columns == ["c"]


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="target 'w'"):
        StructureReference(mixed(100, 0), mixed(100, 1), target="w")
    with pytest.raises(ValueError, match="holdout: no column 'c'"):
        StructureReference(mixed(100, 0), mixed(100, 1).drop(columns="c"))


def test_every_figure_has_a_catalog_record(reference: StructureReference) -> None:
    from collectors.metrics.catalog import BY_NAME, GENERATOR_METRICS
    from collectors.metrics.structure.specs import STRUCTURE_METRICS

    names = {spec.name for spec in STRUCTURE_METRICS}
    assert set(reference.measure(mixed(300, 9)).figures) <= names
    # in the one catalog (stored, exported), each name once: no clash with the other figures
    assert all(BY_NAME[spec.name] is spec for spec in STRUCTURE_METRICS)
    all_names = [spec.name for spec in GENERATOR_METRICS]
    assert len(all_names) == len(set(all_names))
    assert all(spec.paper for spec in STRUCTURE_METRICS)


def test_per_feature_figures_name_the_broken_columns(reference: StructureReference) -> None:
    measured = reference.measure(mixed(300, 8, broken=True))
    per_feature = measured.per_feature()
    worst = measured.pairs.worst(1)[0]
    for name in (worst.first, worst.second):
        assert per_feature[name]["dependence_difference_max"] == worst.difference
    assert per_feature["z"]["dependence_difference_max"] < worst.difference
    shares = [s for s in measured.categories.tested if s.column == "c"]
    assert per_feature["c"]["category_share_ratio_min"] == min(s.ratio for s in shares)
    for audit in measured.audits:
        assert per_feature[audit.column]["interaction_loss"] == audit.loss
    assert "class_coverage_min" in per_feature["c"]


def test_wide_tables_screen_the_columns_of_the_strongest_pairs() -> None:
    """Above MAX_SCREENED columns, the audit targets are screened among the columns whose
    strongest |Spearman| with another column is largest (computed here with scipy)."""
    from scipy.stats import spearmanr

    from collectors.metrics.structure.measure import MAX_SCREENED, screening_candidates
    from collectors.metrics.structure.pairs import dependence, select_pairs

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, MAX_SCREENED + 6)))
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    frame["x1"] = frame["x0"] + 0.3 * rng.normal(size=300)
    frame["x3"] = frame["x2"] + 0.6 * rng.normal(size=300)
    columns = split_columns(frame)
    pairs = select_pairs(frame, columns)
    chosen = screening_candidates(columns.names, pairs, dependence(frame, columns, pairs))
    rho = np.abs(spearmanr(frame.to_numpy()).statistic)
    np.fill_diagonal(rho, 0.0)
    strongest = dict(zip(frame.columns, rho.max(axis=1), strict=True))
    expected = sorted(frame.columns, key=lambda n: (-strongest[n], n))[:MAX_SCREENED]
    assert chosen == expected and {"x0", "x1", "x2", "x3"} <= set(chosen)
    assert screening_candidates(columns.names[:5], pairs, np.zeros(len(pairs))) == list(
        columns.names[:5]
    )


def test_figures_do_not_depend_on_the_order_rows_came_in() -> None:
    # A reservoir sample or a parallel read gives a version's rows in any order (the daemon's
    # DuckDB sample vs a notebook's frame). Versions larger than max_rows: the audits draw
    # their rows, and detection folds them.
    reference = StructureReference(mixed(600, 0), mixed(300, 1), max_rows=200, seed=2)
    version = mixed(400, 9, broken=True)
    measured = reference.measure(version)
    for seed in (3, 4):
        shuffled = reference.measure(version.sample(frac=1.0, random_state=seed))
        assert shuffled.figures == measured.figures
        assert shuffled.per_feature() == measured.per_feature()


def test_a_table_without_categories_never_embeds_a_version() -> None:
    """The distance space serves the class and boundary coverage only: without a categorical
    column neither the reference nor a version or healthy draw is embedded (wine's numeric
    columns; the embedding records every source it is asked for; the reference was embedded
    up to session 11), the figures are those measured with it, and the reference's matrix,
    asked for, is the space's."""
    from sklearn.datasets import load_wine

    from collectors.metrics.structure._frame import standard_embedding

    table = load_wine(as_frame=True).frame.drop(columns="target").iloc[:, :6]
    reference, version, holdout = table.iloc[:60], table.iloc[60:120], table.iloc[120:]
    asked: list[str] = []
    space = standard_embedding(reference, split_columns(reference))

    def embed(frame: pd.DataFrame, source: str) -> np.ndarray:
        asked.append(source)
        return space(frame, source)

    structure = StructureReference(reference, holdout, seed=1, embed=embed)
    measured = structure.measure(version)
    structure.healthy_at(20, draws=2)
    assert asked == []
    plain_reference = StructureReference(reference, holdout, seed=1)
    plain = plain_reference.measure(version)
    assert measured.figures == plain.figures and "class_coverage_min" not in plain.figures
    np.testing.assert_array_equal(structure.real_matrix, space(reference, "reference"))
    assert asked == ["reference"] and structure.embed is embed
    np.testing.assert_array_equal(plain_reference.real_matrix, space(reference, "reference"))


def test_coverage_figures_embed_the_reference_when_prepared() -> None:
    """With a label column (wine's class) the reference is embedded once, at preparation (the
    versions' and healthy draws' threads only read it), and every version in the same space."""
    from sklearn.datasets import load_wine

    from collectors.metrics.structure._frame import standard_embedding

    table = load_wine(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 4, 5, 13]].copy()
    table["target"] = table["target"].astype(str)
    table = table.sample(frac=1.0, random_state=2).reset_index(drop=True)
    reference, version, holdout = table.iloc[:70], table.iloc[70:120], table.iloc[120:]
    asked: list[str] = []
    space = standard_embedding(reference, split_columns(reference, categorical=["target"]))

    def embed(frame: pd.DataFrame, source: str) -> np.ndarray:
        asked.append(source)
        return space(frame, source)

    for target in (None, "target"):
        asked.clear()
        structure = StructureReference(
            reference, holdout, categorical=["target"], target=target, seed=1, embed=embed
        )
        assert asked == ["reference"]
        measured = structure.measure(version)
        assert asked == ["reference", "version"] and "class_coverage_min" in measured.figures
        assert ("boundary_coverage" in measured.figures) == (target is not None)
        np.testing.assert_array_equal(structure.real_matrix, space(reference, "reference"))


def test_a_small_references_screening_models_are_its_audits_real_sides() -> None:
    """A reference within max_rows: the screening fitted each audited column on every reference
    row and scored it on the test third, which is the audit's real side for versions of at
    least as many rows; kept, they give the figures (errors, losses, importance changes) of
    real sides fitted again, bit for bit (breast cancer with a label column and a target)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    table = data.frame.iloc[:, :8].copy()
    table["cls"] = np.array(["m", "b"])[data.target]
    table = table.sample(frac=1.0, random_state=4).reset_index(drop=True)
    reference, version, holdout = table.iloc[:180], table.iloc[180:380], table.iloc[380:]
    kept = StructureReference(reference, holdout, target="cls", seed=5, max_targets=3)
    assert kept.targets and set(kept._memo) == {(s.column, 180) for s in kept.targets}
    fresh = StructureReference(reference, holdout, target="cls", seed=5, max_targets=3)
    fresh._memo.clear()  # the real sides fitted by the first audit, as before
    first, second = kept.measure(version), fresh.measure(version)
    assert first.figures == second.figures
    assert [vars(a) for a in first.audits] == [vars(a) for a in second.audits]
    assert set(fresh._memo) == set(kept._memo)
