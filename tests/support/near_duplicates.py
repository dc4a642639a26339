"""Builders shared by the tests (moved from tests/collectors/corpus/test_near_duplicates.py); no
test module imports another."""

from __future__ import annotations

import numpy as np


def round_significant(rows: np.ndarray, digits: int) -> np.ndarray:
    """Every value rounded to ``digits`` significant digits: an edited copy of a numeric row."""
    magnitude = np.floor(np.log10(np.where(rows == 0, 1.0, np.abs(rows))))
    factor = 10.0 ** (digits - 1 - magnitude)
    return np.round(rows * factor) / factor


WORDS = [
    f"{a}{b}"
    for a in ("ka", "lo", "mi", "ne", "po", "ru", "si", "ta", "vu")
    for b in ("bar", "cen", "dol", "fin", "gas", "hum", "jor", "kel", "lun", "mor", "nip", "pax")
]

TEMPLATES = [" ".join(np.random.default_rng(100 + t).choice(WORDS, size=40)) for t in range(5)]


def make_text(rng: np.random.Generator, *, template: bool = False) -> str:
    """About 70 words; a template text is a shared 40-word boilerplate plus 15 own words."""
    if template:
        base = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
        return base + " " + " ".join(rng.choice(WORDS, size=15))
    return " ".join(rng.choice(WORDS, size=int(rng.integers(60, 90))))


def edit(text: str, rng: np.random.Generator) -> str:
    """Case, whitespace and punctuation changes plus one to three word substitutions."""
    words = text.split()
    for _ in range(int(rng.integers(1, 4))):
        words[int(rng.integers(len(words)))] = str(rng.choice(WORDS)) + "x"
    for i in rng.choice(len(words), size=3, replace=False):
        words[int(i)] = words[int(i)] + ","
    out = "  ".join(words[:10]) + "\n" + " ".join(words[10:]) + "."
    return out.upper() if rng.random() < 0.5 else out.title()
