"""Healthy levels kept on local disk between ``tailwatch check`` / ``tailwatch.evaluate`` calls.

The healthy levels of a reference (:class:`collectors.healthy.HealthyLevels`, eight real-vs-real
draws at a version's size) cost most of a one-version evaluation and depend only on the
reference, the holdout, the training rows, the settings, the sample size and the code. They are
kept as one JSON file per key (no pickle) under:

1. the ``path`` given (``tailwatch.evaluate(..., cache=PATH)``, ``tailwatch check --cache-dir``);
2. else ``$TAILWATCH_CACHE_DIR``;
3. else ``$CACHE_DIRECTORY/healthy`` (systemd's ``CacheDirectory=``), else
   ``$XDG_CACHE_HOME/tailwatch/healthy`` (``~/.cache/tailwatch/healthy`` by default), beside the
   compiled kernels' cache (``collectors._cache``).

``TAILWATCH_CACHE_DIR=off`` (or ``cache=False``) turns the cache off. The key is a SHA-256 of the
content fingerprints (:func:`frame_fingerprint`), the settings, the size and
:func:`code_version` (a hash of the ``collectors`` sources), so any change to an input or to the
code measuring it misses the cache: stale levels are never read. Files are written to a temporary
name and renamed, so a reader never sees half a file; a damaged file is a miss.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from collectors.healthy import HealthyLevels

__all__ = [
    "CACHE_ENV",
    "DiskHealthyCache",
    "code_version",
    "default_cache_dir",
    "frame_fingerprint",
    "healthy_cache",
]

CACHE_ENV = "TAILWATCH_CACHE_DIR"
OFF = {"off", "0", "false", "no", "none"}


def default_cache_dir() -> Path | None:
    """The cache folder from the environment (None when ``TAILWATCH_CACHE_DIR=off``)."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        if configured.strip().lower() in OFF:
            return None
        return Path(configured).expanduser()
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]  # systemd's CacheDirectory=
    if systemd:
        return Path(systemd) / "healthy"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "tailwatch" / "healthy"


@cache
def code_version() -> str:
    """SHA-256 of the ``collectors`` package's sources: a code change invalidates the cache."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def frame_fingerprint(frame: pd.DataFrame | None) -> str:
    """SHA-256 of a frame's columns, dtypes and values in order (row index ignored): a numpy
    column's bytes, any other column pandas' hash of its values (of their text where the values
    cannot be hashed). Keys are compared only within one code version (:func:`code_version`),
    so the choice of hash is free."""
    digest = hashlib.sha256()
    if frame is None:
        return "none"
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(str(len(frame)).encode())
    kinds = set(frame.dtypes)
    if len(kinds) == 1 and _raw(next(iter(kinds))):  # one numpy dtype: the rows' bytes at once
        digest.update(_buffer(frame.to_numpy()))
        return digest.hexdigest()
    for name in frame.columns:
        column = frame[name]
        if _raw(column.dtype):
            digest.update(_buffer(column.to_numpy()))
            continue
        try:
            hashed = pd.util.hash_pandas_object(column, index=False).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): their text
            hashed = pd.util.hash_pandas_object(column.astype(str), index=False).to_numpy()
        digest.update(np.ascontiguousarray(hashed).tobytes())
    return digest.hexdigest()


def _raw(dtype: object) -> bool:
    """A numpy number, boolean or time dtype: a column hashed by its bytes (the dtype is in the
    digest). pandas' per-value hash of 10,000 x 64 numbers took 55 ms on every evaluate."""
    return isinstance(dtype, np.dtype) and dtype.kind in "biufcmM"


def _buffer(values: np.ndarray) -> memoryview:
    """``values``' bytes in order (times as their int64 counts: numpy exports no time buffer)."""
    values = np.ascontiguousarray(values)
    return (values.view(np.int64) if values.dtype.kind in "mM" else values).data


class DiskHealthyCache:
    """A :class:`collectors.healthy.HealthyCache` in a local folder (one JSON file per key).

    ``hits`` and ``misses`` count the loads that found (or did not find) levels.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"healthy cache key must be a hex digest, got {key!r}")
        return self.folder / f"{key}.json"

    def load(self, key: str, rows: int) -> HealthyLevels | None:
        path = self._path(key)
        try:
            levels = HealthyLevels.from_json(path.read_text("utf-8"))
        except (OSError, ValueError, TypeError):
            self.misses += 1
            return None
        if levels.sample_rows != rows:
            self.misses += 1
            return None
        self.hits += 1
        return levels

    def save(self, key: str, rows: int, levels: HealthyLevels) -> None:
        """Write the levels (an unwritable folder only loses the cache, never the result)."""
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(levels.to_json())
            os.replace(temporary, path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)


def healthy_cache(cache: str | os.PathLike[str] | bool | None = None) -> DiskHealthyCache | None:
    """The local cache to use: ``cache`` a folder, True/None the default one
    (:func:`default_cache_dir`), False none."""
    if cache is False:
        return None
    if cache is None or cache is True:
        folder = default_cache_dir()
        return None if folder is None else DiskHealthyCache(folder)
    return DiskHealthyCache(cache)
