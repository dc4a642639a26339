"""Tail checks on samples of whole entities (issue 28): on statsmodels' World Bank fertility
panel the upper 1 % tail is a handful of countries' years, so a tail share drawn by countries
scatters about 17 times the binomial variance (Kish's design effect, checked here against
brute-force draws of countries). The tail tests count each sample's rows as effective rows under
that design effect: fresh real countries stay quiet on tail_thinning, tail_excess and tail_gap
(the same figures counted as independent rows page), a version whose upper tail is clipped still
pages, and a generator of independent rows gets the figures and verdicts it had before."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

from collectors.recipe import ReferenceRecipe
from collectors.sequences.clustering import (
    design_effect,
    intraclass_correlation,
    tail_design_effect,
    tail_intraclass_correlation,
)
from collectors.sequences.generators import SequenceModel
from collectors.sequences.sampling import split_by_shares
from monitor.checks import CheckResult, HealthyLevels, VersionFigures, evaluate_checks
from monitor.demo.sequence_data import fertility_panel

TAIL_CHECKS = ("tail_thinning", "tail_excess", "tail_gap", "rare_category_shift")


def _recipe(**settings: object) -> ReferenceRecipe:
    """The recipe without the figure families, gates or mixing sweep (the tails are core)."""
    return ReferenceRecipe(structure=None, mixing=None, gates=False, seed=0, **settings)  # type: ignore[arg-type]


def _figures(model: object, name: str, frame: pd.DataFrame, rows: int) -> VersionFigures:
    m = model.measure(frame, source=name, details=False)  # type: ignore[attr-defined]
    return VersionFigures(name, dict(m.figures), rows, len(frame), dict(m.per_feature))


def _tails(history: list[VersionFigures]) -> dict[str, CheckResult]:
    results = evaluate_checks(history, HealthyLevels())
    return {r.check: r for r in results if r.check in TAIL_CHECKS}


def _rows_only(v: VersionFigures) -> VersionFigures:
    """``v`` without its design effects: its rows counted as independent (before issue 28)."""
    per_feature = {
        f: {k: x for k, x in e.items() if not k.startswith("tail_design_effect")}
        for f, e in v.per_feature.items()
    }
    return dataclasses.replace(v, per_feature=per_feature)


def test_design_effect_matches_draws_of_whole_countries() -> None:
    frame = fertility_panel().frame.dropna(subset=["fertility"])
    x, groups = frame["fertility"].to_numpy(), frame["country"].to_numpy()
    keys, codes = np.unique(groups, return_inverse=True)
    sizes = np.bincount(codes)
    for q, side in ((0.99, "upper"), (0.95, "upper"), (0.01, "lower")):
        threshold = float(np.quantile(x, q))
        hits = np.bincount(codes, weights=(x > threshold) if side == "upper" else (x < threshold))
        rho = tail_intraclass_correlation(x, groups, threshold, side)
        deff = tail_design_effect(rho, x, groups)
        rng = np.random.default_rng(0)  # 40 countries at a time, with replacement (no FPC)
        picks = rng.choice(len(keys), size=(4000, 40))
        shares = hits[picks].sum(axis=1) / sizes[picks].sum(axis=1)
        p = hits.sum() / sizes.sum()
        brute = float(np.var(shares)) / (p * (1 - p) / (sizes.mean() * 40))
        assert deff > 5
        assert deff == pytest.approx(brute, rel=0.2), (q, deff, brute)


def test_intraclass_correlation_is_the_anova_estimator() -> None:
    from scipy.stats import f_oneway

    frame = fertility_panel().frame.dropna(subset=["fertility"]).iloc[:2000]
    indicator = (frame["fertility"] > 6.0).to_numpy().astype(float)
    groups = frame["country"].to_numpy()
    parts = [indicator[groups == g] for g in pd.unique(groups)]
    f = f_oneway(*parts).statistic
    n, k = len(indicator), len(parts)
    n0 = (n - sum(len(p) ** 2 for p in parts) / n) / (k - 1)
    assert intraclass_correlation(indicator, groups) == pytest.approx((f - 1) / (f + n0 - 1))
    assert intraclass_correlation(np.zeros(50), np.arange(50) % 5) == 0.0
    assert design_effect(0.25, np.array([4.0, 4.0, 4.0])) == pytest.approx(1 + 3 * 0.25)
    assert design_effect(0.25, np.array([2.0, 6.0])) == pytest.approx(1 + (40 / 8 - 1) * 0.25)
    assert design_effect(0.0, np.array([50.0])) == 1.0


@cache
def _fresh(seed: int) -> tuple[dict[str, CheckResult], dict[str, CheckResult]]:
    frame = fertility_panel().frame
    # A rare category held by a few countries' years: births per woman above 8.
    frame = frame.assign(band=np.where(frame["fertility"] > 8.0, "above 8", "8 or less"))
    real, *fresh = split_by_shares(frame, "country", [4, 1, 1, 1], seed=seed)
    recipe = _recipe(entity_column="country", categorical=("stage", "band"))
    fitted = recipe.fit(real)
    history = [_figures(fitted.model, f"v{i}", v, fitted.rows) for i, v in enumerate(fresh)]
    for v in history:
        assert v.per_feature["fertility"]["tail_design_effect_upper"] > 5
        assert v.per_feature["band"].get("rare_design_effect", 2.0) > 1.5
    return _tails(history), _tails([_rows_only(v) for v in history])


@pytest.mark.parametrize("seed", (0, 1, 2))
def test_fresh_real_countries_stay_quiet_on_the_tail_checks(seed: int) -> None:
    clustered, _ = _fresh(seed)
    for check in TAIL_CHECKS:
        assert not any(clustered[check].breached), (check, clustered[check])


def test_counted_as_independent_rows_fresh_countries_page() -> None:
    paged = [check for seed in (0, 1, 2) for check, r in _fresh(seed)[1].items() if any(r.breached)]
    assert paged  # the false alarm the design effect removes
    judged = [_fresh(seed)[0]["rare_category_shift"].breached for seed in (0, 1, 2)]
    assert any(flag is False for flags in judged for flag in flags)  # the rare band is tested


def test_a_clipped_upper_tail_still_pages() -> None:
    data = fertility_panel()
    real, held = split_by_shares(data.frame, data.entity, [5, 1], seed=0)
    recipe = _recipe(entity_column="country")
    fitted = recipe.fit(real, holdout=held)
    model = SequenceModel.fit(real, "country", "year", ["fertility"], ["stage"])
    top = float(np.nanquantile(real["fertility"], 0.95))
    versions = [model.sample(1000, seed=s) for s in range(3)]
    versions[2] = versions[2].assign(fertility=versions[2]["fertility"].clip(upper=top))
    history = [_figures(fitted.model, f"v{i}", v, fitted.rows) for i, v in enumerate(versions)]
    results = _tails(history)
    # The model's own versions page no tail check; the clipped one pages the upper tail against
    # the real share (tail_gap, z about 4). Against the baseline (tail_thinning) the clip is
    # z = 3.06 here, below the two sides' Bonferroni limit of 3.2: the baseline's upper tail
    # (2 % of 54,000 rows at a design effect of 18) and the refit term of a generator trained on
    # 182 countries (2 x 18 / 9,828) carry the noise of a few countries' tails.
    assert not any(any(r.breached[:2]) for r in results.values()), results
    assert results["tail_gap"].breached[2] is True, results["tail_gap"]
    assert "fertility (upper tail) x0.00" in results["tail_gap"].detail
    assert results["tail_thinning"].value == 0.0


def test_rows_independent_generators_are_judged_as_before() -> None:
    frame = load_diabetes(as_frame=True).frame
    recipe = _recipe()
    fitted = recipe.fit(frame.iloc[:300])
    rest = frame.iloc[300:].reset_index(drop=True)
    clipped = rest.assign(bmi=rest["bmi"].clip(upper=rest["bmi"].quantile(0.8)))
    history = [
        _figures(fitted.model, name, v, fitted.rows)
        for name, v in (("v0", rest), ("v1", rest.iloc[::-1]), ("v2", clipped))
    ]
    assert not any(
        k.startswith("tail_design_effect")
        for v in history
        for e in v.per_feature.values()
        for k in e
    )
    ones = [
        dataclasses.replace(
            v,
            per_feature={
                f: {**e, **{f"tail_design_effect_{s}": 1.0 for s in ("lower", "upper")}}
                for f, e in v.per_feature.items()
            },
        )
        for v in history
    ]
    assert _tails(history) == _tails(ones)
