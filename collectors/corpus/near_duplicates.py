"""Near-duplicate leakage: corpus rows that are edited copies of known synthetic records.

Two detectors with one shape: built once from the synthetic registry's content (rows *not* marked
known-human) and from known-human content, then asked about a seeded sample of corpus rows.

- :class:`TextNearDuplicates`: MinHash LSH (Broder 1997, "On the resemblance and containment of
  documents"; Indyk & Motwani 1998; the ``datasketch`` implementation) over character 5-shingles
  of the normalised text (:func:`collectors.provenance.definition.normalize_text`, punctuation
  removed), with
  the exact Jaccard similarity verified on every LSH candidate.
- :class:`VectorNearDuplicates`: exact Euclidean nearest-neighbour distance
  (:meth:`collectors.knn.engine.KnnEngine.nearest`), for vectors and numeric table rows.

A row is flagged when (1) it is at least as close to the registry as a threshold calibrated on a
*human null* (the similarities of known-human rows to the registry) and (2) it is clearly closer to
the registry than to known human content (text: Jaccard to the registry at least ``margin`` above
the Jaccard to the nearest human row; vectors: distance to the registry at most ``ratio`` times the
distance to the nearest human row). Rule (2) keeps boilerplate and templates shared by human and
synthetic text from being flagged: such a row is as close to human text as to the registry.

Calibration is split-conformal (Vovk et al. 2005, "Algorithmic Learning in a Random World";
Angelopoulos & Bates 2021, arXiv 2107.07511): each known-human row is scored like a corpus row
(its nearest *other* human row standing in for the human reference), and the threshold is the
order statistic that a new human row passes with probability at most ``alpha``. The expected false
positives of a measurement are ``n x (f + 1) / (h + 1)`` (``f`` of ``h`` human rows flagged), a
slightly conservative estimate. The ratio's interval is Wilson's score interval (Wilson 1927,
JASA 22, 209-212). Exact copies have similarity 1 (distance 0): they are counted too, so the
near-duplicate ratio includes the exact leakage found in the sample.

Pure computation: texts and arrays in, frozen dataclasses out; no I/O.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from datasketch import MinHash, MinHashLSH
from scipy.stats import norm

from collectors.knn import KnnEngine
from collectors.provenance import normalize_text
from collectors.sources import as_matrix

__all__ = [
    "NearDuplicateDetector",
    "NearDuplicateResult",
    "TextNearDuplicates",
    "VectorNearDuplicates",
    "conformal_threshold",
    "shingles",
    "wilson_interval",
]

_PUNCTUATION = re.compile(r"[^\w\s]+")
_SHINGLE_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15 ** (i + 1) % 2**64 for i in range(16)], dtype=np.uint64
)


@dataclass(frozen=True)
class NearDuplicateResult:
    """Near-duplicate leakage in one sample of corpus rows.

    ``score`` per sample row: text, the verified Jaccard similarity to the nearest registry row
    (0 when LSH found no candidate); vectors, the distance to the nearest registry row.
    ``human_score`` the same against known-human rows (NaN without known-human data);
    ``nearest`` the index of the registry row (-1 when none); ``flagged`` a boolean mask.
    ``threshold``: text, a row needs a similarity strictly above it (at least it, for the
    default calibration); vectors, a distance strictly below it. ``calibration`` says in words
    what the threshold and the null came from; ``default_calibration`` is True when it is the
    documented default of :mod:`collectors.corpus.near_defaults` (no known-human data).
    """

    kind: Literal["text", "vector"]
    sample_rows: int
    count: int
    ratio: float
    ratio_lower: float
    ratio_upper: float
    confidence: float
    expected_false_positives: float
    null_rows: int
    null_flagged: int
    threshold: float
    score: np.ndarray
    human_score: np.ndarray
    nearest: np.ndarray
    flagged: np.ndarray
    default_calibration: bool = False
    calibration: str = "known-human data"


class NearDuplicateDetector(Protocol):
    """Estimates the share of corpus rows that are near-duplicates of registered synthetic rows."""

    def measure(self, values: Any, /, *, confidence: float = 0.95) -> NearDuplicateResult:
        """The near-duplicate share of ``values`` (texts or rows) with its confidence interval."""
        ...


def wilson_interval(count: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion count / n (Wilson 1927, JASA 22:209).

    Good coverage even near 0 and 1, unlike the Wald interval (Brown, Cai & DasGupta 2001,
    Statistical Science 16:101). ``n == 0`` gives (0, 1).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    if n < 0 or not 0 <= count <= max(n, 0):
        raise ValueError(f"need 0 <= count <= n, got count={count}, n={n}")
    if n == 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2))
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def conformal_threshold(null_scores: np.ndarray, alpha: float) -> float:
    """Split-conformal threshold on suspicion scores (higher = more suspicious).

    The ``ceil((1 - alpha)(h + 1))``-th smallest of the ``h`` null scores: a new exchangeable
    null row exceeds it with probability at most ``alpha`` (Angelopoulos & Bates 2021, sec. 1).
    With too few null rows for ``alpha`` the largest null score is returned (no guarantee).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    scores = np.sort(np.asarray(null_scores, dtype=np.float64))
    if scores.size == 0:
        raise ValueError("the human null is empty: known-human rows are needed to calibrate")
    k = math.ceil((1 - alpha) * (scores.size + 1))
    return float(scores[min(k, scores.size) - 1])


def shingles(text: str, k: int = 5) -> np.ndarray:
    """Sorted unique 32-bit hashes of the character k-shingles of a text's comparison form.

    The comparison form is :func:`normalize_text` with punctuation removed and whitespace
    collapsed again; a text shorter than ``k`` is one shingle (the empty text has none).
    """
    form = " ".join(_PUNCTUATION.sub(" ", normalize_text(text)).split())
    if not form:
        return np.empty(0, dtype=np.uint32)
    if len(form) <= k:
        return np.array([zlib.crc32(form.encode("utf-8"))], dtype=np.uint32)
    codes = np.frombuffer(form.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    mixed = windows @ _SHINGLE_MULTIPLIERS[:k]  # polynomial hash of the k code points, mod 2**64
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(32)
    return np.unique((mixed & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def _finish(
    kind: Literal["text", "vector"],
    score: np.ndarray,
    human_score: np.ndarray,
    nearest: np.ndarray,
    flagged: np.ndarray,
    *,
    threshold: float,
    null_rows: int,
    null_flagged: int,
    confidence: float,
    default_calibration: bool = False,
    calibration: str = "known-human data",
) -> NearDuplicateResult:
    n = int(flagged.size)
    count = int(flagged.sum())
    lower, upper = wilson_interval(count, n, confidence)
    return NearDuplicateResult(
        kind=kind,
        sample_rows=n,
        count=count,
        ratio=count / n if n else math.nan,
        ratio_lower=lower,
        ratio_upper=upper,
        confidence=confidence,
        expected_false_positives=n * (null_flagged + 1) / (null_rows + 1),
        null_rows=null_rows,
        null_flagged=null_flagged,
        threshold=threshold,
        score=score,
        human_score=human_score,
        nearest=nearest,
        flagged=flagged,
        default_calibration=default_calibration,
        calibration=calibration,
    )


class TextNearDuplicates:
    """MinHash LSH near-duplicate detector for text, calibrated on a human null.

    ``registry``: texts of synthetic registry rows not marked known-human. ``human``: known-human
    texts (at least ``1 / alpha`` of them for the guarantee): the human reference of rule (2) and
    the null. ``min_similarity`` is a floor under the calibrated threshold; ``margin`` the Jaccard
    lead over human text that rule (2) requires; ``lsh_threshold`` the LSH design point (below the
    floor minus the margin, so the human side is seen too); ``verify`` how many candidates, the
    best by MinHash estimate, get the exact Jaccard. Building costs about 0.1-0.3 ms per
    text (shingling and 128 permutations); keep one instance and reuse it across snapshots.
    """

    def __init__(
        self,
        registry: Sequence[str],
        human: Sequence[str],
        *,
        shingle_size: int = 5,
        num_perm: int = 128,
        lsh_threshold: float = 0.3,
        min_similarity: float = 0.5,
        margin: float = 0.1,
        alpha: float = 0.001,
        seed: int = 1,
        verify: int = 5,
    ) -> None:
        if not registry:
            raise ValueError("registry: no synthetic texts to compare with")
        if not human:
            raise ValueError("human: known-human texts are needed for the null and rule (2)")
        self.min_similarity = min_similarity
        self.margin = margin
        self.alpha = alpha
        self._index_registry(
            registry,
            shingle_size=shingle_size,
            num_perm=num_perm,
            lsh_threshold=lsh_threshold,
            seed=seed,
            verify=verify,
        )
        self._human_sets = [self._shingles(t, "human", i) for i, t in enumerate(human)]
        human_sketches = [self._minhash(h) for h in self._human_sets]
        self._human_index = self._index(human_sketches)
        self._human_signatures = np.vstack([m.hashvalues for m in human_sketches])
        reg, _ = self._registry_best(self._human_sets, human_sketches)
        hum, _ = self._human_best(self._human_sets, human_sketches, leave_out=True)
        null_flag = self._rule(reg, hum, -math.inf)
        suspicion = np.where(null_flag, reg, -math.inf)
        self.threshold = conformal_threshold(suspicion, alpha)
        self.null_rows = len(human)
        self.null_flagged = int(self._rule(reg, hum, self.threshold).sum())

    def _index_registry(
        self,
        registry: Sequence[str],
        *,
        shingle_size: int,
        num_perm: int,
        lsh_threshold: float,
        seed: int,
        verify: int,
    ) -> None:
        """Shingle, sketch and index the registry texts (shared with the default calibration)."""
        self.shingle_size = shingle_size
        self.num_perm = num_perm
        self.seed = seed
        self.lsh_threshold = lsh_threshold
        self.verify = verify
        template = MinHash(num_perm=num_perm, seed=seed)
        self._permutations, self._scheme = template.permutations, template.scheme
        self._registry_sets = [self._shingles(t, "registry", i) for i, t in enumerate(registry)]
        registry_sketches = [self._minhash(r) for r in self._registry_sets]
        self._registry_index = self._index(registry_sketches)
        self._registry_signatures = np.vstack([m.hashvalues for m in registry_sketches])

    def _shingles(self, text: object, name: str, index: int) -> np.ndarray:
        if not isinstance(text, str):
            raise ValueError(f"{name}: row {index} is {type(text).__name__}, not a text")
        return shingles(text, self.shingle_size)

    def _minhash(self, hashes: np.ndarray) -> MinHash:
        sketch = MinHash(
            num_perm=self.num_perm,
            seed=self.seed,
            hashfunc=int,
            permutations=self._permutations,
            scheme=self._scheme,
        )
        sketch.update_batch(hashes.tolist())
        return sketch

    def _index(self, sketches: list[MinHash]) -> MinHashLSH:
        index = MinHashLSH(threshold=self.lsh_threshold, num_perm=self.num_perm)
        with index.insertion_session() as session:
            for key, sketch in enumerate(sketches):
                session.insert(key, sketch, check_duplication=False)
        return index

    def _best(
        self,
        queries: list[np.ndarray],
        sketches: list[MinHash],
        index: MinHashLSH,
        sets: list[np.ndarray],
        signatures: np.ndarray,
        *,
        leave_out: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Highest verified Jaccard of each query among its LSH candidates, and which one.

        Candidates are ranked by their MinHash estimate and the ``verify`` best are verified
        exactly (boilerplate can make hundreds of candidates; the best is among the top few).
        """
        best = np.zeros(len(queries))
        which = np.full(len(queries), -1, dtype=np.int64)
        for i, (hashes, sketch) in enumerate(zip(queries, sketches, strict=True)):
            keys = np.fromiter(index.query(sketch), dtype=np.int64)
            if leave_out:
                keys = keys[keys != i]
            if keys.size == 0:
                continue
            if keys.size > self.verify:
                estimate = (signatures[keys] == sketch.hashvalues).sum(axis=1)
                keys = keys[np.argsort(-estimate, kind="stable")[: self.verify]]
            for key in keys.tolist():
                similarity = _jaccard(hashes, sets[key])
                if similarity > best[i] or which[i] < 0:
                    best[i], which[i] = similarity, key
        return best, which

    def _registry_best(
        self, sets: list[np.ndarray], sketches: list[MinHash]
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._best(
            sets, sketches, self._registry_index, self._registry_sets, self._registry_signatures
        )

    def _human_best(
        self, sets: list[np.ndarray], sketches: list[MinHash], *, leave_out: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._best(
            sets,
            sketches,
            self._human_index,
            self._human_sets,
            self._human_signatures,
            leave_out=leave_out,
        )

    def _rule(self, score: np.ndarray, human: np.ndarray, threshold: float) -> np.ndarray:
        return (
            (score >= self.min_similarity)
            & (score > threshold)
            & (score - human >= self.margin - 1e-12)
        )

    def measure(self, texts: Sequence[str], *, confidence: float = 0.95) -> NearDuplicateResult:
        """Flag the near-duplicates of registry rows among ``texts`` (a corpus sample)."""
        sets = [self._shingles(t, "texts", i) for i, t in enumerate(texts)]
        sketches = [self._minhash(h) for h in sets]
        score, nearest = self._registry_best(sets, sketches)
        human, _ = self._human_best(sets, sketches)
        flagged = self._rule(score, human, self.threshold)
        return _finish(
            "text",
            score,
            human,
            nearest,
            flagged,
            threshold=self.threshold,
            null_rows=self.null_rows,
            null_flagged=self.null_flagged,
            confidence=confidence,
            calibration=(
                f"known-human data ({self.null_rows} rows; split-conformal threshold "
                f"{self.threshold:.3f} on character {self.shingle_size}-shingle Jaccard, "
                f"alpha {self.alpha:g})"
            ),
        )


class VectorNearDuplicates:
    """Nearest-neighbour near-duplicate detector for vectors and numeric rows.

    ``registry``/``human``: 2-D arrays (rows x dimensions) in the same feature space (scale table
    columns first). Rule (2): distance to the registry at most ``ratio`` times the distance to the
    nearest human row. The distance threshold is calibrated on the human null (each human row
    against the registry, its nearest other human row as the human reference).
    """

    def __init__(
        self,
        registry: object,
        human: object,
        *,
        ratio: float = 0.5,
        alpha: float = 0.001,
        engine: KnnEngine | None = None,
    ) -> None:
        self._registry = as_matrix(registry, "registry")
        self._human = as_matrix(human, "human")
        if self._human.shape[0] < 2:
            raise ValueError("human: at least 2 known-human rows are needed")
        if self._registry.shape[1] != self._human.shape[1]:
            raise ValueError(
                f"dimension mismatch: registry has {self._registry.shape[1]} columns, "
                f"human has {self._human.shape[1]}"
            )
        if not 0 < ratio <= 1:
            raise ValueError(f"ratio must lie in (0, 1], got {ratio!r}")
        self.ratio = ratio
        self.alpha = alpha
        self._engine = engine or KnnEngine(precision="float64")
        reg = self._engine.nearest(self._human, self._registry, 1).distances[:, 0]
        pair = self._engine.nearest(self._human, self._human, 2)
        own = pair.indices[:, 0] == np.arange(self._human.shape[0])
        hum = np.where(own, pair.distances[:, 1], pair.distances[:, 0])
        suspicion = np.where(reg <= ratio * hum, -reg, -math.inf)
        self.threshold = -conformal_threshold(suspicion, alpha)
        self.null_rows = int(self._human.shape[0])
        self.null_flagged = int(self._rule(reg, hum).sum())

    def _rule(self, distance: np.ndarray, human: np.ndarray) -> np.ndarray:
        return (distance < self.threshold) & (distance <= self.ratio * human)

    def measure(self, vectors: object, *, confidence: float = 0.95) -> NearDuplicateResult:
        """Flag the near-duplicates of registry rows among ``vectors`` (a corpus sample)."""
        queries = as_matrix(vectors, "vectors")
        if queries.shape[1] != self._registry.shape[1]:
            raise ValueError(
                f"dimension mismatch: vectors have {queries.shape[1]} columns, "
                f"the registry {self._registry.shape[1]}"
            )
        found = self._engine.nearest(queries, self._registry, 1)
        distance = found.distances[:, 0]
        human = self._engine.nearest(queries, self._human, 1).distances[:, 0]
        return _finish(
            "vector",
            distance,
            human,
            found.indices[:, 0].astype(np.int64),
            self._rule(distance, human),
            threshold=self.threshold,
            null_rows=self.null_rows,
            null_flagged=self.null_flagged,
            confidence=confidence,
            calibration=(
                f"known-human data ({self.null_rows} rows; split-conformal distance threshold "
                f"{self.threshold:.3g}, alpha {self.alpha:g})"
            ),
        )
