"""The fold table: the characters the fast fingerprint path normalises itself, and to what.

Exactness. A character is in the table when it is a starter, never the second half of a
canonical pair (nor is the first character of its NFKD), and both its NFKC and the full case
folding of that are made of *inert* characters: ASCII, or assigned starters that NFKC leaves
unchanged whatever surrounds them. On a text made of ASCII and table characters, NFKC acts
character by character (nothing composes across characters, nothing reorders), case folding is
character by character (``str.casefold`` is context-free), and the second NFKC is the identity,
so :func:`collectors.provenance.definition.normalize_text` is the concatenation of the characters'
entries
with whitespace runs folded to one space and trimmed. Any other text takes the Python
reference. Unicode data is the interpreter's, as for the reference.
"""

from __future__ import annotations

import functools
import unicodedata

import numpy as np

__all__ = ["ASCII_LOWER", "ASCII_SPACE", "fold_tables"]

# The BMP and the emoji blocks; rarer characters take the (exact) Python path.
_LIMIT = 0x1FB00
_SCANNED = (*range(0x80, 0x10000), *range(0x1F000, _LIMIT))
ASCII_SPACE = np.zeros(128, np.uint64)
ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = 1  # str.isspace below 0x80
ASCII_LOWER = np.array(
    [32 if s else ord(chr(c).lower()) for c, s in enumerate(ASCII_SPACE)], np.uint8
)  # lowered; whitespace as a space


@functools.cache
def _second_halves() -> frozenset[int]:
    """Characters NFC may compose with a preceding one (second halves of canonical pairs)."""
    found = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo
    for code in range(0x80, 0x110000):
        parts = unicodedata.decomposition(chr(code))
        if parts and parts[0] != "<":
            pair = parts.split()
            if len(pair) == 2:
                found.add(int(pair[1], 16))
    return frozenset(found)


def _inert(char: str) -> bool:
    """ASCII, or an assigned starter NFKC leaves unchanged whatever surrounds it."""
    if char < "\x80":
        return True
    halves = _second_halves()
    return not (
        ord(char) in halves
        or unicodedata.category(char) in ("Cn", "Cs", "Co")
        or unicodedata.combining(char)
        or not unicodedata.is_normalized("NFKC", char)
        or ord(unicodedata.normalize("NFKD", char)[0]) in halves
    )


@functools.cache
def fold_tables() -> tuple[np.ndarray, np.ndarray]:
    """``index`` (uint32 per code point below 0x1FB00: pool start << 5 | length; 0: the Python
    reference is needed) and ``pool`` (int32 code points, whitespace as 32).

    A character's entry is the case folding of its NFKC (module docstring), kept when it takes
    at most 3 UTF-8 bytes per byte of the character.
    """
    halves = _second_halves()
    index = np.zeros(_LIMIT, np.uint32)
    pool: list[int] = []
    for code in _SCANNED:
        char = chr(code)
        if (
            code in halves
            or unicodedata.combining(char)
            or unicodedata.category(char) in ("Cn", "Cs", "Co")
            or ord(unicodedata.normalize("NFKD", char)[0]) in halves
        ):
            continue
        compatible = unicodedata.normalize("NFKC", char)
        folded = compatible.casefold()
        if not all(map(_inert, compatible)) or not all(map(_inert, folded)):
            continue
        if len(folded.encode()) > 3 * len(char.encode()) or len(folded) > 31:
            continue
        index[code] = len(pool) << 5 | len(folded)
        pool.extend(32 if c.isspace() else ord(c) for c in folded)
    return index, np.array(pool, np.int32)
