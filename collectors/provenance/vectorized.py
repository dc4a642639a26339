"""The fast SQL fingerprint: Arrow UDFs that normalise and hash record cells in Numba.

:func:`collectors.provenance.sql.fingerprint_select` computes ``fingerprint`` in DuckDB as
``tailwatch_fingerprint('<kinds>', [cell, ...])`` (``provenance.FINGERPRINT_UDF``), where each
cell is a text column (kind ``t``) or the SQL token of a number, boolean or vector (kind ``r``,
taken as is); a record of one text column is ``tailwatch_fingerprint_text(text)``
(``provenance.FINGERPRINT_TEXT_UDF``: no list to build). Per DuckDB vector (2,048 rows) these
UDFs run Numba kernels that release the GIL, so DuckDB's threads hash in parallel; for each
:data:`GROUP` of records (their bytes stay in the L2 cache between the two steps):

- :func:`collectors.provenance.normalize.normalize_records` writes each record (cells joined by
  U+001F, texts normalised through :mod:`collectors.provenance.fold`) MD5-padded into one buffer;
- :func:`collectors.provenance.md5.md5_lanes` hashes the records 64 at a time.

A text with a character outside the fold table goes through the Python reference
(:func:`collectors.provenance.definition.normalize_text`). Tests compare every path with the
reference.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.provenance.definition import FIELD_SEPARATOR, fingerprint_record, normalize_text
from collectors.provenance.fold import ASCII_LOWER, ASCII_SPACE, fold_tables
from collectors.provenance.md5 import md5_lanes
from collectors.provenance.normalize import BAIL, MISSING, normalize_records

__all__ = ["GROUP", "fingerprint_arrow", "fingerprint_text_arrow"]


def _string_buffers(cells: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets (uint64), bytes and validity of a string array."""
    if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
        cells = cells.cast(pa.large_string())
    width = np.int64 if pa.types.is_large_string(cells.type) else np.int32
    _, offsets_buffer, data_buffer = cells.buffers()
    offsets = np.frombuffer(offsets_buffer, width)[cells.offset : cells.offset + len(cells) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer else np.zeros(1, np.uint8)
    valid = pc.is_valid(cells).to_numpy(zero_copy_only=False)
    return offsets.astype(np.uint64), data, valid


GROUP = 256  # records normalised, then hashed, while their bytes are in the L2 cache


@nb.njit(cache=True, nogil=True)
def _fingerprint_records(
    offsets: np.ndarray,
    data: np.ndarray,
    valid: np.ndarray,
    texts: np.ndarray,
    index: np.ndarray,
    pool: np.ndarray,
    lengths: np.ndarray,
    out: np.ndarray,
) -> None:
    """Fingerprints of the records :data:`GROUP` at a time (``lengths`` as in the kernel)."""
    rows = lengths.size
    width = texts.size
    most = np.int64(0)
    for first in range(0, rows, GROUP):
        last = min(rows, first + GROUP)
        most = max(most, np.int64(offsets[last * width] - offsets[first * width]))
    capacity = 3 * most + (width + 136) * GROUP  # a fold triples a text's bytes at most
    padded = np.empty(capacity + 64 - capacity % 64, np.uint8)
    starts = np.empty(GROUP, np.int64)
    for first in range(0, rows, GROUP):
        last = min(rows, first + GROUP)
        normalize_records(
            offsets[first * width : last * width + 1],
            data,
            valid[first * width : last * width],
            texts,
            index,
            pool,
            ASCII_LOWER,
            ASCII_SPACE,
            padded,
            starts[: last - first],
            lengths[first:last],
        )
        md5_lanes(padded, starts[: last - first], lengths[first:last], out[first:last])


def _fingerprints(cells: pa.Array, texts: np.ndarray) -> pa.Array:
    """The fingerprints of records of ``texts.size`` cells each, laid out row after row."""
    rows = len(cells) // texts.size
    offsets, data, valid = _string_buffers(cells)
    lengths = np.empty(rows, np.int64)
    out = np.zeros(rows, np.uint64)
    _fingerprint_records(offsets, data, valid, texts, *fold_tables(), lengths, out)
    for r in np.flatnonzero(lengths == BAIL).tolist():
        values = cells[r * texts.size : (r + 1) * texts.size].to_pylist()
        tokens = [normalize_text(v) if t else v for v, t in zip(values, texts, strict=True)]
        out[r] = fingerprint_record(FIELD_SEPARATOR.join(tokens))
    return pa.array(out, type=pa.uint64(), mask=lengths == MISSING)


def fingerprint_arrow(
    kinds: pa.Array | pa.ChunkedArray, records: pa.Array | pa.ChunkedArray
) -> pa.Array:
    """The Arrow UDF ``provenance.FINGERPRINT_UDF``: UBIGINT fingerprints of ``records``.

    ``kinds`` is a constant, one letter per cell (``t`` text, ``r`` raw token); ``records`` a
    list of VARCHAR cells per row. A record with a NULL cell has a NULL fingerprint.
    """
    if isinstance(records, pa.ChunkedArray):
        records = records.combine_chunks()
    if len(records) == 0:
        return pa.array([], pa.uint64())
    texts = np.array([k == "t" for k in str(kinds[0].as_py())], np.bool_)
    cells = records.flatten()
    if len(cells) != len(records) * texts.size:
        raise ValueError(f"fingerprint UDF: records must hold {texts.size} cells each")
    return _fingerprints(cells, texts)


def fingerprint_text_arrow(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The Arrow UDF ``provenance.FINGERPRINT_TEXT_UDF``: records of one text (no list)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if len(texts) == 0:
        return pa.array([], pa.uint64())
    return _fingerprints(texts, np.ones(1, np.bool_))
