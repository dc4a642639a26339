"""Object storage: ``s3://`` (and any fsspec file system) for snapshots, versions, references,
dumps and known-human data, read without copying.

A location with a scheme (``s3://bucket/corpus/*``, ``gs://...``, ``memory://...``) is remote; a
plain path is local and handled by :mod:`collectors.sources.readers` as before. Remote files are
:class:`ObjectPath` values that quack like :class:`pathlib.Path` where the scan needs it
(``name``, ``suffix``, ``stem``, ``parent``, ``is_file()``, ``str()`` gives the URL), so the DuckDB
SQL of a scan is the same text for both: DuckDB reads ``s3://`` through a file system registered
on the connection (:func:`attach`; DuckDB's ``httpfs`` extension is not needed).

File systems:

- ``s3``: pyarrow's :class:`pyarrow.fs.S3FileSystem` (bundled with pyarrow), wrapped for fsspec
  and DuckDB by :class:`fsspec.implementations.arrow.ArrowFSWrapper`. Credentials follow the AWS
  SDK's default chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``,
  ``~/.aws/credentials``, instance roles); the endpoint comes from ``endpoint_url`` in the options,
  else ``AWS_ENDPOINT_URL``; the region from ``region``, else ``AWS_REGION``/``AWS_DEFAULT_REGION``.
- any other scheme: ``fsspec.filesystem(scheme, **options)`` (``gcsfs``, ``adlfs``... when
  installed).

Options come from ``[storage_options."<url prefix>"]`` in the configuration (:func:`configure`),
the longest matching prefix winning. They are never logged nor shown by ``/api/status``; prefer
the environment chain for secrets.

Fingerprints of remote files (:func:`fingerprint_objects`) hash each object's name, size and
ETag (one ``HEAD`` per object; the last-modified time where a store has no ETag) instead of its
bytes, so discovery never reads data; a rewritten object gets a new ETag, hence a new
fingerprint, and is scanned again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.sources.formats import is_data_name, is_skipped

__all__ = [
    "AnyPath",
    "ObjectPath",
    "arrow_filesystem",
    "as_path",
    "attach",
    "configure",
    "filesystem",
    "fingerprint_objects",
    "is_remote",
    "remote_files",
    "remote_matches",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")
_OPTIONS: dict[str, dict[str, Any]] = {}
_CACHE: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def scheme_of(location: object) -> str | None:
    """The URL scheme of ``location`` (``s3``), or None for a local path (``file://`` too)."""
    if isinstance(location, ObjectPath):
        return location.scheme
    match = _SCHEME.match(str(location)) if isinstance(location, str) else None
    if match is None or match.group(1).lower() == "file":
        return None
    return match.group(1).lower()


def is_remote(location: object) -> bool:
    """True for an ``ObjectPath`` or a string with a (non-``file``) URL scheme."""
    return scheme_of(location) is not None


@dataclass(frozen=True, order=True)
class ObjectPath:
    """One object (or prefix) in a remote file system, addressed by its URL."""

    url: str

    def __post_init__(self) -> None:
        if scheme_of(self.url) is None:
            raise ValueError(f"not a remote URL: {self.url!r}")
        if "@" in self.url.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError("credentials in a URL are not accepted; use the environment")

    def __str__(self) -> str:
        return self.url

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def key(self) -> str:
        """``bucket/path/to/object``: the path inside the file system."""
        return self.url.split("://", 1)[1].rstrip("/")

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.key).suffix

    @property
    def stem(self) -> str:
        return PurePosixPath(self.key).stem

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(f"{self.scheme}://{PurePosixPath(self.key).parent}")

    def __truediv__(self, other: str) -> ObjectPath:
        return ObjectPath(f"{self.scheme}://{self.key}/{other}")

    def info(self) -> dict[str, Any] | None:
        """fsspec ``info`` of the object, or None when it does not exist."""
        try:
            return filesystem(self.url).info(self.key)
        except FileNotFoundError:
            return None

    def is_file(self) -> bool:
        info = self.info()
        return info is not None and info.get("type") == "file"

    def is_dir(self) -> bool:
        info = self.info()
        return info is not None and info.get("type") == "directory"

    def is_symlink(self) -> bool:
        return False

    def exists(self) -> bool:
        return self.info() is not None


AnyPath = Path | ObjectPath


def as_path(value: str | os.PathLike[str] | ObjectPath) -> AnyPath:
    """An :class:`ObjectPath` for a URL (or an ObjectPath), else a :class:`pathlib.Path`."""
    if isinstance(value, ObjectPath):
        return value
    if isinstance(value, str) and is_remote(value):
        return ObjectPath(value)
    return Path(value)


# --------------------------------------------------------------------------- configuration


def configure(options: Mapping[str, Mapping[str, Any]]) -> None:
    """Set the options of each URL prefix (``{"s3://bucket": {"endpoint_url": ...}}``).

    Replaces earlier options and forgets cached file systems (process-wide).
    """
    with _LOCK:
        _OPTIONS.clear()
        _OPTIONS.update({str(k).rstrip("/"): dict(v) for k, v in options.items()})
        _CACHE.clear()


def options_for(url: str) -> dict[str, Any]:
    """The options of the longest configured prefix of ``url`` (empty when none matches)."""
    best = ""
    for prefix in _OPTIONS:
        if (url == prefix or url.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    return dict(_OPTIONS.get(best, {}))


def _s3(options: Mapping[str, Any]) -> Any:
    """pyarrow's S3 file system from fsspec-style options, the environment filling the rest."""
    from pyarrow import fs as pafs

    kwargs = dict(options)
    endpoint = kwargs.pop("endpoint_url", None) or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and "endpoint_override" not in kwargs:
        scheme, _, host = str(endpoint).rpartition("://")
        kwargs["endpoint_override"] = host or str(endpoint)
        if scheme:
            kwargs.setdefault("scheme", scheme)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region and "region" not in kwargs:
        kwargs["region"] = region
    if "key" in kwargs:  # fsspec/s3fs spelling
        kwargs["access_key"] = kwargs.pop("key")
    if "secret" in kwargs:
        kwargs["secret_key"] = kwargs.pop("secret")
    return pafs.S3FileSystem(**kwargs)


def _wrapper(arrow_fs: Any, scheme: str) -> Any:
    from fsspec.implementations.arrow import ArrowFSWrapper

    class _Wrapped(ArrowFSWrapper):  # type: ignore[misc]
        protocol = (scheme,)  # DuckDB routes ``<scheme>://`` paths to it by this attribute

    return _Wrapped(arrow_fs, skip_instance_cache=True)


def filesystem(url: str) -> Any:
    """The fsspec file system serving ``url`` (cached per scheme and options)."""
    scheme = scheme_of(url)
    if scheme is None:
        raise ValueError(f"not a remote URL: {url!r}")
    options = options_for(url)
    key = (scheme, repr(sorted(options.items())))
    with _LOCK:
        if key not in _CACHE:
            if scheme in {"s3", "s3a"}:
                _CACHE[key] = _wrapper(_s3(options), scheme)
            else:
                import fsspec

                _CACHE[key] = fsspec.filesystem(scheme, **options)
        return _CACHE[key]


def arrow_filesystem(url: str) -> Any:
    """A :class:`pyarrow.fs.FileSystem` for ``url`` (for ``pyarrow.parquet``/``dataset``)."""
    from fsspec.implementations.arrow import ArrowFSWrapper
    from pyarrow import fs as pafs

    fs = filesystem(url)
    if isinstance(fs, ArrowFSWrapper):
        return fs.fs
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def attach(connection: Any, paths: Iterable[object]) -> None:
    """Register on a DuckDB connection the file system of every remote path in ``paths``.

    DuckDB then reads ``<scheme>://`` URLs in ``read_parquet``/``read_csv`` through it (one file
    system per scheme and connection; registering the same one again is a no-op).
    """
    seen: set[int] = set()
    for path in paths:
        if not is_remote(path):
            continue
        fs = filesystem(str(path))
        if id(fs) in seen:
            continue
        seen.add(id(fs))
        try:
            connection.register_filesystem(fs)
        except Exception as error:
            if "already" not in str(error).lower():
                raise


# --------------------------------------------------------------------------- discovery


def remote_files(folder: ObjectPath) -> tuple[ObjectPath, ...]:
    """The data files directly inside a remote folder (prefix), sorted by name."""
    fs = filesystem(folder.url)
    entries = fs.ls(folder.key, detail=True)
    names = [
        e["name"].lstrip("/")  # fsspec's memory file system lists "/bucket/key"
        for e in entries
        if e.get("type") == "file" and is_data_name(PurePosixPath(e["name"]).name)
    ]
    return tuple(ObjectPath(f"{folder.scheme}://{n}") for n in sorted(names))


def remote_matches(pattern: str) -> list[tuple[ObjectPath, tuple[ObjectPath, ...] | None]]:
    """Every match of a remote glob: (entry, its data files) for a folder, (file, None) for a
    data file; hidden and temporary names are skipped."""
    scheme = scheme_of(pattern)
    assert scheme is not None
    fs = filesystem(pattern)
    key = pattern.split("://", 1)[1].lstrip("/")
    if not any(ch in key for ch in "*?["):
        found = [key.strip("/")]
    else:
        found = sorted(fs.glob(key.rstrip("/")))
    out: list[tuple[ObjectPath, tuple[ObjectPath, ...] | None]] = []
    for name in found:
        name = name.strip("/")  # fsspec's memory file system lists "/bucket/key"
        base = PurePosixPath(name).name
        if (
            is_skipped(base)
            or base == "manifest.json"
            or not fnmatch.fnmatch(name, key.rstrip("/"))
        ):
            continue
        entry = ObjectPath(f"{scheme}://{name}")
        try:
            info = fs.info(name)
        except FileNotFoundError:
            continue
        if info.get("type") == "directory":
            out.append((entry, remote_files(entry)))
        elif is_data_name(base):
            out.append((entry, None))
    return out


def fingerprint_objects(paths: Sequence[ObjectPath]) -> str:
    """blake2b (16 bytes, hex) over each object's name, size and ETag (else modification time).

    One ``HEAD`` per object, no data read. ``FileNotFoundError`` when an object vanished.
    """
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(_stamp(path).encode("utf-8") + b"\0")
    return digest.hexdigest()


def _stamp(path: ObjectPath) -> str:
    """``size:etag`` of one object (``size:mtime`` when the store gives no ETag)."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    fs = filesystem(path.url)
    if isinstance(fs, ArrowFSWrapper):
        try:
            with fs.fs.open_input_file(path.key) as handle:
                meta = {k.lower(): v for k, v in handle.metadata().items()}
                size = handle.size()
        except OSError as error:
            if "not exist" in str(error).lower() or "not found" in str(error).lower():
                raise FileNotFoundError(path.url) from error
            raise
        etag = meta.get("etag") or meta.get("last-modified") or b""
        return f"{size}:{etag.decode('utf-8', 'replace') if isinstance(etag, bytes) else etag}"
    info = fs.info(path.key)
    etag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("created") or ""
    return f"{info.get('size')}:{etag}"
