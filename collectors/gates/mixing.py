"""Real-to-synthetic mixing sweep: how much of a version's rows a model can take.

Teams rarely train on synthetic rows alone; they add them to real rows. The literature on
self-consuming loops shows that how much they may add moves with the generator: Alemohammad et
al. 2023 ("Self-Consuming Generative Models Go MAD", arXiv 2307.01850, sec. 3-5: without enough
fresh real data in each generation, quality or diversity falls), Bertrand et al. 2024 ("On the
Stability of Iterative Retraining of Generative Models on their own Data", ICLR, Theorem 1:
retraining is stable when the real share is large enough and the generator close enough to the
data), Gerstgrasser et al. 2024 ("Is Model Collapse Inevitable? Breaking the Curse of Recursion
by Accumulating Real and Synthetic Data", arXiv 2404.01413, sec. 2-3: keeping real data in the mix
bounds the error). This module measures that share on the downstream task, per version.

The sweep (:func:`mixing_sweep`): the gate's pinned model (:data:`collectors.gates.utility.PINNED`,
fitted by :func:`collectors.gates.utility.fit_and_score`) is trained on ``rows`` rows of which a
share ``p`` are the version's rows and ``1 - p`` real training rows (the total held constant), and
scored on the real holdout rows, for each share of a fixed grid (default 0, 10, 25, 50, 75, 90,
100 %) and each of a few seeds. Seed ``i``'s real rows are the ``i``-th TRTR draw
(:func:`collectors.gates.utility.trtr_draws`, replayed by :func:`real_picks`), of which the first
``(1 - p) rows`` are kept; its synthetic rows a seeded subset of the version's rows the TSTR fit
trains on, all of them at 100 % in their order. The 0 % point is the mean over every TRTR draw (the
TRTR figure itself) and the 100 % point the TSTR figure, bit for bit; both are reused from the
gate instead of refitted when given. An interior point is paired with the real draw it starts
from: ``score(0) + mean_i(score_i(p) - trtr_i)`` (seed ``i``'s mix against TRTR draw ``i``, which
shares its first ``(1 - p) rows`` and its model seed), the control-variate estimate with
coefficient 1 (Lavenberg and Welch 1981, Management Science 27(3): 322-335, sec. 2): the draws'
own luck (which real rows, which model seed) cancels, and only what the swapped rows do is left.

The score is the utility gate's primary figure (balanced accuracy, Brodersen et al. 2010; or R^2).
``safe_synthetic_share`` (:func:`safe_share`) is the largest grid share up to which every share's
point stays within a margin of the all-real (0 %) score: ``score(s) >= score(0) - margin(s)``
for every grid share ``s <= share``. The margin is the larger of ``tolerance |score(0) - chance|``
and the share's noise (:func:`share_noise`), a non-inferiority margin (Wellek 2010, Testing
Statistical Hypotheses of Equivalence and Noninferiority, ch. 1) that chance alone does not
breach: ``z sd sqrt(2 p / seeds)`` at an interior share ``p`` (``sd``: the spread of
one fit's score over the real training draws; swapping a share ``p`` of the rows of a statistic
that is, to first order, a mean of per-row terms moves it by ``sd sqrt(2 p)``, the linear term of
the Efron and Stein 1981 ANOVA decomposition, Ann. Stat. 9(3): 586-596; fresh real rows on
statsmodels' fair table: about 0.004 at 5 %, measured and predicted) and ``z sd
sqrt(1 + 1 / draws)`` at 100 % (one TSTR fit against the mean of ``draws`` real fits). ``z`` is
the one-sided normal quantile at ``FAMILY_ALPHA / m`` for the ``m`` judged shares (Bonferroni;
Dunn 1961, JASA 56(293): 52-64): 2.39 for the default grid, so that fresh real rows fail some
share of the grid by chance in about 5 % of versions, not in each share's 2.3 % (a fixed 2 sd
read 0.50 for fresh real rows on one of three fair splits).
The tolerance is a share of the all-real model's skill over a constant prediction (``chance``:
``1 / K`` for the balanced accuracy of ``K`` test classes, the score of every constant
prediction; 0 for R^2, where it stays relative to the score itself): the chance-corrected form of
a skill score, ``SS = (A - A_ref) / (A_perfect - A_ref)`` (Wilks 2011, Statistical Methods in the
Atmospheric Sciences, 3rd ed., sec. 8.1.5, eq. 8.4). Relative to the score itself, 5 % on a weak
binary task (balanced accuracy 0.63, chance 0.5) let a mix lose a quarter of the model's skill,
and one with a quarter of its labels shuffled passed (statsmodels' fair table, the mixing section
of benchmarks/README.md).

Its interval is the percentile bootstrap (Efron and Tibshirani 1993, An Introduction to the
Bootstrap, ch. 13, eq. 13.5): seeds drawn with replacement, each with its paired draw (and the
anchor's real draws, independently), the curve and its safe share recomputed, the 2.5 % and
97.5 % quantiles of those shares. With few seeds it is coarse (five seeds give 126 distinct
resamples, three 10): it says how far the seeds' own scatter moves the share, no more.

Pure functions: numpy in, a dataclass out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from collectors.gates.utility import PRIMARY, Task, TrtrDraws, fit_and_score
from collectors.metrics.catalog import MIXING_SHARES

__all__ = [
    "BOOTSTRAP",
    "DEFAULT_SEEDS",
    "DEFAULT_SHARES",
    "DEFAULT_TOLERANCE",
    "MixingCurve",
    "MixingPlan",
    "chance_score",
    "check_shares",
    "curve_from_figures",
    "describe_curve",
    "mixing_sweep",
    "real_picks",
    "safe_share",
    "share_noise",
]

DEFAULT_SHARES: tuple[int, ...] = (0, 10, 25, 50, 75, 90, 100)  # percent of the training rows
DEFAULT_SEEDS = 5  # 3 let fresh real rows read 0.10 on the fair table (benchmarks/README.md)
DEFAULT_TOLERANCE = 0.10  # share of the all-real score's skill over chance (module doc)
FAMILY_ALPHA = 0.05  # chance that fresh real rows fail some judged share (module doc)
BOOTSTRAP = 1000  # bootstrap resamples of the seeds for the safe share's interval
LEVEL = 0.95
MAX_SEEDS = 20  # a version's sweep fits seeds x (shares - 2) models: bounded


def check_shares(shares: Sequence[int]) -> tuple[int, ...]:
    """The grid sorted, refused unless it holds 0 and 100 and only catalog shares
    (:data:`collectors.metrics.catalog.MIXING_SHARES`: whole multiples of 5 %, so the stored
    names stay a bounded set)."""
    grid = tuple(sorted({int(s) for s in shares}))
    unknown = [s for s in grid if s not in MIXING_SHARES]
    if unknown:
        raise ValueError(
            f"mixing shares {unknown} are not among the catalog's {list(MIXING_SHARES)} "
            "(percent, multiples of 5)"
        )
    if not grid or grid[0] != 0 or grid[-1] != 100:
        raise ValueError(f"mixing shares must include 0 and 100 (percent), got {list(grid)}")
    return grid


@dataclass(frozen=True)
class MixingPlan:
    """What a version's sweep runs: the grid of shares (percent), the seeds and the tolerance
    (``[generators.mixing]`` settings); checked on construction."""

    shares: tuple[int, ...] = DEFAULT_SHARES
    seeds: int = DEFAULT_SEEDS
    tolerance: float = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "shares", check_shares(self.shares))
        if not 1 <= self.seeds <= MAX_SEEDS:
            raise ValueError(f"mixing seeds must lie in [1, {MAX_SEEDS}], got {self.seeds}")
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"mixing tolerance must lie in [0, 1), got {self.tolerance}")


def chance_score(task: Task, y_test: np.ndarray) -> float:
    """The primary score of a constant prediction on ``y_test``: balanced accuracy ``1 / K`` for
    the ``K`` classes present (recall 1 on the predicted class, 0 on the others), R^2 0 (the test
    mean; a training mean scores at most that)."""
    if task == "classification":
        present = np.unique(y_test).size
        return 1.0 / present if present else 0.0
    return 0.0


def real_picks(pool: int, rows: int, draws: int, seed: int) -> list[np.ndarray]:
    """The real rows of :func:`collectors.gates.utility.trtr_draws`' draws, replayed: the same
    generator (``default_rng([seed, rows])``) and calls, so draw ``i`` here is its draw ``i``."""
    rng = np.random.default_rng([seed, rows])
    replace = pool < rows
    return [rng.choice(pool, size=rows, replace=replace) for _ in range(draws)]


def safe_share(
    scores: np.ndarray,
    shares: Sequence[int],
    tolerance: float,
    noise: float | np.ndarray = 0.0,
    chance: float = 0.0,
) -> float:
    """Largest share (0..1) up to which every share's score stays within the margin of the 0 %
    score: ``scores[j] >= scores[0] - max(tolerance |scores[0] - chance|, noise[j])`` for every
    ``j`` up to it.

    ``scores`` follows ``shares`` (ascending percent, starting at 0); a NaN score ends the run.
    ``noise``: one figure, or one per share; ``chance``: the score of a constant prediction
    (module doc).
    """
    anchor = float(scores[0])
    margins = np.maximum(tolerance * abs(anchor - chance), np.broadcast_to(noise, len(shares)))
    safe = 0
    for share, score, margin in zip(shares, scores, margins, strict=True):
        if not np.isfinite(score) or score < anchor - margin:
            break
        safe = share
    return safe / 100.0


def share_noise(shares: Sequence[int], spread: float, seeds: int, draws: int) -> np.ndarray:
    """The noise part of each share's margin (module doc): ``z spread`` times
    ``sqrt(2 p / seeds)`` for an interior share ``p`` (a mean of ``seeds`` paired differences,
    each swapping a share ``p`` of the rows) and ``sqrt(1 + 1 / draws)`` at 100 % (one TSTR fit
    against the mean of ``draws`` real fits); 0 at 0 %."""
    out = []
    for share in shares:
        if share == 0:
            out.append(0.0)
        elif share == 100:
            out.append(float(np.sqrt(1.0 + 1.0 / max(1, draws))))
        else:
            out.append(float(np.sqrt(2.0 * share / 100.0 / seeds)))
    judged = max(1, sum(1 for share in shares if share > 0))
    z = float(norm.ppf(1.0 - FAMILY_ALPHA / judged))
    return z * spread * np.array(out)


@dataclass(frozen=True)
class MixingCurve:
    """Scores of the pinned model per seed (rows) and synthetic share (columns, percent).

    ``all_real``: the 0 % scores, one per real training draw (the gate's TRTR draws), whose mean
    is the anchor; the 0 % column of ``scores`` is NaN (the curve's 0 % point is that mean).
    ``paired``: per seed, the score of the real draw its mixes start from (TRTR draw ``i``).
    ``safe``: :func:`safe_share` of the mean curve; ``safe_low``/``safe_high``: its percentile
    bootstrap interval over seeds (and draws); ``chance``: the score of a constant prediction
    the tolerance is measured from.
    """

    task: Task
    score: str
    shares: tuple[int, ...]
    scores: np.ndarray
    all_real: np.ndarray
    paired: np.ndarray
    tolerance: float
    rows: int
    safe: float
    safe_low: float
    safe_high: float
    chance: float = 0.0

    @property
    def mean(self) -> np.ndarray:
        """The curve (module doc): the mean over the real draws at 0 %, the anchor plus the
        seeds' mean paired difference at every interior share, the TSTR score at 100 %."""
        return _curve(float(np.mean(self.all_real)), self.scores, self.paired)

    @property
    def sd(self) -> np.ndarray:
        """Standard deviation (ddof 1) per share over seeds of the scores (0 % point: over the
        real draws)."""
        first = float(np.std(self.all_real, ddof=1)) if self.all_real.size > 1 else 0.0
        if self.scores.shape[0] < 2:
            return np.concatenate([[first], np.zeros(len(self.shares) - 1)])
        rest = np.asarray(np.nanstd(self.scores[:, 1:], axis=0, ddof=1), dtype=np.float64)
        return np.concatenate([[first], rest])

    def figures(self) -> dict[str, float]:
        """Catalog names: ``mixing_score_share_<p>``, ``mixing_score_sd_share_<p>``,
        ``safe_synthetic_share`` and its ``_low``/``_high`` bounds."""
        out: dict[str, float] = {}
        for share, mean, sd in zip(self.shares, self.mean, self.sd, strict=True):
            out[f"mixing_score_share_{share}"] = float(mean)
            out[f"mixing_score_sd_share_{share}"] = float(sd)
        out["safe_synthetic_share"] = self.safe
        out["safe_synthetic_share_low"] = self.safe_low
        out["safe_synthetic_share_high"] = self.safe_high
        return out


def _curve(anchor: float, scores: np.ndarray, paired: np.ndarray) -> np.ndarray:
    """The mean curve: ``anchor`` at 0 %, ``anchor`` plus the mean over seeds of ``scores -
    paired`` at interior shares, the (every seed's equal) TSTR score at 100 %."""
    inner = np.nanmean(scores[:, 1:-1] - paired[:, None], axis=0) if scores.shape[1] > 2 else []
    return np.concatenate([[anchor], anchor + np.asarray(inner), [scores[0, -1]]])


def _bootstrap(
    scores: np.ndarray,
    all_real: np.ndarray,
    paired: np.ndarray,
    shares: Sequence[int],
    tolerance: float,
    noise: np.ndarray,
    seed: int,
    chance: float = 0.0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean curve's safe share (module doc): the seeds
    (each with its paired draw) and, independently, the real draws of the anchor resampled with
    replacement."""
    n, d = scores.shape[0], all_real.size
    if n < 2 and d < 2:
        curve = _curve(float(all_real.mean()), scores, paired)
        value = safe_share(curve, shares, tolerance, noise, chance)
        return value, value
    rng = np.random.default_rng([seed, 29])
    picks = rng.integers(0, n, size=(BOOTSTRAP, n))
    anchors = all_real[rng.integers(0, d, size=(BOOTSTRAP, d))].mean(axis=1)
    values = np.array(
        [
            safe_share(_curve(float(a), scores[p], paired[p]), shares, tolerance, noise, chance)
            for p, a in zip(picks, anchors, strict=True)
        ]
    )
    alpha = (1.0 - LEVEL) / 2.0
    low = float(np.quantile(values, alpha, method="lower"))
    high = float(np.quantile(values, 1.0 - alpha, method="higher"))
    return low, high


def mixing_sweep(
    task: Task,
    x_real: np.ndarray,
    y_real: np.ndarray,
    x_synthetic: np.ndarray,
    y_synthetic: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    shares: Sequence[int] = DEFAULT_SHARES,
    seeds: int = DEFAULT_SEEDS,
    tolerance: float = DEFAULT_TOLERANCE,
    n_classes: int = 0,
    categorical: np.ndarray | None = None,
    seed: int = 0,
    trtr: TrtrDraws | None = None,
    tstr: dict[str, float] | None = None,
) -> MixingCurve:
    """The mixing curve of the version's rows ``x_synthetic`` (all of them: the total held
    constant is their count, as the TSTR fit's) with the real pool ``x_real`` (module doc).

    ``trtr``: the gate's TRTR draws at this many rows (every draw's score is a 0 % point; without
    them ``seeds`` draws are fitted as :func:`collectors.gates.utility.trtr_draws` fits them;
    draws past the gate's, when ``seeds`` exceeds them, are fitted for the pairing only);
    ``tstr``: the TSTR scores (the 100 % point), fitted here when not given.
    """
    grid = check_shares(shares)
    if seeds < 1:
        raise ValueError(f"mixing seeds must be at least 1, got {seeds}")
    if not 0 <= tolerance < 1:
        raise ValueError(f"mixing tolerance must lie in [0, 1), got {tolerance}")
    rows = int(x_synthetic.shape[0])
    if rows < 2 or x_real.shape[0] < 1:
        raise ValueError("the mixing sweep needs at least 2 version rows and 1 real row")
    key = PRIMARY[task]
    picks = real_picks(x_real.shape[0], rows, seeds, seed)

    def fit(x: np.ndarray, y: np.ndarray, model_seed: int) -> float:
        result = fit_and_score(task, x, y, x_test, y_test, n_classes=n_classes,
                               categorical=categorical, seed=model_seed)  # fmt: skip
        return float(result[key])

    if trtr is not None and trtr.scores:
        all_real = np.array([s[key] for s in trtr.scores], dtype=np.float64)
    else:  # the TRTR draws: draw i's rows and model seed (utility.trtr_draws)
        all_real = np.array([fit(x_real[p], y_real[p], seed + i) for i, p in enumerate(picks)])
    # Seed i's mixes start from TRTR draw i (its rows, its model seed): paired with its score.
    extra = [fit(x_real[picks[i]], y_real[picks[i]], seed + i) for i in range(all_real.size, seeds)]
    paired = np.concatenate([all_real[:seeds], extra])
    tstr_score = tstr[key] if tstr is not None else fit(x_synthetic, y_synthetic, seed)
    scores = np.full((seeds, len(grid)), np.nan)
    scores[:, -1] = tstr_score  # the TSTR fit: every version row, in order, the gate's seed
    for i in range(seeds):
        order = np.random.default_rng([seed, 31, i]).permutation(rows)
        for j, share in enumerate(grid[1:-1], start=1):
            synthetic = round(share / 100.0 * rows)
            real = picks[i][: rows - synthetic]
            chosen = order[:synthetic]
            x = np.concatenate([x_real[real], x_synthetic[chosen]])
            y = np.concatenate([y_real[real], y_synthetic[chosen]])
            scores[i, j] = fit(x, y, seed + i)  # the TRTR draw's model seed
    finite = all_real[np.isfinite(all_real)]
    spread = float(np.std(finite, ddof=1)) if finite.size > 1 else 0.0
    anchor = float(np.mean(all_real))
    chance = chance_score(task, y_test)
    d = all_real.size
    noise = share_noise(grid, spread, seeds, d)
    safe = safe_share(_curve(anchor, scores, paired), grid, tolerance, noise, chance)
    low, high = _bootstrap(scores, all_real, paired, grid, tolerance, noise, seed, chance)
    return MixingCurve(task, key, grid, scores, all_real, paired, tolerance, rows, safe, low,
                       high, chance)  # fmt: skip


def curve_from_figures(figures: Mapping[str, float]) -> dict[str, object] | None:
    """The sweep as stored figures show it (None without ``safe_synthetic_share``): the safe
    share and its interval, and per share (percent) the mean score and its spread; for
    ``tailwatch check --json``, ``tailwatch.evaluate`` and the report."""
    safe = figures.get("safe_synthetic_share")
    if safe is None:
        return None
    curve = {
        share: figures[f"mixing_score_share_{share}"]
        for share in MIXING_SHARES
        if f"mixing_score_share_{share}" in figures
    }
    spread = {share: figures.get(f"mixing_score_sd_share_{share}") for share in curve}
    return {
        "safe_synthetic_share": safe,
        "safe_synthetic_share_low": figures.get("safe_synthetic_share_low", safe),
        "safe_synthetic_share_high": figures.get("safe_synthetic_share_high", safe),
        "score_by_share": curve,
        "sd_by_share": spread,
    }


def describe_curve(mixing: Mapping[str, object]) -> str:
    """One line: the safe share with its interval and the score at each share."""
    curve = mixing["score_by_share"]
    assert isinstance(curve, Mapping)
    scores = ", ".join(f"{share} % {value:.3f}" for share, value in curve.items())
    return (
        f"safe synthetic share {mixing['safe_synthetic_share']:.2f} "
        f"[{mixing['safe_synthetic_share_low']:.2f}, {mixing['safe_synthetic_share_high']:.2f}]; "
        f"score on real rows by synthetic share: {scores}"
    )
