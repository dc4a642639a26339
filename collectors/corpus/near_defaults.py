"""Near-duplicates without known-human data: documented default thresholds, measured nulls.

:mod:`collectors.corpus.near_duplicates` calibrates its thresholds on known-human rows. Most teams
have
no separate human set, so a corpus with a synthetic dump and no ``[[known_human]]`` entry falls
back to the detectors here:

- :class:`DefaultTextNearDuplicates`: the near-duplicate rule of published corpus deduplication.
  Lee et al. 2022, "Deduplicating Training Data Makes Language Models Better" (ACL 2022,
  pp. 8424-8445; arXiv 2107.06499), sec. 4.2 and App. A, NearDup: each document is the set of its
  space-tokenised 5-grams, candidate pairs come from MinHash LSH (9,000 hashes: 450 buckets of 20),
  and a candidate is a near-duplicate when its Jaccard index on those sets, and its edit
  similarity, are both at least 0.8. Here: word 5-gram shingles of the normalised text
  (:func:`word_shingles`), MinHash LSH with 128 permutations (``datasketch``) only to find
  candidates, and the *exact* Jaccard of the best candidates against :data:`DEFAULT_JACCARD`
  (0.8). The edit-similarity check is left out: it can only remove flags, so on the same
  shingle sets this rule flags a superset of NearDup's (minus LSH misses).
- :class:`DefaultVectorNearDuplicates`: numeric rows and vectors, in columns standardised on the
  registry. A row is flagged when it is much closer to its nearest (distinct) registry row than
  the registry's own rows are to each other: below ``ratio`` (0.5) times the ``alpha`` (0.001)
  split-conformal lower quantile of the registry rows' leave-one-out nearest-neighbour distances
  (Vovk et al. 2005; Angelopoulos & Bates 2021, arXiv 2107.07511). The quantile alone flags a
  fresh row of the generator's own distribution with probability about ``alpha``; the factor
  guards against blurred generators: where samples are real rows plus noise, two samples lie
  about sqrt(2) times farther apart than a real row from its nearest sample in high dimension,
  so a factor below 1/sqrt(2) keeps real rows out (measured: the quantile alone flagged 9 % of
  the real rows of a table against a kernel-density dump of 500 rows). It is the copy test of
  Alaa et al. 2022 (ICML, "How Faithful is your Synthetic Data?", authenticity: a sample is a
  copy when it is closer to a training point than that point's nearest neighbour) made strict by
  a quantile and a factor instead of each point's own radius. Exact copies are flagged.

Neither rule can see shared boilerplate as human (rule (2) of
:mod:`collectors.corpus.near_duplicates`
needs human rows), so their false-positive rate on real human text is *measured*, not assumed:
``benchmarks/bench_near_duplicate_null.py`` (``make bench-null``) runs each default on real data
that ships on the machine against a synthetic dump made by a generator fit on other real data,
and the measured figures are :data:`TEXT_NULL` and :data:`VECTOR_NULL`. They stand in for the
human null of the calibrated detectors: expected false positives ``n (f + 1) / (h + 1)`` for a
sample of ``n`` rows, so the alert (the interval's lower bound above the null rate) keeps its
meaning.

Pure computation: texts and arrays in,
:class:`~collectors.corpus.near_duplicates.NearDuplicateResult`
out; no I/O.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collectors.corpus.near_duplicates import (
    NearDuplicateResult,
    TextNearDuplicates,
    _finish,
    conformal_threshold,
)
from collectors.knn import KnnEngine
from collectors.provenance import normalize_text
from collectors.sources import as_matrix

__all__ = [
    "DEFAULT_JACCARD",
    "DEFAULT_WORD_SHINGLE",
    "TEXT_NULL",
    "VECTOR_NULL",
    "DefaultTextNearDuplicates",
    "DefaultVectorNearDuplicates",
    "NullMeasurement",
    "word_shingles",
]

DEFAULT_JACCARD = 0.8  # Lee et al. 2022, sec. 4.2 / App. A (NearDup)
DEFAULT_WORD_SHINGLE = 5  # space-tokenised 5-grams, ibid.
DEFAULT_VECTOR_ALPHA = 0.001
DEFAULT_VECTOR_RATIO = 0.5

_PUNCTUATION = re.compile(r"[^\w\s]+")
_MULTIPLIERS = np.array([0x9E3779B97F4A7C15 ** (i + 1) % 2**64 for i in range(16)], dtype=np.uint64)


@dataclass(frozen=True)
class NullMeasurement:
    """How often a default rule flags real human rows: ``flagged`` of ``rows``, on ``source``.

    ``rate`` is the estimate the expected false positives use, ``(flagged + 1) / (rows + 1)``
    (the same slightly conservative form as the known-human null).
    """

    rows: int
    flagged: int
    source: str

    @property
    def rate(self) -> float:
        return (self.flagged + 1) / (self.rows + 1)


# Measured by ``make bench-null`` (benchmarks/README.md, "Near-duplicate defaults"); the
# benchmark prints these figures again and says whether they still hold.
TEXT_NULL = NullMeasurement(
    rows=3_872,
    flagged=1,
    source=(
        "3,872 paragraphs of Python 3.11 standard-library docstrings against a 5,000-row "
        "Markov-chain dump fit on other modules' docstrings"
    ),
)
VECTOR_NULL = NullMeasurement(
    rows=1_569,
    flagged=0,
    source=(
        "1,569 held-out rows of 5 scikit-learn tables (breast cancer, wine, diabetes, digits, "
        "iris) against 2,000-row Gaussian-mixture and kernel-density dumps fit on the others"
    ),
)


def word_shingles(text: str, k: int = DEFAULT_WORD_SHINGLE) -> np.ndarray:
    """Sorted unique 32-bit hashes of the word k-grams of a text's comparison form.

    The comparison form is :func:`normalize_text` (NFKC, case and whitespace folded) with
    punctuation removed; words are what whitespace separates (Lee et al.'s space tokenisation).
    A text of fewer than ``k`` words is one shingle (the empty text has none).
    """
    words = _PUNCTUATION.sub(" ", normalize_text(text)).split()
    if not words:
        return np.empty(0, dtype=np.uint32)
    if len(words) < k:
        return np.array([zlib.crc32(" ".join(words).encode("utf-8"))], dtype=np.uint32)
    codes = np.fromiter(
        (zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words)
    )
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    mixed = windows @ _MULTIPLIERS[:k]  # polynomial hash of the k word hashes, mod 2**64
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(32)
    return np.unique((mixed & np.uint64(0xFFFFFFFF)).astype(np.uint32))


class DefaultTextNearDuplicates(TextNearDuplicates):
    """Text near-duplicates without known-human data: word 5-gram Jaccard >= 0.8.

    ``registry``: texts of synthetic registry rows. A sample row is flagged when the exact
    Jaccard of its word ``shingle_size``-gram set with some registry row's is at least
    ``threshold`` (Lee et al. 2022's NearDup rule, see the module docstring). ``null``: the
    measured false-positive rate on human text, the expected false positives of every
    measurement.
    """

    def __init__(
        self,
        registry: Sequence[str],
        *,
        threshold: float = DEFAULT_JACCARD,
        shingle_size: int = DEFAULT_WORD_SHINGLE,
        num_perm: int = 128,
        lsh_threshold: float = 0.5,
        seed: int = 1,
        verify: int = 5,
        null: NullMeasurement = TEXT_NULL,
    ) -> None:
        if not registry:
            raise ValueError("registry: no synthetic texts to compare with")
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
        self.min_similarity = threshold
        self.margin = 0.0
        self.alpha = math.nan
        self._index_registry(
            registry,
            shingle_size=shingle_size,
            num_perm=num_perm,
            lsh_threshold=lsh_threshold,
            seed=seed,
            verify=verify,
        )
        self.threshold = threshold
        self.null = null
        self.null_rows = null.rows
        self.null_flagged = null.flagged

    def _shingles(self, text: object, name: str, index: int) -> np.ndarray:
        if not isinstance(text, str):
            raise ValueError(f"{name}: row {index} is {type(text).__name__}, not a text")
        return word_shingles(text, self.shingle_size)

    @property
    def calibration(self) -> str:
        return (
            f"default Jaccard threshold {self.threshold:g} on {self.shingle_size}-word "
            f"shingles (Lee et al. 2022), null rate {self.null.rate:.2g} "
            f"({self.null.flagged} of {self.null.rows} rows) measured on {self.null.source}"
        )

    def measure(self, texts: Sequence[str], *, confidence: float = 0.95) -> NearDuplicateResult:
        """Flag the near-duplicates of registry rows among ``texts`` (a corpus sample)."""
        sets = [self._shingles(t, "texts", i) for i, t in enumerate(texts)]
        sketches = [self._minhash(h) for h in sets]
        score, nearest = self._registry_best(sets, sketches)
        return _finish(
            "text",
            score,
            np.full(score.shape, math.nan),
            nearest,
            score >= self.threshold,
            threshold=self.threshold,
            null_rows=self.null_rows,
            null_flagged=self.null_flagged,
            confidence=confidence,
            default_calibration=True,
            calibration=self.calibration,
        )


def registry_spacing(registry: np.ndarray, engine: KnnEngine) -> tuple[np.ndarray, np.ndarray]:
    """The distinct registry rows and each one's distance to its nearest other distinct row."""
    distinct = np.unique(registry, axis=0)
    if distinct.shape[0] < 2:
        raise ValueError("registry: at least 2 distinct synthetic rows are needed")
    pair = engine.nearest(distinct, distinct, 2)
    own = pair.indices[:, 0] == np.arange(distinct.shape[0])
    return distinct, np.where(own, pair.distances[:, 1], pair.distances[:, 0])


class DefaultVectorNearDuplicates:
    """Vector and numeric-row near-duplicates without known-human data.

    Columns are standardised on the registry; a sample row is flagged when its distance to the
    nearest distinct registry row is below ``ratio`` times the ``alpha`` split-conformal lower
    quantile of the registry's leave-one-out nearest-neighbour distances (see the module
    docstring). Exact copies (distance 0) are flagged.
    """

    def __init__(
        self,
        registry: object,
        *,
        alpha: float = DEFAULT_VECTOR_ALPHA,
        ratio: float = DEFAULT_VECTOR_RATIO,
        engine: KnnEngine | None = None,
        null: NullMeasurement = VECTOR_NULL,
    ) -> None:
        rows = as_matrix(registry, "registry")
        self.centre = rows.mean(axis=0)
        spread = rows.std(axis=0)
        self.scale = np.where(spread > 0, spread, 1.0)
        self._engine = engine or KnnEngine(precision="float64")
        self._registry, spacing = registry_spacing(self._scaled(rows), self._engine)
        if not 0 < ratio <= 1:
            raise ValueError(f"ratio must lie in (0, 1], got {ratio!r}")
        self.alpha = alpha
        self.ratio = ratio
        self.threshold = ratio * threshold_below(spacing, alpha)
        self.null = null
        self.null_rows = null.rows
        self.null_flagged = null.flagged

    def _scaled(self, rows: np.ndarray) -> np.ndarray:
        return (np.asarray(rows, dtype=float) - self.centre) / self.scale

    @property
    def calibration(self) -> str:
        return (
            f"default distance threshold {self.threshold:.3g} ({self.ratio:g} x the registry's "
            f"own nearest-neighbour distance at conformal alpha {self.alpha:g}), null rate "
            f"{self.null.rate:.2g} ({self.null.flagged} of {self.null.rows} rows) measured on "
            f"{self.null.source}"
        )

    def measure(self, vectors: object, *, confidence: float = 0.95) -> NearDuplicateResult:
        """Flag the near-duplicates of registry rows among ``vectors`` (a corpus sample)."""
        queries = as_matrix(vectors, "vectors")
        if queries.shape[1] != self._registry.shape[1]:
            raise ValueError(
                f"dimension mismatch: vectors have {queries.shape[1]} columns, "
                f"the registry {self._registry.shape[1]}"
            )
        found = self._engine.nearest(self._scaled(queries), self._registry, 1)
        distance = found.distances[:, 0]
        return _finish(
            "vector",
            distance,
            np.full(distance.shape, math.nan),
            found.indices[:, 0].astype(np.int64),
            (distance < self.threshold) | (distance == 0),
            threshold=self.threshold,
            null_rows=self.null_rows,
            null_flagged=self.null_flagged,
            confidence=confidence,
            default_calibration=True,
            calibration=self.calibration,
        )


def threshold_below(spacing: np.ndarray, alpha: float) -> float:
    """Split-conformal lower-tail threshold: a distance below it is rarer than ``alpha`` for a
    row exchangeable with the registry's own (``spacing``: leave-one-out distances)."""
    return -conformal_threshold(-np.asarray(spacing, dtype=float), alpha)
