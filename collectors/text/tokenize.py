"""Tokenisation, defined once: every text figure of Tailwatch counts these tokens.

Definition (deterministic; Unicode data is the interpreter's, ``unicodedata.unidata_version``):

1. The text is normalised exactly as record fingerprints normalise it
   (:func:`collectors.provenance.definition.normalize_text`: NFKC, full case folding, NFKC,
   whitespace runs
   collapsed to one space), so that ``"Straße"``, ``"STRASSE"`` and ``"straße"`` are one token,
   full-width ``"ＡＢＣ"`` is ``"abc"`` and a ligature ``"ﬁ"`` is ``"fi"``.
2. A token is a maximal run of *word characters*: letters, numbers and combining marks (Unicode
   general categories L*, N* and M*), with an apostrophe (U+0027 or U+2019) inside a run kept
   (``"don't"``, ``"l’homme"`` are one token). Everything else separates tokens and is dropped:
   whitespace, punctuation (the hyphen and the underscore included: ``"self-consuming"`` is two
   tokens), symbols, controls.
3. Each CJK unified ideograph (and compatibility ideograph) is a token of its own, as BERT's basic
   tokenizer does (Devlin et al. 2019, NAACL; Google's ``tokenization.py``, ``_is_chinese_char``):
   those scripts put no spaces between words. Other scripts without spaces (Thai, Khmer) come out
   as runs; an embedder with its own segmentation can be plugged in for them
   (:mod:`collectors.text.embed`), the lexical figures stay comparable across versions either way.

Tokens are then encoded as integer ids (:func:`encode`) so that every count is numpy work.
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from collectors.provenance import normalize_text

__all__ = ["EncodedTexts", "Vocabulary", "encode", "fit_vocabulary", "normalize_text", "tokenize"]

# CJK unified ideographs (BERT's ranges): each one is a token.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


ENCODE_CHUNK = 2_000  # texts tokenised and looked up at a time


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _ranges(codes: Iterable[int]) -> str:
    """A regex character class body for the given (sorted) code points, as ranges."""
    parts: list[str] = []
    start = previous = -2
    for code in codes:
        if code == previous + 1:
            previous = code
            continue
        if start >= 0:
            parts.append(_span(start, previous))
        start = previous = code
    if start >= 0:
        parts.append(_span(start, previous))
    return "".join(parts)


def _span(low: int, high: int) -> str:
    first = re.escape(chr(low))
    return first if low == high else f"{first}-{re.escape(chr(high))}"


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The token regex for texts within the BMP, and for any text; built once from the
    interpreter's Unicode database. Python's ``re`` tests a BMP-only class with a bitmap but a
    class with astral ranges range by range, so texts without astral characters (nearly all)
    take the fast one; both give the same tokens on such texts."""
    word = [
        code
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code))[0] in "LNM" and not _is_cjk(code)
    ]
    bmp = f"[{_ranges(c for c in word if c < 0x10000)}]"
    astral = f"[{_ranges(c for c in word if c >= 0x10000)}]"
    cjk_bmp = "".join(_span(low, high) for low, high in _CJK_RANGES if high < 0x10000)
    cjk_astral = "".join(_span(low, high) for low, high in _CJK_RANGES if high >= 0x10000)
    apostrophe = "['\u2019]"
    run = f"(?:{bmp}+|{astral}+)+"
    fast = re.compile(f"[{cjk_bmp}]|{bmp}+(?:{apostrophe}{bmp}+)*")
    full = re.compile(f"[{cjk_bmp}]|[{cjk_astral}]|{run}(?:{apostrophe}{run})*")
    return fast, full


def _findall(normalized: str) -> list[str]:
    fast, full = _patterns()
    if not normalized or max(normalized) < "\U00010000":
        return fast.findall(normalized)
    return full.findall(normalized)


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` (see the module docstring).

    >>> tokenize("The CAFÉ's  self-consuming loop: 2 × 3 = ６!")
    ['the', "café's", 'self', 'consuming', 'loop', '2', '3', '6']
    >>> tokenize("模型崩溃 collapse")
    ['模', '型', '崩', '溃', 'collapse']
    """
    return _findall(normalize_text(text))


class Vocabulary(Mapping[str, int]):
    """Token -> id of a reference's types (ids 0..len-1 in order of first appearance)."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._ids: dict[str, int] = {}
        for token in tokens:
            self._ids.setdefault(token, len(self._ids))
        self._types: list[str] | None = None
        self._index: pd.Index | None = None

    @property
    def index(self) -> pd.Index:
        """The types as a pandas index (position = id), for lookups in C."""
        if self._index is None:
            self._index = pd.Index(list(self._ids), dtype=object)
        return self._index

    def __getitem__(self, token: str) -> int:
        return self._ids[token]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def token(self, index: int) -> str:
        """The token of id ``index``."""
        if self._types is None:
            self._types = list(self._ids)
        return self._types[index]


@dataclass(frozen=True)
class EncodedTexts:
    """Texts as token ids, concatenated: text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.

    Ids below ``known`` are the reference vocabulary's; ids from ``known`` on are types the
    reference never saw, numbered within this encoding (``new_types`` holds their tokens).
    """

    ids: np.ndarray  # int64
    offsets: np.ndarray  # int64, (texts + 1,)
    known: int
    new_types: tuple[str, ...] = ()

    @property
    def texts(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per text."""
        return np.diff(self.offsets)

    @property
    def tokens(self) -> int:
        return int(self.ids.shape[0])

    def subset(self, rows: np.ndarray) -> EncodedTexts:
        """The texts ``rows`` (in that order; repeats allowed) as one encoding."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, lengths = self.offsets[rows], self.lengths[rows]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        total = int(offsets[-1])
        # position j of the output reads ids[starts[text] + j - offsets[text]]
        text_of = np.repeat(np.arange(rows.shape[0]), lengths)
        index = starts[text_of] + np.arange(total) - offsets[:-1][text_of]
        return EncodedTexts(self.ids[index], offsets, self.known, self.new_types)


def encode(texts: Iterable[str], vocabulary: Vocabulary | None = None) -> EncodedTexts:
    """Tokenise ``texts`` and encode the tokens with ``vocabulary`` (ids of unseen types follow).

    Without a vocabulary every type is new (``known`` = 0), numbered in order of appearance.
    Texts are encoded ``ENCODE_CHUNK`` at a time (a hash lookup of the chunk's tokens in C), so
    memory holds one chunk's token strings, the ids (8 bytes a token) and the new types.
    """
    index = vocabulary.index if vocabulary is not None else pd.Index([], dtype=object)
    base = len(index)
    new: dict[str, int] = {}
    parts: list[np.ndarray] = []
    lengths: list[int] = []
    iterator = iter(texts)
    while True:
        chunk = list(itertools.islice(iterator, ENCODE_CHUNK))
        if not chunk:
            break
        tokens: list[str] = []
        for text in chunk:
            found = _findall(normalize_text(text))
            lengths.append(len(found))
            tokens += found
        array = np.empty(len(tokens), dtype=object)
        array[:] = tokens
        ids = index.get_indexer(array).astype(np.int64)
        unknown = np.flatnonzero(ids < 0)
        if unknown.shape[0]:
            ids[unknown] = [
                new.setdefault(token, base + len(new)) for token in array[unknown].tolist()
            ]
        parts.append(ids)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return EncodedTexts(ids, offsets, base, tuple(new))


def fit_vocabulary(texts: Sequence[str]) -> tuple[Vocabulary, EncodedTexts]:
    """The reference's vocabulary and its encoding under it (every id known)."""
    raw = encode(texts)
    vocabulary = Vocabulary(raw.new_types)
    return vocabulary, EncodedTexts(raw.ids, raw.offsets, len(vocabulary), ())
