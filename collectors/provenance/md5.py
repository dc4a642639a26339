"""Numba kernel: multi-buffer MD5 (RFC 1321), :data:`LANES` records hashed in lockstep.

One record's MD5 is a chain of dependent 32-bit operations (about 5 cycles a byte); the same
round run on 32 records side by side is data-parallel, and LLVM vectorises it. Records are
sorted by block count so a batch's lanes mostly finish together. Each result is the first 64
bits of the digest read big-endian, the fingerprint of :mod:`collectors.provenance.definition`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["LANES", "md5_lanes"]

LANES = 64  # records hashed together: 64 x uint32 lanes, four AVX-512 registers

_SHIFT = np.array([7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4
                  + [6, 10, 15, 21] * 4, np.uint32)  # fmt: skip
# fmt: off
_SINE = np.array([  # RFC 1321, 3.4: floor(2**32 * abs(sin(i + 1)))
    0xD76AA478, 0xE8C7B756, 0x242070DB, 0xC1BDCEEE, 0xF57C0FAF, 0x4787C62A, 0xA8304613, 0xFD469501,
    0x698098D8, 0x8B44F7AF, 0xFFFF5BB1, 0x895CD7BE, 0x6B901122, 0xFD987193, 0xA679438E, 0x49B40821,
    0xF61E2562, 0xC040B340, 0x265E5A51, 0xE9B6C7AA, 0xD62F105D, 0x02441453, 0xD8A1E681, 0xE7D3FBC8,
    0x21E1CDE6, 0xC33707D6, 0xF4D50D87, 0x455A14ED, 0xA9E3E905, 0xFCEFA3F8, 0x676F02D9, 0x8D2A4C8A,
    0xFFFA3942, 0x8771F681, 0x6D9D6122, 0xFDE5380C, 0xA4BEEA44, 0x4BDECFA9, 0xF6BB4B60, 0xBEBFBC70,
    0x289B7EC6, 0xEAA127FA, 0xD4EF3085, 0x04881D05, 0xD9D4D039, 0xE6DB99E5, 0x1FA27CF8, 0xC4AC5665,
    0xF4292244, 0x432AFF97, 0xAB9423A7, 0xFC93A039, 0x655B59C3, 0x8F0CCC92, 0xFFEFF47D, 0x85845DD1,
    0x6FA87E4F, 0xFE2CE6E0, 0xA3014314, 0x4E0811A1, 0xF7537E82, 0xBD3AF235, 0x2AD7D2BB, 0xEB86D391,
], np.uint32)
# fmt: on
_WORD = np.array(
    [i for i in range(16)]
    + [(5 * i + 1) % 16 for i in range(16, 32)]
    + [(3 * i + 5) % 16 for i in range(32, 48)]
    + [(7 * i) % 16 for i in range(48, 64)],
    np.int64,
)


@nb.njit(cache=True, nogil=True, inline="always")
def _round(
    w: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, first: int, kind: int
) -> None:
    """Rounds ``first`` to ``first + 15`` of MD5 on every lane (``kind``: F, G, H or I)."""
    for i in range(first, first + 16):
        k = _SINE[i]
        s = _SHIFT[i]
        rest = np.uint32(32) - s
        g = _WORD[i]
        for lane in range(LANES):
            x, y, z = b[lane], c[lane], d[lane]
            if kind == 0:
                f = (x & y) | (~x & z)
            elif kind == 1:
                f = (x & z) | (y & ~z)
            elif kind == 2:
                f = x ^ y ^ z
            else:
                f = y ^ (x | ~z)
            t = np.uint32(a[lane] + np.uint32(f) + k + w[g, lane])
            a[lane] = z
            d[lane] = y
            c[lane] = x
            b[lane] = np.uint32(x + np.uint32((t << s) | (t >> rest)))


@nb.njit(cache=True, nogil=True, inline="always")
def _swap(word: np.uint32) -> np.uint64:
    x = np.uint64(word)
    return (
        ((x & np.uint64(0xFF)) << np.uint64(24))
        | ((x & np.uint64(0xFF00)) << np.uint64(8))
        | ((x >> np.uint64(8)) & np.uint64(0xFF00))
        | (x >> np.uint64(24))
    )


@nb.njit(cache=True, nogil=True)
def md5_lanes(padded: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out: np.ndarray) -> None:
    """``out[r]``: the first 64 bits of the MD5 of record r, for each ``lengths[r] >= 0``."""
    words = padded.view(np.uint32)
    blocks = np.where(lengths >= 0, (lengths + 8) // 64 + 1, 0).astype(np.uint64)
    order = np.argsort(blocks, kind="mergesort").astype(np.uint64)
    first = np.searchsorted(blocks[order], 1)
    w = np.zeros((16, LANES), np.uint32)
    state = np.empty((4, LANES), np.uint32)
    a = np.empty(LANES, np.uint32)
    b = np.empty(LANES, np.uint32)
    c = np.empty(LANES, np.uint32)
    d = np.empty(LANES, np.uint32)
    base = np.zeros(LANES, np.uint64)  # each lane's next block, in words
    count = np.zeros(LANES, np.uint64)  # each lane's blocks
    sixteen = np.uint64(16)
    for batch in range(first, order.size, LANES):
        rows = order[batch : batch + LANES]
        for lane in range(rows.size):
            base[lane] = np.uint64(starts[rows[lane]]) // np.uint64(4)
            count[lane] = blocks[rows[lane]]
        state[0, :] = 0x67452301
        state[1, :] = 0xEFCDAB89
        state[2, :] = 0x98BADCFE
        state[3, :] = 0x10325476
        for j in range(count[rows.size - 1]):
            for lane in range(rows.size):
                if j < count[lane]:
                    for q in range(sixteen):
                        w[q, lane] = words[base[lane] + q]
                    base[lane] += sixteen
            a[:] = state[0]
            b[:] = state[1]
            c[:] = state[2]
            d[:] = state[3]
            _round(w, a, b, c, d, 0, 0)
            _round(w, a, b, c, d, 16, 1)
            _round(w, a, b, c, d, 32, 2)
            _round(w, a, b, c, d, 48, 3)
            for lane in range(LANES):
                state[0, lane] = np.uint32(state[0, lane] + a[lane])
                state[1, lane] = np.uint32(state[1, lane] + b[lane])
                state[2, lane] = np.uint32(state[2, lane] + c[lane])
                state[3, lane] = np.uint32(state[3, lane] + d[lane])
            for lane in range(rows.size):
                if j + 1 == count[lane]:
                    high = _swap(state[0, lane]) << np.uint64(32)
                    out[rows[lane]] = high | _swap(state[1, lane])
