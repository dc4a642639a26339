"""Text generators: tokenisation, lexical tails and diversity, embedders, the text measurement.

Pure functions and fitted objects (no I/O). The door for callers:

- :func:`tokenize`, :func:`encode`, :class:`Vocabulary`, :class:`EncodedTexts`: tokenisation,
  defined once (:mod:`collectors.text.tokenize`);
- :class:`LexicalReference` and the figure functions (:mod:`collectors.text.lexical`);
- :func:`tfidf_svd`, :func:`load_embedder`, :func:`semantic_diversity`
  (:mod:`collectors.text.embed`);
- :class:`TextReference`: one text version measured against real reference texts, with healthy
  levels (:mod:`collectors.text.measure`).
"""

from collectors.text.embed import (
    DEFAULT_EMBEDDER,
    ENTRY_POINT_GROUP,
    load_embedder,
    semantic_diversity,
    tfidf_svd,
)
from collectors.text.lexical import (
    LexicalReference,
    distinct_n,
    length_tail_shares,
    ngram_novelty,
    rare_types,
    rarefied_types,
    self_repetition,
    zipf_slope,
)
from collectors.text.measure import TOKEN_BUDGET, TextReference, texts_of
from collectors.text.tokenize import EncodedTexts, Vocabulary, encode, fit_vocabulary, tokenize

__all__ = [
    "DEFAULT_EMBEDDER",
    "ENTRY_POINT_GROUP",
    "TOKEN_BUDGET",
    "EncodedTexts",
    "LexicalReference",
    "TextReference",
    "Vocabulary",
    "distinct_n",
    "encode",
    "fit_vocabulary",
    "length_tail_shares",
    "load_embedder",
    "ngram_novelty",
    "rare_types",
    "rarefied_types",
    "self_repetition",
    "semantic_diversity",
    "texts_of",
    "tfidf_svd",
    "tokenize",
    "zipf_slope",
]
