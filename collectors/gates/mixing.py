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
gate instead of refitted when given.

The score is the utility gate's primary figure (balanced accuracy, Brodersen et al. 2010; or R^2).
``safe_synthetic_share`` (:func:`safe_share`) is the largest grid share up to which every share's
mean score stays within a margin of the all-real (0 %) score: ``score(s) >= score(0) - margin``
for every grid share ``s <= share``. The margin is the larger of ``tolerance |score(0)|``
(relative) and the noise of the difference of a mean of ``seeds`` fits and a mean of ``draws``
real fits, ``NOISE_SIGMAS sd sqrt(1 / seeds + 1 / draws)`` (``sd``: the spread of one fit's score
over the real training draws): a non-inferiority margin (Wellek 2010, Testing Statistical
Hypotheses of Equivalence and Noninferiority, ch. 1) that a small, noisy test set cannot breach
by chance alone. Its interval is the percentile bootstrap (Efron and Tibshirani 1993, An
Introduction to the Bootstrap, ch. 13, eq. 13.5): seeds drawn with replacement (and the anchor's
real draws, independently), the mean curve and its safe share recomputed, the 2.5 % and 97.5 %
quantiles of those shares. With few seeds it is coarse (three seeds give ten distinct resamples):
it says how far the seeds' own scatter moves the share, no more.

Pure functions: numpy in, a dataclass out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from collectors.gates.utility import PRIMARY, Task, TrtrDraws, fit_and_score
from collectors.metrics.catalog import MIXING_SHARES

__all__ = [
    "BOOTSTRAP",
    "DEFAULT_SEEDS",
    "DEFAULT_SHARES",
    "DEFAULT_TOLERANCE",
    "MixingCurve",
    "MixingPlan",
    "check_shares",
    "curve_from_figures",
    "describe_curve",
    "mixing_sweep",
    "real_picks",
    "safe_share",
]

DEFAULT_SHARES: tuple[int, ...] = (0, 10, 25, 50, 75, 90, 100)  # percent of the training rows
DEFAULT_SEEDS = 3
DEFAULT_TOLERANCE = 0.05  # relative to the all-real score
NOISE_SIGMAS = 2.0  # the margin is at least this many standard errors of a difference of means
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


def real_picks(pool: int, rows: int, draws: int, seed: int) -> list[np.ndarray]:
    """The real rows of :func:`collectors.gates.utility.trtr_draws`' draws, replayed: the same
    generator (``default_rng([seed, rows])``) and calls, so draw ``i`` here is its draw ``i``."""
    rng = np.random.default_rng([seed, rows])
    replace = pool < rows
    return [rng.choice(pool, size=rows, replace=replace) for _ in range(draws)]


def safe_share(
    scores: np.ndarray, shares: Sequence[int], tolerance: float, noise: float = 0.0
) -> float:
    """Largest share (0..1) up to which every share's score stays within the margin of the 0 %
    score: ``scores[j] >= scores[0] - max(tolerance |scores[0]|, noise)`` for every ``j`` up to
    it.

    ``scores`` follows ``shares`` (ascending percent, starting at 0); a NaN score ends the run.
    """
    anchor = float(scores[0])
    floor = anchor - max(tolerance * abs(anchor), noise)
    safe = 0
    for share, score in zip(shares, scores, strict=True):
        if not np.isfinite(score) or score < floor:
            break
        safe = share
    return safe / 100.0


@dataclass(frozen=True)
class MixingCurve:
    """Scores of the pinned model per seed (rows) and synthetic share (columns, percent).

    ``all_real``: the 0 % scores, one per real training draw (the gate's TRTR draws), whose mean
    is the anchor; the 0 % column of ``scores`` is NaN (the curve's 0 % point is that mean).
    ``safe``: :func:`safe_share` of the mean curve; ``safe_low``/``safe_high``: its percentile
    bootstrap interval over seeds (and draws); ``per_seed_safe``: each seed's own safe share
    (with the margin of one fit against the anchor); ``margin``: the mean curve's margin.
    """

    task: Task
    score: str
    shares: tuple[int, ...]
    scores: np.ndarray
    all_real: np.ndarray
    tolerance: float
    rows: int
    safe: float
    safe_low: float
    safe_high: float
    per_seed_safe: tuple[float, ...]
    margin: float

    @property
    def mean(self) -> np.ndarray:
        """Mean score per share (the 0 % point: the mean over the real draws)."""
        out = np.asarray(np.nanmean(self.scores[:, 1:], axis=0), dtype=np.float64)
        return np.concatenate([[float(np.mean(self.all_real))], out])

    @property
    def sd(self) -> np.ndarray:
        """Standard deviation (ddof 1) per share over seeds (0 % point: over the real draws)."""
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


def _curve(anchor: float, scores: np.ndarray) -> np.ndarray:
    """The mean curve: ``anchor`` at 0 %, the seeds' mean at every other share."""
    return np.concatenate([[anchor], np.nanmean(scores[:, 1:], axis=0)])


def _bootstrap(
    scores: np.ndarray,
    all_real: np.ndarray,
    shares: Sequence[int],
    tolerance: float,
    noise: float,
    seed: int,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean curve's safe share (module doc): the seeds
    and, independently, the real draws of the anchor resampled with replacement."""
    n, d = scores.shape[0], all_real.size
    if n < 2 and d < 2:
        value = safe_share(_curve(float(all_real.mean()), scores), shares, tolerance, noise)
        return value, value
    rng = np.random.default_rng([seed, 29])
    picks = rng.integers(0, n, size=(BOOTSTRAP, n))
    anchors = all_real[rng.integers(0, d, size=(BOOTSTRAP, d))].mean(axis=1)
    values = np.array(
        [
            safe_share(_curve(float(a), scores[p]), shares, tolerance, noise)
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
    them ``seeds`` draws are fitted as :func:`collectors.gates.utility.trtr_draws` fits them);
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
    scores = np.full((seeds, len(grid)), np.nan)
    for i in range(seeds):
        order = np.random.default_rng([seed, 31, i]).permutation(rows)
        for j, share in enumerate(grid):
            if share == 0:
                continue  # the anchor: every real draw (all_real)
            if share == 100:  # the TSTR fit: every version row, in order, the gate's seed
                if tstr is not None:
                    scores[i, j] = tstr[key]
                else:
                    scores[i, j] = fit(x_synthetic, y_synthetic, seed)
                continue
            synthetic = round(share / 100.0 * rows)
            real = picks[i][: rows - synthetic]
            chosen = order[:synthetic]
            x = np.concatenate([x_real[real], x_synthetic[chosen]])
            y = np.concatenate([y_real[real], y_synthetic[chosen]])
            scores[i, j] = fit(x, y, seed + i)  # the TRTR draw's model seed
    finite = all_real[np.isfinite(all_real)]
    spread = float(np.std(finite, ddof=1)) if finite.size > 1 else 0.0
    anchor = float(np.mean(all_real))
    d = max(1, all_real.size)
    noise = NOISE_SIGMAS * spread * float(np.sqrt(1.0 / seeds + 1.0 / d))
    one = NOISE_SIGMAS * spread * float(np.sqrt(1.0 + 1.0 / d))  # one seed against the anchor
    per_seed = tuple(
        safe_share(_curve(anchor, scores[i : i + 1]), grid, tolerance, one) for i in range(seeds)
    )
    safe = safe_share(_curve(anchor, scores), grid, tolerance, noise)
    low, high = _bootstrap(scores, all_real, grid, tolerance, noise, seed)
    margin = max(tolerance * abs(anchor), noise)
    return MixingCurve(task, key, grid, scores, all_real, tolerance, rows, safe, low, high,
                       per_seed, margin)  # fmt: skip


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
