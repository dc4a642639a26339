"""One text generator sample measured against its real reference texts.

:class:`TextReference` has the surface of :class:`collectors.generator.GeneratorReference`
(``measure``, ``measure_with_healthy``, ``healthy``, ``healthy_at``, ``input_columns``) so that
the generator watch uses either. It measures:

- the lexical figures (:mod:`collectors.text.lexical`) against the reference's vocabulary;
- precision/recall/density/coverage (Naeem et al. 2020), their clipped forms (Salvy et al. 2025),
  alpha-precision/beta-recall/authenticity (Alaa et al. 2022), per-region coverage and the
  distance to closest record in the embedding space (:mod:`collectors.text.embed`), with the same
  fitted :class:`collectors.metrics.reference.ReferenceModel` the tabular path uses;
- semantic diversity (mean pairwise cosine distance of the embeddings).

Healthy levels come from repeated draws of the real holdout at the version's size, exactly as for
tables (:func:`collectors.generator.measure_healthy`); the holdout is tokenised and embedded once,
so a draw costs only its counts and its k-NN pass.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from collectors.generator import Measurement
from collectors.healthy import (
    HEALTHY_DRAWS,
    HealthyCache,
    HealthyLevels,
    cached_levels,
    measure_healthy,
)
from collectors.metrics import ReferenceModel, RegionStats
from collectors.text.embed import (
    Embed,
    EmbedderFactory,
    TfidfSvd,
    load_embedder,
    semantic_diversity,
    tfidf_svd,
)
from collectors.text.lexical import LexicalReference, type_counts
from collectors.text.tokenize import EncodedTexts, encode, fit_vocabulary

__all__ = ["TOKEN_BUDGET", "TextReference", "texts_of"]

TOKEN_BUDGET = 20_000  # tokens at which type counts are compared (capped at a sample's tokens)
CURVE_POINTS = 60  # log-spaced ranks of the rank-frequency curves kept for reports
VANISHED_SHOWN = 30  # vanished reference types listed in a run's details


def texts_of(frame: pd.DataFrame | Sequence[str], column: str, *, source: str) -> list[str]:
    """The texts of ``column`` (or the sequence itself); missing or non-text cells are an error
    that names the source, the column and how many rows."""
    if isinstance(frame, pd.DataFrame):
        if column not in frame.columns:
            raise ValueError(f"{source}: missing text column {column!r}")
        values = frame[column].tolist()
    else:
        values = list(frame)
    bad = [i for i, value in enumerate(values) if not isinstance(value, str)]
    if bad:
        raise ValueError(
            f"{source}: column {column!r} holds {len(bad)} cells that are not text "
            f"(missing or another type; first at row {bad[0]})"
        )
    return values


class TextReference:
    """A text generator's real reference: vocabulary, embedder, distance model, healthy levels."""

    def __init__(
        self,
        reference: pd.DataFrame | Sequence[str],
        *,
        holdout: pd.DataFrame | Sequence[str] | None = None,
        text_column: str = "text",
        k: int = 5,
        n_regions: int = 20,
        seed: int = 0,
        sample_size: int | None = None,
        healthy_draws: int = HEALTHY_DRAWS,
        embedder: str | EmbedderFactory | None = None,
        token_budget: int = TOKEN_BUDGET,
        healthy_cache: HealthyCache | None = None,
        healthy_key: str | None = None,
    ) -> None:
        self.text_column = text_column
        texts = texts_of(reference, text_column, source="reference")
        factory = embedder if callable(embedder) else load_embedder(embedder)
        self.embedder_name = embedder if isinstance(embedder, str) else None
        self.vocabulary, encoded = fit_vocabulary(texts)
        self.lexical = LexicalReference.fit(encoded, token_budget)
        # The default embedder reuses the token ids; a plugged one gets the texts.
        default = factory is tfidf_svd
        self._tfidf = TfidfSvd(self.vocabulary, encoded, seed=seed) if default else None
        self.embed: Embed = self._tfidf if self._tfidf is not None else factory(texts)
        real = self._embedded(texts, encoded, "reference")
        self.holdout_texts: EncodedTexts | None = None
        self._holdout_embedded: np.ndarray | None = None
        if holdout is not None:
            held = texts_of(holdout, text_column, source="holdout")
            self.holdout_texts = encode(held, self.vocabulary)
            self._holdout_embedded = self._embedded(held, self.holdout_texts, "holdout")
        self.model = ReferenceModel(
            real, k=k, n_regions=n_regions, seed=seed, holdout=self._holdout_embedded
        )
        self.reference_rows = len(texts)
        self.seed = seed
        self.sample_size = sample_size
        self.healthy_draws = max(2, int(healthy_draws))
        self._healthy: dict[int, HealthyLevels] = {}
        self.healthy_cache = healthy_cache  # as GeneratorReference: levels kept between runs
        self.healthy_key = healthy_key
        self.healthy_loaded = 0
        self.healthy_measured = 0

    @property
    def input_columns(self) -> list[str]:
        """The columns a version must hold: the text column."""
        return [self.text_column]

    def describe(self) -> dict[str, object]:
        """What was fitted, for the stored artifact (no texts)."""
        return {
            "text_column": self.text_column,
            "embedder": self.embedder_name or "tfidf-svd",
            "dimensions": int(self.model.dim),
            "reference_texts": self.reference_rows,
            "vocabulary": len(self.vocabulary),
            "token_budget": self.lexical.budget,
            "rare_types": int(self.lexical.rare.sum()),
            "rare_share": self.lexical.rare_share,
        }

    # -- healthy levels (as GeneratorReference) ---------------------------------------------------

    @property
    def healthy(self) -> HealthyLevels | None:
        """Healthy levels at the configured sample size (the holdout's size when none)."""
        if self.holdout_texts is None:
            return None
        return self.healthy_at(self.sample_size or self.holdout_texts.texts)

    def healthy_at(self, sample_rows: int) -> HealthyLevels | None:
        """Healthy levels at ``sample_rows`` texts (once per size)."""
        if self.holdout_texts is None:
            return None
        if sample_rows not in self._healthy:
            texts = self.holdout_texts.texts
            levels, loaded = cached_levels(
                self.healthy_cache,
                self.healthy_key,
                sample_rows,
                lambda: measure_healthy(
                    self._draw, texts, sample_rows, self.seed, self.healthy_draws
                ),
            )
            if loaded:
                self.healthy_loaded += 1
            else:
                self.healthy_measured += 1
            self._healthy[sample_rows] = levels
        return self._healthy[sample_rows]

    def measure_with_healthy(
        self, sample: pd.DataFrame | Sequence[str], *, source: str = "sample"
    ) -> tuple[Measurement, HealthyLevels | None]:
        """:meth:`measure` of ``sample`` and the healthy levels at its number of texts, one after
        the other (the surface of
        :meth:`collectors.generator.GeneratorReference.measure_with_healthy`; the measurement's
        ``timings["healthy_levels"]``: the levels' seconds)."""
        measurement = self.measure(sample, source=source)
        start = time.perf_counter()
        healthy = self.healthy_at(len(sample))
        measurement.timings["healthy_levels"] = time.perf_counter() - start
        return measurement, healthy

    def _draw(self, rng: np.random.Generator, m: int, replacement: bool) -> dict[str, float]:
        assert self.holdout_texts is not None and self._holdout_embedded is not None
        rows = np.sort(rng.choice(self.holdout_texts.texts, size=m, replace=replacement))
        encoded = self.holdout_texts.subset(rows)
        return self._figures(encoded, self._holdout_embedded[rows], "holdout")[0]

    # -- one sample -------------------------------------------------------------------------------

    def measure(
        self, sample: pd.DataFrame | Sequence[str], *, source: str = "sample", details: bool = True
    ) -> Measurement:
        """Every text figure of ``sample`` (``details``: curves and vanished types too)."""
        texts = texts_of(sample, self.text_column, source=source)
        encoded = encode(texts, self.vocabulary)
        embedded = self._embedded(texts, encoded, source)
        if embedded.shape[1] != self.model.dim:
            raise ValueError(
                f"{source}: the embedder returned {embedded.shape[1]} dimensions, "
                f"the reference's have {self.model.dim}"
            )
        figures, regions = self._figures(encoded, embedded, source)
        extra: dict[str, object] = {"text": self._details(encoded)} if details else {}
        return Measurement(figures, {}, regions, details=extra)

    def _embedded(self, texts: list[str], encoded: EncodedTexts, source: str) -> np.ndarray:
        if self._tfidf is not None:
            return self._tfidf.embed_encoded(encoded)
        embedded = np.asarray(self.embed(texts), dtype=np.float64)
        if embedded.ndim != 2 or embedded.shape[0] != len(texts):
            raise ValueError(
                f"{source}: the embedder returned shape {embedded.shape} for {len(texts)} texts"
            )
        if not np.isfinite(embedded).all():
            raise ValueError(f"{source}: the embedder returned non-finite values")
        return embedded

    def _figures(
        self, encoded: EncodedTexts, embedded: np.ndarray, source: str
    ) -> tuple[dict[str, float], RegionStats]:
        figures = self.lexical.figures(encoded)
        fidelity = self.model.evaluate(embedded, name=source)
        figures.update(fidelity.as_dict())
        figures["text_semantic_diversity"] = semantic_diversity(embedded)
        clean = {name: float(v) for name, v in figures.items() if np.isfinite(v)}
        return clean, fidelity.regions

    def _details(self, encoded: EncodedTexts) -> dict[str, object]:
        """Aggregates for reports: rank-frequency curves, distinct-n, vanished reference types."""
        reference_counts = self.lexical.counts
        sample_counts = np.bincount(encoded.ids, minlength=encoded.known)[
            : reference_counts.shape[0]
        ]
        vanished = np.flatnonzero((reference_counts > 0) & (sample_counts == 0))
        order = vanished[np.argsort(-reference_counts[vanished], kind="stable")]
        rare_vanished = [i for i in order if self.lexical.rare[i]]
        return {
            "reference_curve": _curve(reference_counts),
            "sample_curve": _curve(type_counts(encoded.ids)),
            "vanished_types": int(vanished.shape[0]),
            "reference_types": int(np.count_nonzero(reference_counts)),
            "vanished": [
                [self.vocabulary.token(int(i)), int(reference_counts[i])]
                for i in order[:VANISHED_SHOWN]
            ],
            "vanished_rare": [
                [self.vocabulary.token(int(i)), int(reference_counts[i])]
                for i in rare_vanished[:VANISHED_SHOWN]
            ],
        }


def _curve(counts: np.ndarray) -> list[list[float]]:
    """(rank, relative frequency) at up to ``CURVE_POINTS`` log-spaced ranks."""
    ordered = np.sort(counts[counts > 0])[::-1]
    if ordered.shape[0] == 0:
        return []
    ranks = np.unique(np.geomspace(1, ordered.shape[0], CURVE_POINTS).round().astype(int))
    share = ordered / ordered.sum()
    return [[int(r), float(share[r - 1])] for r in ranks]
