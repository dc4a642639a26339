"""Numba kernel: the records of plain numbers written off the GIL, then hashed (fingerprints).

:func:`collectors.provenance.definition.fingerprint_frame` on a frame whose content columns are
all plain numpy numbers (float, integer, boolean dtypes) spent most of its time formatting
floats (``"%.6e"`` in Python, the GIL held). :func:`number_fingerprints` writes each record's
tokens (:func:`collectors.provenance.definition.number_token`: integers and integral floats below
2**53 in decimal, other floats as ``%.6e``, booleans ``true``/``false``) joined by U+001F,
:data:`CHUNK` records at a time without the GIL, and hashes each record with ``hashlib.md5``
(about 1 microsecond a record; Numba's multi-buffer MD5, :mod:`collectors.provenance.md5`, would
add its 20-30 s first compilation to a daemon's first scan).

``%.6e`` exactly, without big integers: a finite non-integral float ``a`` (sign aside) is written
as ``n`` (7 digits, 10**6 <= n < 10**7) and ``e`` with n = round-half-even(a * 10**(6 - e)) and
e = floor(log10 a), or (10**6, e + 1) when the rounding carries to 10**7. For |6 - e| <= 22 the
power 10**|6 - e| is exact in float64, so ``y = a * 10**(6 - e)`` (or ``a / 10**(e - 6)``) is
the exact value rounded once: relative error <= 2**-53, absolute below 1.2e-9 for y < 10**7.
A decision within :data:`_MARGIN` (1e-6, about 1,000 times that error) of a rounding boundary
(``y`` near k + 0.5) is not taken: the record goes to the Python definition (``bail``), as does
any float with |6 - e| > 22 (magnitudes below about 1e-16 or above 1e28, subnormals). Near
y = 10**6 and y = 10**7 (a power of ten, where e is ambiguous) both exponents give the same
token, so those need no bail (module tests: every path against the definition).
"""

from __future__ import annotations

import hashlib
import math

import numba as nb
import numpy as np

__all__ = ["CHUNK", "number_fingerprints"]

FLOAT, INTEGER, BOOLEAN = 0, 1, 2  # a content column's kind code
_MARGIN = 1e-6  # |y - boundary| below which the Python definition decides (see the docstring)
_POWERS = np.array([10.0**k for k in range(23)])  # exact in float64
_EXACT_INTEGER = 2.0**53
_CELL = 24  # the longest token ("-9223372036854775808", "-1.234567e-100") and its separator
_ONE = np.uint64(1)
_TRUE = np.frombuffer(b"true", np.uint8).copy()
_FALSE = np.frombuffer(b"false", np.uint8).copy()


@nb.njit(cache=True, nogil=True, inline="always")
def _put_unsigned(out: np.ndarray, o: np.uint64, value: np.uint64) -> np.uint64:
    """Decimal digits of ``value`` at ``out[o]``; the new end."""
    count = _ONE
    rest = value // np.uint64(10)
    while rest:
        count += _ONE
        rest //= np.uint64(10)
    end = o + count
    for i in range(count):
        out[end - _ONE - i] = np.uint64(48) + value % np.uint64(10)
        value //= np.uint64(10)
    return end


@nb.njit(cache=True, nogil=True, inline="always")
def _put_integer(out: np.ndarray, o: np.uint64, value: np.int64) -> np.uint64:
    """``str(value)`` at ``out[o]``; the new end."""
    if value < 0:
        out[o] = 45  # "-"
        o += _ONE
        magnitude = np.uint64(-(value + np.int64(1))) + _ONE  # no overflow at int64's minimum
        return _put_unsigned(out, o, magnitude)
    return _put_unsigned(out, o, np.uint64(value))


@nb.njit(cache=True, nogil=True, inline="always")
def _scaled(a: float, e: int) -> float:
    """a * 10**(6 - e), one rounding (the caller keeps |6 - e| <= 22)."""
    k = 6 - e
    if k >= 0:
        return a * _POWERS[k]
    return a / _POWERS[-k]


@nb.njit(cache=True, nogil=True)
def _digits(a: float) -> tuple[bool, int, int]:
    """(ok, n, e) of ``%.6e`` for a finite a > 0 (module docstring); ok False: bail."""
    e = math.floor(math.log10(a))
    for _ in range(3):
        if e - 6 > 22 or 6 - e > 22:
            return False, 0, e
        y = _scaled(a, e)
        if y < 1e6 - _MARGIN:
            e -= 1
            continue
        if y >= 1e7 + _MARGIN:
            e += 1
            continue
        if abs(y - 1e6) < _MARGIN:
            return True, 1_000_000, e
        if abs(y - 1e7) < _MARGIN:
            return True, 1_000_000, e + 1
        whole = math.floor(y)
        fraction = y - whole  # exact: y < 2**24
        if abs(fraction - 0.5) < _MARGIN:
            return False, 0, e
        n = int(whole) + (fraction > 0.5)
        if n == 10_000_000:
            return True, 1_000_000, e + 1
        return True, n, e
    return False, 0, e


@nb.njit(cache=True, nogil=True, inline="always")
def _put_float(out: np.ndarray, o: np.uint64, x: float) -> np.uint64:
    """The token of a float at ``out[o]``; the new end, or ``2**64 - 1`` to bail."""
    if math.isinf(x):
        if x < 0:
            out[o] = 45
            o += _ONE
        out[o] = 105  # "inf"
        out[o + _ONE] = 110
        out[o + np.uint64(2)] = 102
        return o + np.uint64(3)
    if math.floor(x) == x and abs(x) < _EXACT_INTEGER:
        return _put_integer(out, o, np.int64(x))  # -0.0 -> "0"
    ok, n, e = _digits(abs(x))
    if not ok:
        return np.uint64(2**64 - 1)
    if x < 0:
        out[o] = 45
        o += _ONE
    first = n // 1_000_000
    out[o] = 48 + first
    out[o + _ONE] = 46  # "."
    o += np.uint64(2)
    rest = n - first * 1_000_000
    for i in range(6):
        out[o + np.uint64(5 - i)] = 48 + rest % 10
        rest //= 10
    o += np.uint64(6)
    out[o] = 101  # "e"
    out[o + _ONE] = 45 if e < 0 else 43
    o += np.uint64(2)
    magnitude = -e if e < 0 else e
    if magnitude < 10:
        out[o] = 48
        o += _ONE
    return _put_unsigned(out, o, np.uint64(magnitude))


@nb.njit(cache=True, nogil=True)
def _write_records(
    floats: np.ndarray,
    integers: np.ndarray,
    kinds: np.ndarray,
    where: np.ndarray,
    first: int,
    last: int,
    out: np.ndarray,
    ends: np.ndarray,
    bail: np.ndarray,
) -> None:
    """Rows ``first:last`` written back to back into ``out``, ``ends[i]`` where row
    ``first + i`` ends; a row left to the Python definition is written empty, ``bail`` True."""
    o = np.uint64(0)
    failed = np.uint64(2**64 - 1)
    for r in range(first, last):
        begin = o
        for c in range(kinds.size):
            if c:
                out[o] = 31
                o += _ONE
            kind = kinds[c]
            if kind == FLOAT:
                o = _put_float(out, o, floats[r, where[c]])
                if o == failed:
                    break
            elif kind == INTEGER:
                o = _put_integer(out, o, integers[r, where[c]])
            else:
                word = _TRUE if integers[r, where[c]] else _FALSE
                for j in range(word.size):
                    out[o] = word[j]
                    o += _ONE
        if o == failed:
            bail[r] = True
            o = begin
        ends[r - first] = o


CHUNK = 4096  # records written per kernel call (the buffer stays small; hashed between calls)


def number_fingerprints(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints (``uint64``) of the records made of ``columns`` (1-D numpy arrays of one
    length, float, signed integer (or unsigned below 2**63) and boolean dtypes, floats without
    NaN), and the rows left to the Python definition (``bail``: a True per row; their
    fingerprint here is meaningless). Each record's bytes are hashed by ``hashlib.md5``."""
    rows = columns[0].shape[0]
    floats = [c for c in columns if c.dtype.kind == "f"]
    others = [c for c in columns if c.dtype.kind != "f"]
    kinds = np.empty(len(columns), np.int64)
    where = np.empty(len(columns), np.int64)
    f = i = 0
    for c, column in enumerate(columns):
        if column.dtype.kind == "f":
            kinds[c], where[c] = FLOAT, f
            f += 1
        else:
            kinds[c], where[c] = (BOOLEAN if column.dtype.kind == "b" else INTEGER), i
            i += 1
    float_matrix = np.empty((rows, len(floats)), np.float64)
    for j, column in enumerate(floats):
        float_matrix[:, j] = column
    integer_matrix = np.empty((rows, len(others)), np.int64)
    for j, column in enumerate(others):
        integer_matrix[:, j] = column
    out = np.zeros(rows, np.uint64)
    bail = np.zeros(rows, np.bool_)
    buffer = np.empty(min(rows, CHUNK) * _CELL * len(columns) + 1, np.uint8)
    ends = np.empty(CHUNK, np.int64)
    view = memoryview(buffer)  # type: ignore[arg-type]
    md5 = hashlib.md5
    for first in range(0, rows, CHUNK):
        last = min(rows, first + CHUNK)
        _write_records(float_matrix, integer_matrix, kinds, where, first, last, buffer, ends, bail)
        digests = []
        start = 0
        for end in ends[: last - first].tolist():
            digests.append(md5(view[start:end]).digest()[:8])
            start = end
        out[first:last] = np.frombuffer(b"".join(digests), dtype=">u8")
    return out, bail
