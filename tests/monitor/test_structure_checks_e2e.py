"""The structure checks end to end (issue 23): ``tailwatch.compare`` measures the structure
figures with their healthy levels through the generator reference (the daemon's path) and judges
them with every other check. On scikit-learn's wine table (13 numeric columns and the cultivar):
two versions of fresh real rows, then two whose columns are permuted on their own (every
marginal kept): the relation checks page from the first broken version, the healthy versions
breach nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine

import tailwatch

STRUCTURE_CHECKS = (
    "dependence_shift", "interaction_loss", "detectability_rise", "category_share_shift",
    "class_coverage_decline", "boundary_coverage_decline", "dependence_gap", "interaction_gap",
    "detectability_gap", "category_share_gap", "class_coverage_gap", "boundary_coverage_gap",
)  # fmt: skip


def test_compare_judges_structure_checks_on_measured_versions() -> None:
    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map(lambda c: f"cultivar {c}")
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    real, holdout, fresh = frame.iloc[:70], frame.iloc[70:130], frame.iloc[130:]
    rng = np.random.default_rng(3)
    healthy = [fresh.sample(40, random_state=s).reset_index(drop=True) for s in (1, 2)]
    broken = [
        pd.DataFrame({c: rng.permutation(v[c].to_numpy()) for c in v.columns}) for v in healthy
    ]
    result = tailwatch.compare(
        real, [*healthy, *broken], holdout=holdout, categorical=["target"], target="target",
        cache=False,
    )  # fmt: skip
    checks = {r.check: r for r in result.checks}
    # Judged on every version (figures, healthy spread and per-feature figures are stored).
    for name in ("dependence_shift", "interaction_loss", "class_coverage_decline"):
        assert None not in checks[name].breached[1:], name
    assert checks["dependence_shift"].breached == (False, False, True, True)
    assert result.level == "collapse suspected"
    assert "dependence_shift" in result.breached
    assert checks["dependence_shift"].detail.startswith("worst columns:")
    structure = [name for name in checks if name in STRUCTURE_CHECKS]
    assert len(structure) == len(STRUCTURE_CHECKS)
    assert [n for n in structure if any(checks[n].breached[:2])] == []  # healthy versions


def test_category_shares_and_importance_changes_reach_the_checks() -> None:
    """The structure family writes each tested category's share and the worst audit's importance
    changes per feature, so category_share_shift judges and interaction_loss names features."""
    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map(lambda c: f"cultivar {c}")
    frame = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    real, holdout, fresh = frame.iloc[:70], frame.iloc[70:130], frame.iloc[130:]
    versions = [fresh.sample(40, random_state=s).reset_index(drop=True) for s in (1, 2, 3)]
    result = tailwatch.compare(
        real, versions, holdout=holdout, categorical=["target"], target="target", cache=False
    )
    shares = {
        key: value
        for key, value in result[-1].per_feature.get("target", {}).items()
        if key.startswith("category_share:")
    }
    counted = versions[-1]["target"].value_counts(normalize=True)
    assert shares, result[-1].per_feature.get("target")
    for key, share in shares.items():
        assert abs(share - counted[key.removeprefix("category_share:")]) < 1e-12
    checks = {r.check: r for r in result.checks}
    assert None not in checks["category_share_shift"].breached[1:]
    changes = [v for v in result[-1].per_feature.values() if "importance_change" in v]
    assert changes
