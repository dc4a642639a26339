"""Record fingerprints: one definition of a record's normalised content and its 64-bit hash.

A record is identified by its *content columns* (a text, a vector, or table columns). Its
fingerprint is computed in two places that must agree bit for bit: DuckDB SQL straight over
Parquet/CSV files (corpus scans, synthetic dumps: :func:`fingerprint_sql`,
:func:`fingerprint_query`) and Python over a pandas DataFrame or numpy array of sampled generator
rows (registry registration: :func:`fingerprint_frame`, :func:`fingerprint_vectors`,
:func:`fingerprint_texts`). Tests prove the two paths equal, tricky Unicode included.

Definition (version ``FINGERPRINT_VERSION``):

- text cell: :func:`normalize_text` = NFKC, full case folding (Unicode CaseFolding C+F, Python
  ``str.casefold``), NFKC again (the folded text is normalised, as in Unicode's NFKC_Casefold,
  UAX #15 / UAX #44), then runs of whitespace (Python ``str.isspace``: ASCII tab, newline, VT, FF,
  CR, 0x1C-0x1F, space, and U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
  U+205F, U+3000) collapsed to one space and trimmed. Unicode data is the interpreter's
  (``unicodedata.unidata_version``).
- number: converted to float64 unless it is an integer type; an integer, or an integral float
  below 2**53 in magnitude, is written in decimal (``3``, ``-12``); any other float in C
  ``printf("%.6e")`` (7 significant digits: ``1.234568e-01``, ``inf``, ``-inf``), so float32 and
  float64 copies of a value agree. NaN is missing content.
- boolean: ``true`` / ``false``. Vector (list/array cell, or a 2-D array row): its elements as
  numbers.
- record: the tokens of its content columns in the given order (a vector contributes one token
  per element) joined by U+001F (unit separator; normalised text never holds it: it is whitespace).
- fingerprint: the first 8 bytes of MD5 (RFC 1321) of the record's UTF-8 bytes, read big-endian,
  as an unsigned 64-bit integer (DuckDB ``UBIGINT``, numpy ``uint64``): the first 16 hex digits of
  the MD5 hex digest. MD5 is used as a fixed, documented function (not for security); DuckDB's
  ``hash()`` is not documented as stable across versions and is not used. With 10**7 corpus rows
  against 10**6 registry rows the chance of any accidental collision is about 5e-7.

Missing content (NULL, NaN, None) has no fingerprint: the SQL expression yields NULL, the Python
functions raise ``ValueError`` naming the column and the number of rows.

SQL speed. DuckDB has no NFKC or case folding, so the SQL expression hands each record's cells
(the raw texts and the SQL tokens of the other columns) to one vectorised Arrow UDF,
:data:`FINGERPRINT_UDF` (:data:`FINGERPRINT_TEXT_UDF` for a record of one text;
:mod:`collectors.provenance.vectorized`), registered by
:func:`register_functions`: Numba kernels that release the GIL normalise, exactly, every text
made of ASCII and of the characters of a fold table (most of the BMP: those whose NFKC and
case folding act character by character, :mod:`collectors.provenance.fold`), and hash 64 records
at a time with a multi-buffer MD5; any other text goes through the Python reference
(:func:`normalize_text`). :data:`UDF_NAME` (the reference as an Arrow UDF, VARCHAR to VARCHAR)
is registered too, for SQL that wants the normalised text itself.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal, SupportsFloat, SupportsIndex

import numpy as np
import pandas as pd

from collectors.provenance.numbers import number_fingerprints
from collectors.sources.kinds import is_datetime, time_zone

__all__ = [
    "FIELD_SEPARATOR",
    "FINGERPRINT_TEXT_UDF",
    "FINGERPRINT_UDF",
    "FINGERPRINT_VERSION",
    "UDF_NAME",
    "ColumnKind",
    "fingerprint_frame",
    "fingerprint_record",
    "fingerprint_rows",
    "fingerprint_texts",
    "fingerprint_vectors",
    "normalize_text",
    "number_token",
    "record_string",
]

FINGERPRINT_VERSION = 1
FIELD_SEPARATOR = "\x1f"
UDF_NAME = "tailwatch_normalize_text"
FINGERPRINT_UDF = "tailwatch_fingerprint"
FINGERPRINT_TEXT_UDF = "tailwatch_fingerprint_text"
ColumnKind = Literal["text", "integer", "float", "boolean", "vector"]

EXACT_INTEGER = 2**53  # integral floats below this are written as integers
_ASCII_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # ASCII whitespace other than the space itself


# --------------------------------------------------------------------------- the definition


def normalize_text(text: str) -> str:
    """NFKC, case folding, NFKC, whitespace runs collapsed to one space and trimmed.

    The reference definition of a text's content (see the module docstring; UAX #15 for NFKC,
    Unicode CaseFolding.txt via ``str.casefold``).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def number_token(value: SupportsFloat | SupportsIndex | str | bytes) -> str:
    """A number's token: integers in decimal, other floats as ``%.6e`` (module docstring)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("booleans are not numbers here; use 'true'/'false'")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    number = float(value)
    if math.isnan(number):
        raise ValueError("NaN is missing content")
    if number.is_integer() and abs(number) < EXACT_INTEGER:
        return str(int(number))
    return f"{number:.6e}"


def _digest(record: str) -> int:
    return int.from_bytes(hashlib.md5(record.encode("utf-8")).digest()[:8], "big")


def fingerprint_record(record: str) -> int:
    """The fingerprint of an already encoded record string (first 64 bits of its MD5)."""
    return _digest(record)


def _cell_tokens(value: object, kind: ColumnKind) -> list[str]:
    if kind == "text":
        return [normalize_text(str(value))]
    if kind == "boolean":
        return ["true" if bool(value) else "false"]
    if kind == "vector":
        return [number_token(v) for v in np.asarray(value).ravel().tolist()]
    # the common types first: the protocols are slow to check
    if not isinstance(value, float | int | np.number | str | bytes | SupportsFloat | SupportsIndex):
        raise TypeError(f"not a number: {value!r}")  # as float() would
    return [number_token(value)]


def record_string(values: Sequence[object], kinds: Sequence[ColumnKind]) -> str:
    """The canonical encoding of one record: its cell tokens joined by U+001F."""
    tokens: list[str] = []
    for value, kind in zip(values, kinds, strict=True):
        tokens.extend(_cell_tokens(value, kind))
    return FIELD_SEPARATOR.join(tokens)


# --------------------------------------------------------------------------- Python path


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _series_kind(series: pd.Series, name: str) -> ColumnKind:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(dtype) or dtype.kind == "O":
        present = [v for v in series.tolist() if not _is_missing(v)]
        kinds = {_value_kind(v) for v in present}
        if len(kinds) > 1:
            raise ValueError(f"column {name!r} mixes value types {sorted(kinds)}")
        return kinds.pop() if kinds else "text"
    raise ValueError(f"column {name!r} has unsupported dtype {dtype} for a fingerprint")


def _value_kind(value: object) -> ColumnKind:
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, np.integer)):
        return "integer"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "vector"
    raise ValueError(f"unsupported content value of type {type(value).__name__}")


def _check_vector_cells(series: pd.Series, name: str) -> None:
    bad = 0
    for cell in series.tolist():
        array = np.asarray(cell)
        if array.dtype.kind not in "fiu" or (array.dtype.kind == "f" and np.isnan(array).any()):
            bad += 1
    if bad:
        raise ValueError(
            f"column {name!r}: {bad} of {len(series)} vectors hold missing (NaN/None) or "
            "non-numeric elements"
        )


def fingerprint_frame(frame: pd.DataFrame, content_columns: Sequence[str]) -> np.ndarray:
    """Fingerprints (``uint64``) of each row of ``frame`` over ``content_columns``, in order.

    Raises ``ValueError`` naming a missing column, or a column with missing content and how many
    rows lack it.
    """
    columns = [str(c) for c in content_columns]
    if not columns:
        raise ValueError("content_columns: at least one column is needed")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"content columns {missing} are not in the frame {list(frame.columns)}")
    numbers = _number_fingerprints(frame, columns)  # plain numbers: tokens and MD5 in Numba
    if numbers is not None:
        return numbers
    kinds: list[ColumnKind] = []
    tokens: list[list[str] | None] = []
    for name in columns:
        series = frame[name]
        fast = _numeric_tokens(series, name)  # plain numpy numbers: tokens by column
        tokens.append(fast)
        if fast is not None:
            kinds.append(_series_kind(series, name))
            continue
        nulls = int(series.map(_is_missing).sum())
        if nulls:
            raise ValueError(
                f"column {name!r}: {nulls} of {len(series)} rows have missing content (null/NaN)"
            )
        kind = _series_kind(series, name)
        if kind == "vector":
            _check_vector_cells(series, name)
        kinds.append(kind)
    if all(column is not None for column in tokens):
        records = map(FIELD_SEPARATOR.join, zip(*tokens, strict=True))
        return np.fromiter(map(_digest, records), dtype=np.uint64, count=len(frame))
    rows = zip(*(frame[name].tolist() for name in columns), strict=True)
    return np.fromiter(
        (_digest(record_string(row, kinds)) for row in rows), dtype=np.uint64, count=len(frame)
    )


def _number_fingerprints(frame: pd.DataFrame, columns: list[str]) -> np.ndarray | None:
    """:func:`fingerprint_frame` of plain numpy number columns (float, integer below 2**63,
    boolean dtypes; no NaN) by :func:`collectors.provenance.numbers.number_fingerprints`, the
    records it leaves (a float near a rounding boundary of ``%.6e``) by the definition; None
    for any other frame (the column paths below, and their errors)."""
    arrays = []
    for name in columns:
        dtype = frame[name].dtype
        if not isinstance(dtype, np.dtype) or dtype.kind not in "fiub":
            return None
        values = frame[name].to_numpy()
        if dtype.kind == "f" and np.isnan(values).any():
            return None
        if dtype.kind == "u" and values.size and values.max() >= 2**63:
            return None
        arrays.append(values)
    if not arrays[0].size:
        return np.zeros(0, np.uint64)
    out, bail = number_fingerprints(arrays)
    if bail.any():
        kinds = [_series_kind(frame[name], name) for name in columns]
        for r in np.flatnonzero(bail).tolist():
            out[r] = _digest(record_string([a[r].item() for a in arrays], kinds))
    return out


def _numeric_tokens(series: pd.Series, name: str) -> list[str] | None:
    """The cell tokens of a column of plain numpy numbers (float, integer, boolean dtype), the
    same as :func:`record_string` gives them, one column at a time without the per-cell type
    checks; None for any other column (text, vectors, nullable extension types)."""
    dtype = series.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "fiub":
        return None
    values = series.to_numpy()
    if dtype.kind == "b":
        return ["true" if v else "false" for v in values.tolist()]
    if dtype.kind in "iu":
        return [str(v) for v in values.tolist()]
    nulls = int(np.isnan(values).sum())
    if nulls:
        raise ValueError(
            f"column {name!r}: {nulls} of {len(series)} rows have missing content (null/NaN)"
        )
    integral = np.isfinite(values) & (np.trunc(values) == values) & (np.abs(values) < EXACT_INTEGER)
    out = np.empty(values.shape[0], dtype=object)
    out[integral] = list(map(str, values[integral].astype(np.int64).tolist()))
    out[~integral] = list(map("{:.6e}".format, values[~integral].tolist()))
    return out.tolist()


def fingerprint_rows(frame: pd.DataFrame, content_columns: Sequence[str]) -> np.ndarray:
    """Fingerprints of the rows of ``frame`` that hold every content column (a generator's rows
    as they come: a row with missing content has no fingerprint, as in SQL); datetime columns are
    integer microseconds since the epoch (UTC for aware ones). On complete rows without datetimes
    this is :func:`fingerprint_frame`."""
    columns = [str(c) for c in content_columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"content columns {missing} are not in the frame {list(frame.columns)}")
    data = frame[columns]
    complete = ~data.isna().any(axis=1).to_numpy()
    data = data[complete]
    for name in columns:
        series = data[name]
        if is_datetime(series):
            utc = pd.to_datetime(series, utc=bool(time_zone(series)))
            naive = utc.dt.tz_localize(None) if time_zone(series) else utc
            data = data.assign(**{name: naive.to_numpy("datetime64[us]").astype(np.int64)})
    return fingerprint_frame(data, columns)


def fingerprint_texts(texts: Iterable[str]) -> np.ndarray:
    """Fingerprints of single-text records (one content column of kind text)."""
    values = list(texts)
    bad = sum(1 for t in values if not isinstance(t, str))
    if bad:
        raise ValueError(f"texts: {bad} of {len(values)} values are not strings (missing?)")
    return np.fromiter(
        (_digest(normalize_text(t)) for t in values), dtype=np.uint64, count=len(values)
    )


def fingerprint_vectors(vectors: object) -> np.ndarray:
    """Fingerprints of the rows of a 2-D numeric array (one vector per row)."""
    array = np.asarray(vectors)
    if array.ndim != 2 or array.dtype.kind not in "fiu":
        raise ValueError(f"vectors: expected a 2-D numeric array, got {array.ndim}-D {array.dtype}")
    if array.dtype.kind == "f":
        bad = int(np.isnan(array).any(axis=1).sum())
        if bad:
            raise ValueError(f"vectors: {bad} of {array.shape[0]} rows hold NaN (missing content)")
    return np.fromiter(
        (_digest(FIELD_SEPARATOR.join(number_token(v) for v in row)) for row in array.tolist()),
        dtype=np.uint64,
        count=array.shape[0],
    )


# --------------------------------------------------------------------------- SQL path
