"""Numba kernel: write records (cells joined by U+001F, texts normalised) MD5-padded.

A text cell is normalised on the way (:mod:`collectors.provenance.fold` proves it exact): eight
plain ASCII bytes at a time where it can (SWAR), other ASCII branch-free, other characters
through the fold table; a text with a character outside the table is left to the Python
reference. No kernel holds the GIL.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["BAIL", "MISSING", "normalize_records"]

MISSING = -1  # a record's length when a cell is NULL
BAIL = -2  # a record's length when a text needs the Python reference

# Indices are unsigned throughout: Numba adds a negative-index fix-up to every signed index,
# which keeps LLVM from vectorising the byte loops (20x slower copies).
_ONE = np.uint64(1)
_UNSAFE = np.uint64(2**64 - 1)  # a text that needs the Python reference


@nb.njit(cache=True, nogil=True, inline="always")
def _put_utf8(out: np.ndarray, o: np.uint64, code: int) -> np.uint64:
    """Write a non-ASCII code point as UTF-8 at ``out[o]``; the new end."""
    if code < 0x800:
        out[o] = 0xC0 | (code >> 6)
        out[o + _ONE] = 0x80 | (code & 0x3F)
        return o + np.uint64(2)
    if code < 0x10000:
        out[o] = 0xE0 | (code >> 12)
        out[o + _ONE] = 0x80 | ((code >> 6) & 0x3F)
        out[o + np.uint64(2)] = 0x80 | (code & 0x3F)
        return o + np.uint64(3)
    out[o] = 0xF0 | (code >> 18)
    out[o + _ONE] = 0x80 | ((code >> 12) & 0x3F)
    out[o + np.uint64(2)] = 0x80 | ((code >> 6) & 0x3F)
    out[o + np.uint64(3)] = 0x80 | (code & 0x3F)
    return o + np.uint64(4)


_HIGH = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_SPACES = np.uint64(0x2020202020202020)


@nb.njit(cache=True, nogil=True, inline="always")
def _ascii_word(data: np.ndarray, i: np.uint64, after_space: np.uint64) -> tuple:
    """8 bytes at ``data[i]``, lowered, when they are ASCII with no whitespace but single spaces.

    SWAR tests, exact for 7-bit bytes: ``b + 0x60`` has bit 7 iff ``b >= 0x20``, ``b + 0x3F``
    iff ``b >= 'A'``, ``b + 0x25`` iff ``b > 'Z'``; a byte is a space iff it is zero after
    XOR with 0x20. Returns (ok, word).
    """
    w = np.uint64(0)
    for k in range(np.uint64(8)):
        w |= np.uint64(data[i + k]) << (np.uint64(8) * k)
    if w & _HIGH:
        return False, w
    if ~(w + np.uint64(0x6060606060606060)) & _HIGH:
        return False, w  # a control character (tab, newline, ...)
    x = w ^ _SPACES
    spaces = ~(((x & _LOW7) + _LOW7) | x) & _HIGH
    if spaces & (spaces << np.uint64(8)) or (after_space and spaces & np.uint64(0x80)):
        return False, w  # a run of spaces, or a space after one
    upper = (w + np.uint64(0x3F3F3F3F3F3F3F3F)) & ~(w + np.uint64(0x2525252525252525)) & _HIGH
    return True, w | (upper >> np.uint64(2))


@nb.njit(cache=True, nogil=True)
def _normalize_text(
    data: np.ndarray,
    start: np.uint64,
    end: np.uint64,
    out: np.ndarray,
    o: np.uint64,
    index: np.ndarray,
    pool: np.ndarray,
    lower: np.ndarray,
    space: np.ndarray,
) -> np.uint64:
    """Write the normalised text ``data[start:end]`` at ``out[o]``: the end, or :data:`_UNSAFE`.

    Eight plain ASCII bytes go at once (:func:`_ascii_word`); other ASCII takes no branch:
    every byte is written (lowered; whitespace as a space) and the output advances unless the
    byte is whitespace after whitespace or at the start; other characters go through the table.
    """
    after_space = _ONE  # at the start or after a space: further whitespace is dropped
    begin = o
    i = start
    eight = np.uint64(8)
    while i < end:
        stop = end
        if i + eight <= end:
            ok, word = _ascii_word(data, i, after_space)
            if ok:
                for k in range(eight):
                    out[o + k] = (word >> (eight * k)) & np.uint64(0xFF)
                after_space = np.uint64(word >> np.uint64(56) == np.uint64(32))
                i += eight
                o += eight
                continue
            stop = i + eight
        while i < stop:
            byte = data[i]
            if byte < 0x80:
                spacing = space[byte]
                out[o] = lower[byte]
                o += _ONE - (spacing & after_space)
                after_space = spacing
                i += _ONE
                continue
            if byte >= 0xF0:
                code = ((byte & 0x07) << 18) | ((data[i + _ONE] & 0x3F) << 12)
                code |= ((data[i + np.uint64(2)] & 0x3F) << 6) | (data[i + np.uint64(3)] & 0x3F)
                i += np.uint64(4)
            elif byte >= 0xE0:
                code = ((byte & 0x0F) << 12) | ((data[i + _ONE] & 0x3F) << 6)
                code |= data[i + np.uint64(2)] & 0x3F
                i += np.uint64(3)
            else:
                code = ((byte & 0x1F) << 6) | (data[i + _ONE] & 0x3F)
                i += np.uint64(2)
            entry = index[code] if code < index.size else np.uint32(0)
            if entry == 0:
                return _UNSAFE
            first = np.uint64(entry >> 5)
            for k in range(first, first + np.uint64(entry & 31)):
                char = pool[k]
                if char == 32:
                    if not after_space:
                        out[o] = 32
                        o += _ONE
                        after_space = _ONE
                elif char < 0x80:
                    out[o] = char
                    o += _ONE
                    after_space = np.uint64(0)
                else:
                    o = _put_utf8(out, o, char)
                    after_space = np.uint64(0)
    if after_space and o > begin:
        return o - _ONE  # a trailing space
    return o


@nb.njit(cache=True, nogil=True)
def normalize_records(
    offsets: np.ndarray,
    data: np.ndarray,
    valid: np.ndarray,
    texts: np.ndarray,
    index: np.ndarray,
    pool: np.ndarray,
    lower: np.ndarray,
    space: np.ndarray,
    out: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
) -> None:
    """Each record, cells joined by U+001F and MD5-padded, at a 64-byte aligned ``starts[r]``.

    ``offsets`` (uint64) delimit the cells, row after row. ``lengths[r]``: the record's byte
    length; :data:`MISSING` where a cell is NULL, :data:`BAIL` where a text needs the Python
    reference.
    """
    width = np.uint64(texts.size)
    o = np.uint64(0)
    for r in range(np.uint64(starts.size)):
        starts[r] = o
        begin = o
        first = r * width
        missing = False
        for c in range(width):
            missing |= not valid[first + c]
        if missing:
            lengths[r] = MISSING
            continue
        for c in range(width):
            cell = first + c
            if c:
                out[o] = 31
                o += _ONE
            low, high = offsets[cell], offsets[cell + _ONE]
            if texts[c]:
                o = _normalize_text(data, low, high, out, o, index, pool, lower, space)
                if o == _UNSAFE:
                    break
            else:
                for i in range(low, high):
                    out[o] = data[i]
                    o += _ONE
        if o == _UNSAFE:
            lengths[r] = BAIL
            o = begin
            continue
        size = o - begin
        lengths[r] = size
        total = ((size + np.uint64(8)) // np.uint64(64) + _ONE) * np.uint64(64)
        out[o] = 0x80
        for i in range(o + _ONE, begin + total - np.uint64(8)):
            out[i] = 0
        bits = size * np.uint64(8)
        for i in range(np.uint64(8)):
            out[begin + total - np.uint64(8) + i] = (bits >> (np.uint64(8) * i)) & np.uint64(0xFF)
        o = begin + total
