"""Object-storage failures told apart from bad data (collectors.sources.storage_errors), a read
failure inside a Python file system stored with its cause (not "Traceback (most recent call
last):"), and a ragged CSV row named by file and row (not "missing columns")."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from collectors.corpus.scan import CorpusSettings, scan_snapshot
from collectors.sources import storage_errors
from collectors.sources.readers import SourceError, describe_file, read_table
from collectors.sources.storage_errors import (
    RetryPolicy,
    StorageAccessError,
    StorageUnavailable,
    classify,
    error_line,
    retrying,
)

fsspec = pytest.importorskip("fsspec")
memory = pytest.importorskip("fsspec.implementations.memory")

# Messages of pyarrow's S3 file system, as moto's server and a closed port made it say them.
SLOW_DOWN = (
    "When listing objects under key 'v/' in bucket 'bkt': AWS Error SLOW_DOWN during "
    "ListObjectsV2 operation: Please reduce your request rate."
)
HEAD_503 = (
    "When getting information for key 'v' in bucket 'bkt': AWS Error UNKNOWN (HTTP status 503) "
    "during HeadObject operation: No response body."
)
NO_BUCKET = (
    "When listing objects under key 'v/' in bucket 'nobucket': AWS Error NO_SUCH_BUCKET during "
    "ListObjectsV2 operation: The specified bucket does not exist (Request ID: x)"
)
REFUSED = (
    "When listing objects under key 'v/' in bucket 'bkt': AWS Error NETWORK_CONNECTION during "
    "ListObjectsV2 operation: curlCode: 7, Could not connect to server"
)
UNKNOWN_KEY = (
    "When listing objects under key 'v/' in bucket 'bkt': AWS Error INVALID_ACCESS_KEY_ID during "
    "ListObjectsV2 operation: The AWS Access Key Id you provided does not exist in our records."
)
FAST = RetryPolicy(attempts=4, initial_seconds=0.001, max_seconds=0.002)


@pytest.mark.parametrize(
    ("text", "kind", "meaning"),
    [
        (SLOW_DOWN, StorageUnavailable, "SLOW_DOWN"),
        (HEAD_503, StorageUnavailable, "HTTP status 503"),
        (NO_BUCKET, StorageAccessError, "the bucket does not exist"),
        (REFUSED, StorageAccessError, "nothing answers at the endpoint"),
        (UNKNOWN_KEY, StorageAccessError, "the access key is unknown"),
    ],
)
def test_object_storage_errors_are_classified(text: str, kind: type, meaning: str) -> None:
    found = classify(OSError(text), "s3://bkt/v")
    assert isinstance(found, kind) and isinstance(found, OSError)
    assert meaning in str(found) and "s3://bkt/v" in str(found)


def test_data_errors_are_not_storage_errors() -> None:
    assert classify(OSError("File 'x.parquet' too small to be a Parquet file")) is None
    assert classify(ValueError("column 'a' has type BLOB")) is None


def test_transient_failures_are_retried_with_backoff_and_access_ones_are_not() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError(SLOW_DOWN)
        return "listed"

    assert retrying(flaky, "s3://bkt", FAST) == "listed" and len(calls) == 3
    calls.clear()

    def down() -> None:
        calls.append(1)
        raise OSError(HEAD_503)

    with pytest.raises(StorageUnavailable, match="object storage unavailable"):
        retrying(down, "s3://bkt", FAST)
    assert len(calls) == FAST.attempts
    calls.clear()

    def refused() -> None:
        calls.append(1)
        raise OSError(UNKNOWN_KEY)

    with pytest.raises(StorageAccessError, match="object storage refused"):
        retrying(refused, "s3://bkt", FAST)
    assert len(calls) == 1  # never retried: the configuration is wrong
    with pytest.raises(ValueError, match="bad data"):
        retrying(lambda: (_ for _ in ()).throw(ValueError("bad data")), "s3://bkt", FAST)
    assert FAST.waits() == [0.001, 0.002, 0.002]
    assert storage_errors.RETRY.waits() == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_the_cause_of_a_traceback_is_kept() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "duckdb/_seam.py", line 83, in bind\n'
        '  File "fsspec/spec.py", line 1417, in open\n'
        "PermissionError: the store refused to read /bkt/x.parquet"
    )
    assert error_line(text) == "PermissionError: the store refused to read /bkt/x.parquet"
    assert error_line("IO Error: one line\nmore") == "IO Error: one line"


class _Faulty(memory.MemoryFileSystem):  # type: ignore[misc]
    """An in-process object store whose Parquet objects cannot be opened (fsspec: no hints)."""

    protocol = ("twfaulty",)

    @classmethod
    def _strip_protocol(cls, path: str) -> str:
        return super()._strip_protocol(str(path).removeprefix("twfaulty://"))

    def _open(self, path: str, mode: str = "rb", **kwargs: object) -> object:
        if "r" in mode and str(path).endswith(".parquet"):
            raise PermissionError(f"the faulty store refused to read {path}")
        return super()._open(path, mode, **kwargs)


def test_a_read_failure_in_object_storage_is_stored_with_its_cause() -> None:
    fsspec.register_implementation("twfaulty", _Faulty, clobber=True)
    buffer = io.BytesIO()
    pd.DataFrame({"a": ["x", "y"]}).to_parquet(buffer)
    _Faulty().pipe("twfaulty://bkt/x.parquet", buffer.getvalue())
    try:
        with pytest.raises(SourceError) as read:
            read_table(["twfaulty://bkt/x.parquet"])
        connection = duckdb.connect()
        connection.execute(
            "CREATE TABLE r (fingerprint UBIGINT, generator VARCHAR, version VARCHAR, "
            "known_human BOOLEAN)"
        )
        settings = CorpusSettings(content_columns=("a",), provenance_column="a")
        with pytest.raises(SourceError) as scan:
            scan_snapshot(connection, ["twfaulty://bkt/x.parquet"], "r", settings)
    finally:
        _Faulty().rm("twfaulty://bkt", recursive=True)
    for error in (read.value, scan.value):
        assert "PermissionError: the faulty store refused to read" in str(error)
        assert "Traceback" not in str(error) and "twfaulty://bkt/x.parquet" in str(error)


@pytest.mark.parametrize("fields", ["4,5", "4,5,6,7"])
def test_a_ragged_csv_row_is_named_by_file_and_row(tmp_path: Path, fields: str) -> None:
    path = tmp_path / "part-0.csv"
    path.write_text(f"text,provenance,x\na,human,1\n{fields}\nb,human,3\n", encoding="utf-8")
    found = len(fields.split(","))
    expected = f"file {path} row 2 (line 3) has {found} fields, the header has 3"
    with pytest.raises(SourceError, match="row 2") as read:
        read_table([path])
    with pytest.raises(SourceError, match="row 2") as described:
        describe_file(path)
    settings = CorpusSettings(content_columns=("text",), provenance_column="provenance")
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE r (fingerprint UBIGINT, generator VARCHAR, version VARCHAR, "
        "known_human BOOLEAN)"
    )
    with pytest.raises(SourceError, match="row 2") as scanned:
        scan_snapshot(connection, [path], "r", settings)
    for error in (read.value, described.value, scanned.value):
        assert expected in str(error) and "missing columns" not in str(error)
