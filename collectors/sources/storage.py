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
import functools
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from collectors.sources.formats import is_data_name, is_skipped
from collectors.sources.storage_errors import ObjectStorageError, forget, note, retrying

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
        """fsspec ``info`` of the object, or None when it does not exist (outages retried,
        access problems raised: :mod:`collectors.sources.storage_errors`)."""
        try:
            return retrying(lambda: filesystem(self.url).info(self.key), self.url)
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

    class _Wrapped(ArrowFSWrapper):
        """pyarrow's S3 for fsspec and DuckDB; its primitives retry outages, and a failure is
        noted, since fsspec's ``glob``/``exists`` and DuckDB hide them ("no match", "too
        small to be a Parquet file")."""

        protocol = (scheme,)  # DuckDB routes ``<scheme>://`` paths to it by this attribute

        def _guard(self, call: Any, path: object) -> Any:
            try:
                return retrying(call, f"{scheme}://{str(path).split('://', 1)[-1]}")
            except ObjectStorageError as error:
                note(path, error)
                raise

        def ls(self, path: str, detail: bool = False, **kwargs: Any) -> Any:
            return self._guard(lambda: super(_Wrapped, self).ls(path, detail, **kwargs), path)

        def info(self, path: str, **kwargs: Any) -> Any:
            return self._guard(lambda: super(_Wrapped, self).info(path, **kwargs), path)

        def _open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
            call = lambda: super(_Wrapped, self)._open(path, mode, *args, **kwargs)  # noqa: E731
            return self._guard(call, path)

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
    paths = list(paths)
    forget([p for p in paths if is_remote(p)])  # what an earlier read noted is not this one's
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


def _listing(fs: Any, key: str, url: str) -> list[dict[str, Any]]:
    """``fs.ls(key, detail=True)`` with names as ``bucket/key``; empty when nothing is there.
    Outages are retried and access problems raised (fsspec's ``glob`` would hide both as "no
    match")."""
    try:
        entries = retrying(lambda: fs.ls(key, detail=True), url)
    except FileNotFoundError:
        return []
    # fsspec's memory file system lists "/bucket/key"
    return [{**e, "name": str(e["name"]).strip("/")} for e in entries]


def remote_files(folder: ObjectPath) -> tuple[ObjectPath, ...]:
    """The data files directly inside a remote folder (prefix), sorted by name."""
    entries = _listing(filesystem(folder.url), folder.key, folder.url)
    names = [
        e["name"]
        for e in entries
        if e.get("type") == "file" and is_data_name(PurePosixPath(e["name"]).name)
    ]
    return tuple(ObjectPath(f"{folder.scheme}://{n}") for n in sorted(names))


def _matches(fs: Any, key: str, url: str) -> list[dict[str, Any]]:
    """The entries (name, type) a remote glob ``key`` matches."""
    parts = key.split("/")
    magic = next(i for i, part in enumerate(parts) if any(ch in part for ch in "*?["))
    base = "/".join(parts[:magic])
    if magic == len(parts) - 1:  # the usual "prefix/*": one listing
        return [e for e in _listing(fs, base, url) if fnmatch.fnmatch(e["name"], key)]
    _listing(fs, base, url)  # raises what glob would hide
    names = sorted(str(n).strip("/") for n in fs.glob(key))
    return [{"name": n, "type": None} for n in names]


def remote_matches(pattern: str) -> list[tuple[ObjectPath, tuple[ObjectPath, ...] | None]]:
    """Every match of a remote glob: (entry, its data files) for a folder, (file, None) for a
    data file; hidden and temporary names are skipped. Object-storage outages and access
    problems raise :class:`~collectors.sources.storage_errors.ObjectStorageError`."""
    scheme = scheme_of(pattern)
    assert scheme is not None
    fs = filesystem(pattern)
    key = pattern.split("://", 1)[1].strip("/")
    if any(ch in key for ch in "*?["):
        found = _matches(fs, key, pattern)
    else:
        found = [{"name": key, "type": None}]
    out: list[tuple[ObjectPath, tuple[ObjectPath, ...] | None]] = []
    for item in sorted(found, key=lambda e: e["name"]):
        name = item["name"]
        base = PurePosixPath(name).name
        if is_skipped(base) or base == "manifest.json":
            continue
        entry = ObjectPath(f"{scheme}://{name}")
        kind = item.get("type")
        if kind not in ("file", "directory"):
            try:
                kind = retrying(functools.partial(fs.info, name), entry.url).get("type")
            except FileNotFoundError:
                if found == [item]:  # one named object: is its bucket there at all?
                    _listing(fs, str(PurePosixPath(name).parent), pattern)
                continue
        if kind == "directory":
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

        def head() -> tuple[dict[str, Any], int]:
            try:
                with fs.fs.open_input_file(path.key) as handle:
                    return {k.lower(): v for k, v in handle.metadata().items()}, handle.size()
            except OSError as error:
                if "not exist" in str(error).lower() or "not found" in str(error).lower():
                    raise FileNotFoundError(path.url) from error
                raise

        meta, size = retrying(head, path.url)
        etag = meta.get("etag") or meta.get("last-modified") or b""
        return f"{size}:{etag.decode('utf-8', 'replace') if isinstance(etag, bytes) else etag}"
    info = retrying(lambda: fs.info(path.key), path.url)
    etag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("created") or ""
    return f"{info.get('size')}:{etag}"
