"""Object-storage failures told apart from bad data: transient outages retried with backoff,
access problems (credentials, bucket, endpoint) named.

An object store answers ``503 SlowDown`` under load, times out or resets a connection: that is
:class:`StorageUnavailable` once :func:`retrying` has tried again with exponential backoff
(:data:`RETRY`). A wrong or unknown key, a missing bucket or an endpoint where nothing listens is
:class:`StorageAccessError`, raised at once with what is wrong in words. Both are
:class:`ObjectStorageError` (an ``OSError``): the daemon counts them as storage failures (it backs
off, ``/-/ready`` says so, no version's attempts are used), never as a version's bad data; and
the commands exit 2 naming them.

The causes are recognised in the messages of pyarrow's S3 file system (``AWS Error SLOW_DOWN``,
``AWS Error NO_SUCH_BUCKET``, curl's codes), including when DuckDB reads through it and wraps
them in a Python traceback (:func:`error_line` keeps the line that says why).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "RETRY",
    "ObjectStorageError",
    "RetryPolicy",
    "StorageAccessError",
    "StorageUnavailable",
    "classify",
    "error_line",
    "forget",
    "note",
    "noted",
    "retrying",
    "storage_failure",
]

T = TypeVar("T")


class ObjectStorageError(OSError):
    """Object storage failed, not the data: an outage (:class:`StorageUnavailable`) or an
    access problem (:class:`StorageAccessError`). The message starts with "object storage"."""

    transient = False
    retried = False  # already retried (an outer :func:`retrying` does not retry it again)


class StorageUnavailable(ObjectStorageError):
    """A transient failure (503 SlowDown, a timeout, a reset connection) that outlasted the
    retries."""

    transient = True


class StorageAccessError(ObjectStorageError):
    """Credentials refused, a missing bucket, or nothing answering at the endpoint."""


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts of one operation on a transient failure, the waits doubling up to a bound."""

    attempts: int = 6
    initial_seconds: float = 0.5
    max_seconds: float = 8.0

    def waits(self) -> list[float]:
        return [
            min(self.initial_seconds * 2**i, self.max_seconds) for i in range(self.attempts - 1)
        ]


RETRY = RetryPolicy()  # ~15 s of retries per operation, then the daemon's own backoff

# (pattern in the error text, what it means): the first match wins.
_ACCESS = (
    (r"INVALID_ACCESS_KEY_ID|InvalidAccessKeyId", "the access key is unknown to the server"),
    (r"SIGNATURE_DOES_NOT_MATCH|SignatureDoesNotMatch", "the secret key is wrong"),
    (r"NO_SUCH_BUCKET|NoSuchBucket", "the bucket does not exist"),
    (r"ACCESS_DENIED|AccessDenied|HTTP status 403", "access denied (credentials or permissions)"),
    (r"curlCode: 7\b|Connection refused|Could not connect", "nothing answers at the endpoint"),
    (r"curlCode: 6\b|Could not resolve host", "the endpoint's host name does not resolve"),
)
_TRANSIENT = (
    r"SLOW_DOWN|SlowDown|SERVICE_UNAVAILABLE|ServiceUnavailable|THROTTL|Throttl|"
    r"REQUEST_TIMEOUT|RequestTimeout|INTERNAL_FAILURE|InternalError|HTTP status 5\d\d|"
    r"curlCode: (28|52|55|56)\b|timed out|Timeout was reached|Connection reset|reset by peer|"
    r"Broken pipe"
)


def error_line(error: BaseException | str) -> str:
    """The line of an error's message that says why: its first line, or the last line of a
    Python traceback embedded in it (DuckDB reading through a Python file system)."""
    text = str(error).strip()
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in text:
        after = [line for line in lines if not line.startswith(("File ", "Traceback", "^", "~"))]
        cause = [line for line in after if re.match(r"^[\w.]+(Error|Exception)\b", line)]
        chosen = cause[-1] if cause else lines[-1]
        head = lines[0] if not lines[0].startswith("Traceback") else ""
        return f"{head} {chosen}".strip() if head and chosen not in head else chosen
    return lines[0]


def classify(error: BaseException | str, where: object = "") -> ObjectStorageError | None:
    """The :class:`ObjectStorageError` an error of object storage means, or None (not one)."""
    if isinstance(error, ObjectStorageError):
        return error
    text = str(error)
    place = f" ({where})" if where else ""
    for pattern, meaning in _ACCESS:
        if re.search(pattern, text):
            return StorageAccessError(f"object storage refused{place}: {meaning}: {_aws(text)}")
    if re.search(_TRANSIENT, text):
        return StorageUnavailable(f"object storage unavailable{place}: {_aws(text)}")
    return None


def _aws(text: str) -> str:
    """The part of a message that names the operation and the server's answer."""
    line = error_line(text)
    found = re.search(r"AWS Error .*", line)
    return found.group(0) if found else line


def storage_failure(text: str | None) -> str | None:
    """The object-storage failure a recorded error text names, or None (its data's fault)."""
    if not text:
        return None
    if text.startswith(("object storage refused", "object storage unavailable")):
        return text
    found = classify(text)
    return None if found is None else str(found)


_NOTED: dict[str, ObjectStorageError] = {}  # bucket -> the last failure a reader may have hidden
_NOTED_LOCK = threading.Lock()


def _bucket(key: object) -> str:
    text = str(key).split("://", 1)[-1].strip("/")
    return text.split("/", 1)[0]


def note(key: object, error: ObjectStorageError) -> None:
    """Remember a failure of a call made for DuckDB (which turns a failed ``HEAD`` into an
    empty file, "too small to be a Parquet file"), so the read's error can be told apart."""
    with _NOTED_LOCK:
        _NOTED[_bucket(key)] = error


def noted(paths: Iterable[object]) -> ObjectStorageError | None:
    """The failure noted for the buckets of ``paths`` since :func:`forget`, taken (None: none)."""
    with _NOTED_LOCK:
        for bucket in {_bucket(p) for p in paths}:
            if bucket in _NOTED:
                return _NOTED.pop(bucket)
    return None


def forget(paths: Iterable[object]) -> None:
    """Clear what was noted for the buckets of ``paths`` (before a read)."""
    noted(paths)


def retrying(call: Callable[[], T], where: object = "", policy: RetryPolicy | None = None) -> T:
    """``call()``, tried again after a transient object-storage failure (waits doubling, per
    :data:`RETRY`); an access problem raises :class:`StorageAccessError` at once, a transient one
    past the attempts :class:`StorageUnavailable`. ``FileNotFoundError`` and other errors pass
    through unchanged."""
    waits = (policy or RETRY).waits()
    for attempt in range(len(waits) + 1):
        try:
            return call()
        except ObjectStorageError as error:
            if not error.transient or error.retried or attempt == len(waits):
                error.retried = True
                raise
            time.sleep(waits[attempt])
        except FileNotFoundError:
            raise
        except Exception as error:
            found = classify(error, where)
            if found is None:
                raise
            if not found.transient or attempt == len(waits):
                found.retried = True
                raise found from error
            time.sleep(waits[attempt])
    raise AssertionError("unreachable")  # pragma: no cover
