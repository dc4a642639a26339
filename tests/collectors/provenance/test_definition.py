"""Tests for collectors.provenance.definition: SQL over Parquet and Python over pandas agree, bit
for bit."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collectors.provenance.definition import (
    FIELD_SEPARATOR,
    fingerprint_frame,
    fingerprint_texts,
    fingerprint_vectors,
    normalize_text,
    number_token,
    record_string,
)
from collectors.provenance.sql import fingerprint_query
from collectors.sources.readers import SourceError

TRICKY = [
    "Hello  World",
    "hello world",
    " \ufb01ne\u00a0\ufb02our ",  # ligatures fi, fl and a non-breaking space
    "fine flour",
    "\uff26\uff35\uff2c\uff2c width",  # full-width letters
    "FULL WIDTH",
    "Stra\u00dfe",  # sharp s folds to ss
    "STRASSE",
    "\u01f0",  # j with caron, precomposed
    "J\u030c",  # J + combining caron
    "e\u0301",  # decomposed e acute
    "\u00e9",
    "\u0130stanbul",  # capital I with dot above
    "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3",  # Greek capitals (final sigma)
    "\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2",
    "a\tb\nc\r\nd\x1ce\x0bf\x0cg",
    "\u2026 ellipsis",
    "\U0001f600 Emoji",
    "\u216b \u338f \u2460",  # roman numeral, square kg, circled 1
    "\u2028x\u3000y\u2003z\u202fw\u205fv\u1680u\x85t",
    "",
    "   ",
    "na\u00efve caf\u00e9 \u201cquoted\u201d \u2014 dash",
    "\u01c4 \ufb03 \u1e9e",  # DZ caron, ffi ligature, capital sharp s
    "\uac00\u11a8 \u1100\u1161",  # Hangul syllable + final jamo, leading + vowel jamo
    "\u0410\u0411\u0412 \u0430\u0431\u0432",  # Cyrillic
    "\u4e2d\u6587 \U00020000",  # CJK, CJK extension B
    "tab\tend\t",
    "  lead and trail  ",
]


def _sql_fingerprints(tmp_path, table: pa.Table, columns: list[str]) -> list[int | None]:
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path)
    with duckdb.connect() as connection:
        query = fingerprint_query(connection, f"read_parquet('{path}')", columns)
        return [row[0] for row in connection.execute(query).fetchall()]


def _fuzz_texts(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = list(
        "abcXYZ 019 .,;'\"\t\n\r\x0b\x0c\x1c\x1f\u00a0\u00df\u00e9\u00c9\u0301\u0308\u030c"
        "\ufb01\ufb00\uff21\uff41\u2163\u00bd\u2026\u03a3\u03c2\u0130\u0131\u1e9e\u2028\u3000"
        "\u1100\u1161\u11a8\uac00\u4e00\U0001f600\u00b5\u017f\u212a\u2126\u0345\u1f80\u00aa"
    )
    return ["".join(rng.choice(pool, size=rng.integers(0, 12))) for _ in range(count)]


def test_sql_and_python_agree_on_tricky_unicode(tmp_path) -> None:
    texts = TRICKY + _fuzz_texts(1500, seed=7)
    sql = _sql_fingerprints(tmp_path, pa.table({"text": texts}), ["text"])
    python = fingerprint_texts(texts).tolist()
    mismatched = [
        (t, normalize_text(t)) for t, a, b in zip(texts, sql, python, strict=True) if a != b
    ]
    assert mismatched == []


def test_normalisation_folds_compatibility_case_and_whitespace() -> None:
    pairs = [(TRICKY[i], TRICKY[i + 1]) for i in (0, 2, 4, 6, 8)]
    for left, right in pairs:
        assert normalize_text(left) == normalize_text(right), (left, right)
    assert normalize_text("\u00e9") == normalize_text("e\u0301")
    assert normalize_text("\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3") == normalize_text(
        "\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2"
    )
    assert normalize_text("a\tb\nc\r\nd\x1ce\x0bf\x0cg") == "a b c d e f g"
    assert normalize_text("  x  ") == "x"
    assert normalize_text("hello world") != normalize_text("hello, world")  # punctuation kept


def test_fingerprint_is_the_first_64_bits_of_md5_pinned() -> None:
    expected = int.from_bytes(hashlib.md5(b"hello world").digest()[:8], "big")
    assert fingerprint_texts(["  Hello\u00a0WORLD "]).tolist() == [expected]
    assert expected == 0x5EB63BBBE01EEED0  # pinned: stable across processes and versions
    code = (
        "from collectors.provenance.definition import fingerprint_texts;"
        "print(int(fingerprint_texts(['Hello World'])[0]))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout.split()[-1]) == expected


def test_number_tokens() -> None:
    assert number_token(3) == "3"
    assert number_token(3.0) == "3"
    assert number_token(-0.0) == "0"
    assert number_token(np.float32(0.1)) == number_token(0.1) == "1.000000e-01"
    assert number_token(12345678.0) == "12345678"
    assert number_token(float(2**60)) == "1.152922e+18"
    assert number_token(float("inf")) == "inf"
    with pytest.raises(ValueError, match="NaN"):
        number_token(float("nan"))


def test_tables_agree_between_parquet_and_pandas(tmp_path) -> None:
    rng = np.random.default_rng(3)
    n = 400
    values = rng.normal(size=n) * 10.0 ** rng.integers(-8, 12, size=n)
    values[:5] = [0.0, -0.0, 1e300, -2.5, 123456789.0]
    frame = pd.DataFrame(
        {
            "name": [TRICKY[i % len(TRICKY)] for i in range(n)],
            "amount": values,
            "amount32": values.clip(-1e30, 1e30).astype(np.float32),
            "count": rng.integers(-(10**12), 10**12, size=n),
            "flag": rng.random(n) < 0.5,
        }
    )
    columns = ["name", "amount", "amount32", "count", "flag"]
    sql = _sql_fingerprints(tmp_path, pa.Table.from_pandas(frame, preserve_index=False), columns)
    assert sql == fingerprint_frame(frame, columns).tolist()
    # an integral float and an integer are the same content; float32 and float64 copies agree
    as_float = frame.assign(count=frame["count"].astype(np.float64))
    assert fingerprint_frame(as_float, ["count"]).tolist() == sql_count(tmp_path, frame)


def sql_count(tmp_path, frame: pd.DataFrame) -> list[int | None]:
    table = pa.table({"count": frame["count"].to_numpy()})
    return _sql_fingerprints(tmp_path, table, ["count"])


def test_vectors_agree_between_list_columns_arrays_and_table_columns(tmp_path) -> None:
    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(300, 8)).astype(np.float32)
    table = pa.table({"embedding": pa.array(list(matrix), type=pa.list_(pa.float32()))})
    sql = _sql_fingerprints(tmp_path, table, ["embedding"])
    fixed = pa.table({"embedding": pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), 8)})
    assert _sql_fingerprints(tmp_path, fixed, ["embedding"]) == sql
    assert fingerprint_vectors(matrix).tolist() == sql
    assert fingerprint_vectors(matrix.astype(np.float64)).tolist() == sql
    frame = pd.DataFrame({"embedding": list(matrix.astype(np.float64))})
    assert fingerprint_frame(frame, ["embedding"]).tolist() == sql
    columns = pd.DataFrame(matrix, columns=[f"x{i}" for i in range(8)])
    assert fingerprint_frame(columns, list(columns.columns)).tolist() == sql


def test_record_encoding_separates_columns() -> None:
    assert record_string(["a b", 1], ["text", "integer"]) == f"a b{FIELD_SEPARATOR}1"
    one = fingerprint_frame(pd.DataFrame({"a": ["x y"], "b": ["z"]}), ["a", "b"])
    two = fingerprint_frame(pd.DataFrame({"a": ["x"], "b": ["y z"]}), ["a", "b"])
    assert one[0] != two[0]


def test_missing_content_is_an_error_in_python_and_null_in_sql(tmp_path) -> None:
    frame = pd.DataFrame({"text": ["a", None, "b", None], "x": [1.0, 2.0, np.nan, 4.0]})
    with pytest.raises(ValueError, match=r"column 'text': 2 of 4 rows have missing content"):
        fingerprint_frame(frame, ["text"])
    with pytest.raises(ValueError, match=r"column 'x': 1 of 4 rows"):
        fingerprint_frame(frame, ["x"])
    table = pa.table({"text": ["a", None], "x": [1.0, float("nan")]})
    assert _sql_fingerprints(tmp_path, table, ["text"])[1] is None
    assert _sql_fingerprints(tmp_path, table, ["x"])[1] is None
    with pytest.raises(ValueError, match="missing"):
        fingerprint_vectors(np.array([[1.0, np.nan]]))


def test_unsupported_and_missing_columns_are_named(tmp_path) -> None:
    path = tmp_path / "dates.parquet"
    pq.write_table(pa.table({"day": pa.array([0], type=pa.date32()), "t": ["a"]}), path)
    with duckdb.connect() as connection:
        with pytest.raises(SourceError, match=r"content column 'day' has type DATE"):
            fingerprint_query(connection, f"read_parquet('{path}')", ["day"])
        with pytest.raises(SourceError, match=r"content column 'nope' is missing"):
            fingerprint_query(connection, f"read_parquet('{path}')", ["nope"])
    with pytest.raises(ValueError, match=r"not in the frame"):
        fingerprint_frame(pd.DataFrame({"t": ["a"]}), ["text"])


# ------------------------------------------------------------- the fast SQL path (Numba kernels)


def _wide_texts(count: int, seed: int) -> list[str]:
    """Words of ASCII and of characters from every Unicode neighbourhood the fold table meets."""
    rng = np.random.default_rng(seed)
    special = list(
        "\u00a0\u0085\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000\t\n\r\x0b\x0c\x1c"
        "\u00c0\u00df\u0130\u0131\u017f\u01c4\u01c5\u0345\u03a3\u03c2\u1e9e\u1f88\u212a\u2126"
        "\u00bd\u2026\u2474\u3392\ufb01\ufb03\uff21\uff41\uff0c\u3002\uff5e\u2160\u33c2\ufdfa"
        "\u0301\u0308\u0327\u1100\u1161\u11a8\uac00\uac01\u3131\u314f\u0f73\u0f77\u0cd5\u0dcf"
        "\u201c\u201d\u2019\u00e9\u00c9\u4e2d\u6587\u0410\u0430\u05d0\u0627\ufe8d\U0001f600"
        "\U0001f1e6\U0001d400\U00020000\ufffd\u00ad\u200b\u200d\u2060\ufeff\x00\x7f"
    )
    letters = list("abcXYZ019.,;'\"- ")
    texts = []
    for _ in range(count):
        pool = special if rng.random() < 0.5 else letters + special[:40]
        words = [
            "".join(rng.choice(pool if rng.random() < 0.3 else letters, size=rng.integers(1, 9)))
            for _ in range(rng.integers(0, 30))
        ]
        texts.append(" ".join(words) if rng.random() < 0.7 else "  ".join(words))
    # every length around the MD5 block boundaries, plain and with trailing/leading spaces
    texts += ["x" * n for n in range(0, 200)] + [" A" * n + "  " for n in range(0, 70)]
    return texts


def test_fast_path_agrees_with_the_reference_on_wide_unicode(tmp_path) -> None:
    texts = _wide_texts(3000, seed=11)
    sql = _sql_fingerprints(tmp_path, pa.table({"text": texts}), ["text"])
    python = fingerprint_texts(texts).tolist()
    mismatched = [
        (t, normalize_text(t)) for t, a, b in zip(texts, sql, python, strict=True) if a != b
    ]
    assert mismatched == []


def test_fold_table_entries_equal_the_reference_in_context() -> None:
    from collectors.provenance.fold import fold_tables

    index, pool = fold_tables()
    codes = np.flatnonzero(index).tolist()
    assert len(codes) > 40_000  # most of the BMP takes the fast path
    wrong = []
    for code in codes:
        start, length = int(index[code]) >> 5, int(index[code]) & 31
        entry = "".join(chr(c) for c in pool[start : start + length].tolist())
        for left, right in (("a", "b"), ("\u00e9", "Z"), ("", "")):
            got = normalize_text(left + chr(code) + right)
            if got != normalize_text(left + entry + right):
                wrong.append((hex(code), got))
    assert wrong == []


def test_records_mixing_texts_and_numbers_agree_and_null_wins(tmp_path) -> None:
    texts = _wide_texts(300, seed=3)[:300]
    frame = pd.DataFrame(
        {"a": texts, "n": np.arange(300) * 0.25, "b": texts[::-1], "flag": np.arange(300) % 2 == 0}
    )
    columns = ["a", "n", "b", "flag"]
    sql = _sql_fingerprints(tmp_path, pa.Table.from_pandas(frame, preserve_index=False), columns)
    assert sql == fingerprint_frame(frame, columns).tolist()
    table = pa.table({"a": ["\ufdfa x", "plain", None], "x": [None, 1.0, 2.0]})
    assert _sql_fingerprints(tmp_path, table, ["a", "x"]) == [
        None,
        *fingerprint_frame(pd.DataFrame({"a": ["plain"], "x": [1.0]}), ["a", "x"]).tolist(),
        None,
    ]
