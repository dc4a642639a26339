"""Healthy levels: what a healthy generator scores, measured on real holdout draws.

One type, :class:`HealthyLevels`, from the draws (:func:`measure_healthy`) through the store and
the on-disk cache (:mod:`collectors.healthy_cache`) to the checks (``monitor.checks`` re-exports
it). Pure apart from the JSON form; no I/O here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np

__all__ = [
    "HEALTHY_DRAWS",
    "MIN_HOLDOUT_ROWS",
    "HealthyCache",
    "HealthyLevels",
    "cached_levels",
    "load_levels",
    "measure_healthy",
    "save_levels",
    "size_key",
]

HEALTHY_DRAWS = 8  # real-vs-real draws per sample size: the level is their mean, the noise their SD
MIN_HOLDOUT_ROWS = 50  # below this the healthy level says nothing: no fidelity-gap findings


class HealthyLevels(dict[str, float]):
    """Healthy real-vs-real levels by figure, carrying their spread and how they were measured.

    Coverage, recall, density and tail shares depend on the sample size M (Naeem et al. 2020,
    Lemma 2: E[coverage] = 1 - prod_{i=1..k} (N - i) / (N + M - i)), so the real-vs-real level is
    measured at the versions' M (:func:`measure_healthy`): ``draws`` draws of M holdout rows,
    without replacement where the holdout holds M rows, else a bootstrap with replacement
    (``repeated_rows``; repeated rows bias coverage and recall low, so those levels are not
    compared with versions). The mapping is the mean over draws and ``spread`` the standard
    deviation of one draw (Efron and Tibshirani 1993, ch. 6: the bootstrap estimate of a
    statistic's standard error), the noise a healthy version's figure has around the level.
    ``meta`` says how the level was measured, as figures (stored beside it). A ``dict`` so that
    callers that only need the levels use it as one.
    """

    def __init__(
        self,
        levels: Mapping[str, float] | None = None,
        spread: Mapping[str, float] | None = None,
        meta: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(levels or {})
        self.spread: dict[str, float] = dict(spread or {})
        self.meta: dict[str, float] = dict(meta or {})

    @classmethod
    def measured(
        cls,
        levels: Mapping[str, float],
        spread: Mapping[str, float],
        *,
        sample_rows: int,
        holdout_rows: int,
        draws: int,
        replacement: bool,
    ) -> HealthyLevels:
        """Levels measured from ``draws`` draws of ``sample_rows`` of ``holdout_rows`` rows."""
        meta = {
            "healthy_sample_rows": float(sample_rows),
            "healthy_holdout_rows": float(holdout_rows),
            "healthy_draws": float(draws),
            "healthy_with_replacement": float(replacement),
            "healthy_reliable": float(holdout_rows >= MIN_HOLDOUT_ROWS),
        }
        return cls(levels, spread, meta)

    @property
    def figures(self) -> HealthyLevels:
        """The levels by figure (this mapping itself)."""
        return self

    @property
    def reliable(self) -> bool:
        """False when the holdout was too small (< ``MIN_HOLDOUT_ROWS``) for the level to say
        anything."""
        return bool(self) and self.meta.get("healthy_reliable", 1.0) >= 1.0

    @property
    def repeated_rows(self) -> bool:
        """True when the draws repeated holdout rows (coverage and recall levels biased low)."""
        return self.meta.get("healthy_with_replacement", 0.0) >= 1.0

    @property
    def replacement(self) -> bool:
        """Same as :attr:`repeated_rows` (the draws were a bootstrap with replacement)."""
        return self.repeated_rows

    @property
    def sample_rows(self) -> int:
        return int(self.meta.get("healthy_sample_rows", 0))

    @property
    def holdout_rows(self) -> int:
        return int(self.meta.get("healthy_holdout_rows", 0))

    @property
    def draws(self) -> int:
        return int(self.meta.get("healthy_draws", 0))

    def to_json(self) -> str:
        """Canonical JSON (exact floats: ``repr`` round-trips every float64)."""
        document = {"levels": dict(self), "spread": self.spread, "meta": self.meta}
        return json.dumps(document, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> HealthyLevels:
        """The levels :meth:`to_json` wrote (ValueError on anything else)."""
        document = json.loads(text)
        if not isinstance(document, dict) or set(document) != {"levels", "spread", "meta"}:
            raise ValueError("not a healthy-levels document")
        parts = []
        for name in ("levels", "spread", "meta"):
            part = document[name]
            if not isinstance(part, dict):
                raise ValueError(f"healthy levels: {name!r} is not a mapping")
            parts.append({str(k): float(v) for k, v in part.items()})
        return cls(*parts)


class HealthyCache(Protocol):
    """Where measured healthy levels are kept between runs (the store, or a local folder).

    ``key`` is the content fingerprint of everything the levels depend on (reference, holdout,
    training rows, settings, sample size, code); ``rows`` the sample size (one entry per size).
    """

    def load(self, key: str, rows: int) -> HealthyLevels | None: ...

    def save(self, key: str, rows: int, levels: HealthyLevels) -> None: ...


def measure_healthy(
    draw: Callable[[np.random.Generator, int, bool], dict[str, float]],
    h: int,
    m: int,
    seed: int,
    count: int,
) -> HealthyLevels:
    """Healthy levels at ``m`` rows from ``count`` draws of a holdout of ``h`` rows.

    ``draw(rng, m, replacement)`` measures one draw of ``m`` holdout rows (see
    :class:`HealthyLevels`); shared by tabular and text references. Draws without replacement
    that overlap much (m > h / 2) take their spread from a bootstrap instead; smaller ones get
    the finite-population correction.
    """
    rng = np.random.default_rng([seed, m])
    replacement = h < m
    # Without replacement at m = h every draw is the whole holdout: measure it once.
    whole = not replacement and m == h
    draws = [draw(rng, m, replacement) for _ in range(1 if whole else count)]
    levels = _mean_figures(draws)
    if replacement:
        spread = _sd_figures(draws)
    elif m > h / 2:
        # Draws that share most rows understate the noise: take it from a bootstrap.
        spread = _sd_figures([draw(rng, m, True) for _ in range(count)])
    else:
        correction = 1.0 / np.sqrt(1.0 - m / h)  # finite-population correction
        spread = {name: value * correction for name, value in _sd_figures(draws).items()}
    return HealthyLevels.measured(
        levels, spread, sample_rows=m, holdout_rows=h, draws=count, replacement=replacement
    )


def _mean_figures(draws: list[dict[str, float]]) -> dict[str, float]:
    names = set().union(*draws) if draws else set()
    return {n: float(np.mean([d[n] for d in draws if n in d])) for n in sorted(names)}


def _sd_figures(draws: list[dict[str, float]]) -> dict[str, float]:
    """Sample standard deviation (ddof 1) of each figure over the draws that hold it."""
    names = set().union(*draws) if draws else set()
    out = {}
    for name in sorted(names):
        values = [d[name] for d in draws if name in d]
        if len(values) > 1:
            out[name] = float(np.std(values, ddof=1))
    return out


def size_key(base: str, rows: int) -> str:
    """The cache key of the levels at ``rows`` rows of a reference keyed ``base``."""
    return hashlib.sha256(f"{base}/healthy/{int(rows)}".encode()).hexdigest()


def load_levels(cache: HealthyCache | None, base: str | None, rows: int) -> HealthyLevels | None:
    """The levels at ``rows`` rows of the reference keyed ``base`` in ``cache``, None when it
    does not hold them (or there is no cache or no key)."""
    if cache is None or base is None:
        return None
    return cache.load(size_key(base, rows), rows)


def save_levels(
    cache: HealthyCache | None, base: str | None, rows: int, levels: HealthyLevels
) -> None:
    """Keep ``levels`` in ``cache`` under ``base`` and ``rows`` (nothing without either)."""
    if cache is not None and base is not None:
        cache.save(size_key(base, rows), rows, levels)


def cached_levels(
    cache: HealthyCache | None,
    base: str | None,
    rows: int,
    compute: Callable[[], HealthyLevels],
) -> tuple[HealthyLevels, bool]:
    """(levels, loaded): from ``cache`` under ``base`` and ``rows`` when there, else computed
    (and saved). Without a cache or a key the levels are computed."""
    found = load_levels(cache, base, rows)
    if found is not None:
        return found, True
    levels = compute()
    save_levels(cache, base, rows, levels)
    return levels, False
