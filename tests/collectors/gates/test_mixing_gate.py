"""The mixing sweep wired into the gates: versions with a target get the curve beside TSTR/TRTR
(its ends equal to them, in the same measurement), the healthy draws do not, off when None."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from collectors.gates.mixing import MixingPlan
from collectors.recipe import ReferenceRecipe


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_version_gets_the_curve_and_its_ends_are_trtr_and_tstr(cancer: pd.DataFrame) -> None:
    plan = MixingPlan(shares=(0, 50, 100), seeds=2)
    recipe = ReferenceRecipe(target="target", sample_size=120, seed=3, mixing=plan,
                             structure=None)  # fmt: skip
    model = recipe.fit(cancer.iloc[:400]).model
    measured = model.measure(cancer.iloc[400:520].reset_index(drop=True))
    figures = measured.figures
    assert figures["mixing_score_share_0"] == figures["trtr_balanced_accuracy"]
    assert figures["mixing_score_share_100"] == figures["tstr_balanced_accuracy"]
    assert 0 <= figures["safe_synthetic_share_low"] <= figures["safe_synthetic_share"]
    assert figures["safe_synthetic_share"] <= figures["safe_synthetic_share_high"] <= 1
    assert "mixing_score_share_25" not in figures  # only the plan's shares
    assert measured.gates is not None and measured.gates.mixing is not None
    assert measured.gates.mixing.scores.shape == (2, 3)
    healthy = model.healthy_at(120)
    assert healthy is not None and not any(k.startswith("mixing_") for k in healthy)
    off = ReferenceRecipe(target="target", sample_size=120, seed=3, mixing=None, structure=None)
    figures_off = off.fit(cancer.iloc[:400]).model.measure(cancer.iloc[400:520]).figures
    assert "safe_synthetic_share" not in figures_off and "tstr_balanced_accuracy" in figures_off


def test_plan_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="seeds"):
        MixingPlan(seeds=0)
    with pytest.raises(ValueError, match="tolerance"):
        MixingPlan(tolerance=1.0)
    with pytest.raises(ValueError, match="multiples of 5"):
        MixingPlan(shares=(0, 12, 100))
