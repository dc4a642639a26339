"""Text embedders: the default TF-IDF + truncated SVD one, and pluggable sentence encoders.

An *embedder factory* is called once with the reference texts and returns the function that
embeds texts (``Callable[[Sequence[str]], np.ndarray]``, one row per text). The default,
:func:`tfidf_svd` (:class:`TfidfSvd`), needs no download and is deterministic: TF-IDF of word
1-2-grams (over :func:`collectors.text.tokenize.tokenize`'s tokens) and of the words' character
3-5-grams (each word padded with a space, as scikit-learn's ``char_wb``), each block
L2-normalised, side by side, reduced by a truncated SVD
(latent semantic analysis: Deerwester et al. 1990, JASIS 41:391; Halko et al. 2011, SIAM Review,
randomised, with a fixed seed) fitted on the reference, rows L2-normalised. scikit-learn does all
of it.

Teams with their own sentence encoder name a factory: ``embedder = "package.module:function"``
in the generator's configuration, or a name registered in the entry-point group
``tailwatch.embedders`` (``[project.entry-points."tailwatch.embedders"] mine = "pkg.mod:fn"``).
A factory must not download anything at run time; ship the weights with the package.

Semantic diversity (Guo et al. 2024, NAACL Findings: semantic diversity holds longer than lexical
diversity over recursive training) is the mean pairwise cosine distance of the embeddings,
computed exactly in O(n d): for unit rows ``v_i``, ``sum_{i != j} v_i . v_j = |sum_i v_i|^2 - n``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfTransformer

from collectors.text.lexical import ngram_codes
from collectors.text.tokenize import EncodedTexts, Vocabulary, encode, fit_vocabulary

__all__ = [
    "DEFAULT_EMBEDDER",
    "ENTRY_POINT_GROUP",
    "Embed",
    "EmbedderFactory",
    "TfidfSvd",
    "load_embedder",
    "semantic_diversity",
    "tfidf_svd",
]

Embed = Callable[[Sequence[str]], np.ndarray]
EmbedderFactory = Callable[[Sequence[str]], Embed]

DEFAULT_EMBEDDER = "tfidf-svd"
ENTRY_POINT_GROUP = "tailwatch.embedders"
DIMENSIONS = 64  # SVD components (fewer when the reference has fewer texts or features)
MAX_FEATURES = 50_000  # per kind of n-gram: the most frequent n-grams of the reference
CHAR_NGRAMS = (3, 4, 5)


def tfidf_svd(reference: Sequence[str], *, dimensions: int = DIMENSIONS, seed: int = 0) -> Embed:
    """The default embedder factory, fitted on ``reference`` (see the module docstring)."""
    vocabulary, encoded = fit_vocabulary(list(reference))
    return TfidfSvd(vocabulary, encoded, dimensions=dimensions, seed=seed)


class TfidfSvd:
    """TF-IDF of word 1-2-grams and character 3-5-grams, truncated SVD, unit rows.

    Built from token ids (:mod:`collectors.text.tokenize`), not from strings: a text's word
    counts are a sparse row of its ids, its bigram counts a row of its bigram codes, and its
    character n-gram counts its word counts times a (type x character n-gram) matrix, since the
    character n-grams of a word (padded with a space each side, as scikit-learn's ``char_wb``)
    depend on the word only. So the Python work is per type, not per token. Features are the
    reference's ``MAX_FEATURES`` most frequent n-grams of each kind; TF-IDF
    (``sublinear_tf``, smoothed idf, L2 per block) and the SVD are scikit-learn's, fitted on the
    reference.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        reference: EncodedTexts,
        *,
        dimensions: int = DIMENSIONS,
        seed: int = 0,
    ) -> None:
        self.vocabulary = vocabulary
        self.known = len(vocabulary)
        bigrams, _ = ngram_codes(reference, 2)
        codes, counts = np.unique(bigrams, return_counts=True)
        top = np.sort(np.argsort(-counts, kind="stable")[:MAX_FEATURES])
        self.bigrams = codes[top]  # sorted
        grams: dict[str, int] = {}
        self.char_rows = _char_matrix([vocabulary.token(i) for i in range(self.known)], grams)
        char_counts = self._words(reference) @ self.char_rows
        frequency = np.asarray(char_counts.sum(axis=0)).ravel()
        keep = np.sort(np.argsort(-frequency, kind="stable")[:MAX_FEATURES])
        self.char_rows = self.char_rows[:, keep].tocsr()
        position = {column: i for i, column in enumerate(keep.tolist())}
        self.grams = {gram: position[c] for gram, c in grams.items() if c in position}
        self.tfidf = [TfidfTransformer(sublinear_tf=True) for _ in range(3)]
        blocks = self._blocks(reference)
        matrix = sp.hstack([t.fit_transform(b) for t, b in zip(self.tfidf, blocks, strict=True)])
        matrix = matrix.tocsr()
        k = int(max(1, min(dimensions, matrix.shape[0] - 1, matrix.shape[1] - 1)))
        self.svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=seed)
        self.svd.fit(matrix)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_encoded(encode(texts, self.vocabulary))

    def embed_encoded(self, texts: EncodedTexts) -> np.ndarray:
        """Unit embedding rows of texts encoded with this embedder's vocabulary."""
        blocks = self._blocks(texts)
        matrix = sp.hstack([t.transform(b) for t, b in zip(self.tfidf, blocks, strict=True)])
        return _unit_rows(self.svd.transform(matrix.tocsr()))

    def _words(self, texts: EncodedTexts, width: int | None = None) -> sp.csr_matrix:
        """(texts x types) counts of the ids below ``width`` (default: the reference's)."""
        width = self.known if width is None else width
        text_of = np.repeat(np.arange(texts.texts), texts.lengths)
        keep = texts.ids < width
        data = np.ones(int(keep.sum()), dtype=np.float64)
        shape = (texts.texts, width)
        return sp.csr_matrix((data, (text_of[keep], texts.ids[keep])), shape=shape)

    def _blocks(self, texts: EncodedTexts) -> list[sp.csr_matrix]:
        words = self._words(texts)
        codes, text_of = ngram_codes(texts, 2)
        where = np.minimum(np.searchsorted(self.bigrams, codes), self.bigrams.shape[0] - 1)
        hit = self.bigrams[where] == codes if self.bigrams.shape[0] else codes < 0
        bigrams = sp.csr_matrix(
            (np.ones(int(hit.sum())), (text_of[hit], where[hit])),
            shape=(texts.texts, max(self.bigrams.shape[0], 1)),
        )
        chars = words @ self.char_rows
        if texts.new_types:
            extra = _char_matrix(list(texts.new_types), self.grams, grow=False)
            width = self.known + len(texts.new_types)
            new_words = self._words(texts, width)[:, self.known :]
            chars = chars + new_words @ extra
        return [words, bigrams, sp.csr_matrix(chars)]


def _char_grams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + n] for n in CHAR_NGRAMS for i in range(len(padded) - n + 1)]


def _char_matrix(words: list[str], grams: dict[str, int], *, grow: bool = True) -> sp.csr_matrix:
    """(words x character n-grams) counts; ``grams`` maps n-gram -> column (grown unless not)."""
    rows: list[int] = []
    columns: list[int] = []
    for row, word in enumerate(words):
        for gram in _char_grams(word):
            column = grams.get(gram)
            if column is None:
                if not grow:
                    continue
                column = grams[gram] = len(grams)
            rows.append(row)
            columns.append(column)
    width = len(grams) if grow else max(grams.values(), default=-1) + 1
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, columns)), shape=(len(words), max(width, 1)))


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def load_embedder(name: str | None) -> EmbedderFactory:
    """The factory ``name`` names: ``None`` or ``"tfidf-svd"`` (the default), an entry point of
    ``tailwatch.embedders``, or ``"package.module:function"``. Errors name what was not found."""
    if name is None or name == DEFAULT_EMBEDDER:
        return tfidf_svd
    if ":" in name:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ValueError(f"embedder {name!r}: cannot import {module_name!r}: {error}") from None
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise ValueError(f"embedder {name!r}: {module_name} has no callable {attribute!r}")
        return factory
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        registered = (ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
        known = sorted({DEFAULT_EMBEDDER, *registered})
        raise ValueError(
            f"embedder {name!r}: not 'package.module:function' and no entry point of "
            f"{ENTRY_POINT_GROUP!r} has that name (known: {', '.join(known)})"
        )
    return found[0].load()


def semantic_diversity(embeddings: np.ndarray) -> float:
    """Mean pairwise cosine distance of the rows (exact; NaN with fewer than 2 rows).

    >>> semantic_diversity(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))  # (1 + 2 + 1) / 3
    1.3333333333333333
    """
    unit = _unit_rows(embeddings)
    n = unit.shape[0]
    if n < 2:
        return float("nan")
    total = unit.sum(axis=0)
    nonzero = int(np.count_nonzero(np.linalg.norm(unit, axis=1)))
    similarity = (float(total @ total) - nonzero) / (n * (n - 1))
    return float(1.0 - similarity)
