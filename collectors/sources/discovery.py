"""Where versions and reference files are: discovery (helpers of :mod:`collectors.sources.readers`).

A generator writes each version as one data file (``v3.parquet``) or one folder of data files
(``v3/part-0.parquet``), on disk or in object storage; a glob finds them, ``manifest.json``
(``{"order": [...]}``) or the natural order of names orders them, and each gets a content
fingerprint (:class:`VersionRef`). An entry that cannot be read is a version too, with its
problem named. Every error is a :class:`SourceError` naming the file or pattern.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from collectors.sources.formats import FORMATS, format_of, is_skipped

if TYPE_CHECKING:
    from collectors.sources.storage import AnyPath

__all__ = [
    "DATA_SUFFIXES",
    "FILE_FINGERPRINTS",
    "MANIFEST_NAME",
    "FileFingerprints",
    "SourceError",
    "VersionRef",
    "data_kind",
    "discover_versions",
    "fingerprint_files",
    "listed_names",
    "matching_versions",
    "resolve_files",
]

# Derived from the one table of formats (:mod:`collectors.sources.formats`): suffix -> kind.
DATA_SUFFIXES: dict[str, str] = {s: fmt.kind for fmt in FORMATS for s in fmt.suffixes}
MANIFEST_NAME = "manifest.json"
_CHUNK_BYTES = 1 << 20
_MAX_LISTED = 5


class SourceError(ValueError):
    """Data could not be found or read; the message names the file, column or sampler."""


@dataclass(frozen=True)
class VersionRef:
    """One generator version: its name, its data files (sorted) and a content fingerprint.

    ``location`` is the folder or file the version was found at (``None`` for sampler versions);
    an empty folder is still a version, with ``paths == ()``. An entry that cannot be read (no
    permission, a symbolic link loop) is a version too, with ``problem`` naming it and the cause,
    no paths and a fingerprint derived from the problem and the entry's metadata: measuring it
    fails that version only, and a fixed entry gets its real fingerprint (a fresh start).
    """

    name: str
    paths: tuple[AnyPath, ...]
    fingerprint: str
    location: AnyPath | None = None
    problem: str | None = None

    def check_readable(self) -> None:
        """Raise :class:`SourceError` with :attr:`problem` when the entry cannot be read."""
        if self.problem is not None:
            raise SourceError(self.problem)


_skipped = is_skipped


def data_kind(path: Path) -> str | None:
    """The format kind of a data file's name (``parquet``, ``csv``, ``json``, ``npy``), or None."""
    fmt = format_of(path)
    return None if fmt is None else fmt.kind


def _natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting ``v2`` before ``v10``; the raw name breaks ties (``v01`` vs ``v1``)."""
    parts = re.split(r"([0-9]+)", name)
    key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts if p)
    return (*key, (2, 0, name))


def _data_files(folder: Path) -> tuple[Path, ...]:
    """The data files directly inside ``folder``, naturally sorted by name."""
    files = [
        p
        for p in folder.iterdir()
        if not _skipped(p.name) and data_kind(p) is not None and p.is_file()
    ]
    return tuple(sorted(files, key=lambda p: _natural_key(p.name)))


def listed_names(items: Sequence[str]) -> str:
    shown = ", ".join(repr(str(i)) for i in items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _entry_name(path: Path) -> str:
    return path.stem if data_kind(path) is not None else path.name


def _cannot_read(path: Path, error: OSError) -> str:
    cause = error.strerror or str(error) or type(error).__name__
    return f"version {_entry_name(path)!r} ({path}): cannot read it: {cause}"


def matching_versions(pattern: str) -> dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]]:
    """Version name -> (location, data files) for every glob match, in manifest/natural order.

    An entry that cannot be listed or followed (permissions, a symbolic link loop or one that
    leads nowhere) maps to a message naming it and the cause instead of its files. A URL
    (``s3://bucket/corpus/*``) is listed through :mod:`collectors.sources.storage`.
    """
    from collectors.sources import storage

    if storage.is_remote(pattern):
        return _remote_versions(pattern)
    base = Path(pattern).parent
    if not glob.has_magic(str(base)):
        if not base.is_dir():
            raise SourceError(f"versions folder {base} (pattern {pattern!r}) does not exist")
        try:
            os.listdir(base)  # glob hides an unreadable folder as "no match"
        except OSError as error:
            raise SourceError(
                f"versions folder {base} cannot be listed: {error.strerror or error}"
            ) from error
    found: dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]] = {}
    for match in glob.glob(pattern):
        path = Path(match)
        if _skipped(path.name) or path.name == MANIFEST_NAME:
            continue
        files: tuple[Path, ...] | str
        try:
            if path.is_dir():
                name, files = path.name, _data_files(path)
            elif data_kind(path) is not None:
                name, files = path.stem, (path,)
            elif path.is_symlink():
                os.stat(path)  # a loop or a link to nowhere raises here
                continue
            else:
                continue
        except FileNotFoundError:
            if not path.is_symlink():  # removed while we looked: it is no longer a version
                continue
            name = _entry_name(path)
            files = f"version {name!r} ({path}): a symbolic link leads to no file"
        except OSError as error:
            name, files = _entry_name(path), _cannot_read(path, error)
        if name in found:
            raise SourceError(f"two versions are named {name!r}: {found[name][0]} and {path}")
        found[name] = (path, files)
    order = _manifest_order(base) if not glob.has_magic(str(base)) else {}
    names = sorted(
        found,
        key=lambda n: (0, order[n], ()) if n in order else (1, 0, _natural_key(n)),
    )
    return {name: found[name] for name in names}


def _remote_versions(pattern: str) -> dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]]:
    """:func:`matching_versions` for a remote glob (natural order of names; no manifest)."""
    from collectors.sources import storage

    found: dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]] = {}
    for entry, files in storage.remote_matches(pattern):
        name = entry.stem if files is None else entry.name
        if name in found:
            raise SourceError(f"two versions are named {name!r}: {found[name][0]} and {entry}")
        found[name] = (entry, (entry,) if files is None else files)
    return {name: found[name] for name in sorted(found, key=_natural_key)}


def _manifest_order(folder: Path) -> dict[str, int]:
    """Rank of each name in ``folder/manifest.json`` (``{"order": [...]}``); empty when absent."""
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    try:
        order = json.loads(manifest.read_text(encoding="utf-8")).get("order")
    except (OSError, ValueError, AttributeError) as error:
        raise SourceError(
            f"{manifest}: not a JSON object with an 'order' list ({error})"
        ) from error
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise SourceError(f"{manifest}: 'order' must be a list of version names")
    if len(set(order)) != len(order):
        repeated = sorted(n for n, count in Counter(order).items() if count > 1)
        raise SourceError(f"{manifest}: 'order' repeats {listed_names(repeated)}")
    return {name: rank for rank, name in enumerate(order)}


def fingerprint_files(paths: Sequence[AnyPath]) -> str:
    """Content hash (blake2b, 16 bytes, hex) over each file's name, size and bytes, in order.

    Remote objects are fingerprinted by name, size and ETag instead (no data read;
    :func:`collectors.sources.storage.fingerprint_objects`). Local files go through the
    process's :data:`FILE_FINGERPRINTS` memo (:class:`FileFingerprints`): the same hash, read
    again only when a file may have changed.
    """
    from collectors.sources import storage

    objects = [p for p in paths if isinstance(p, storage.ObjectPath)]
    if paths and len(objects) == len(paths):
        return storage.fingerprint_objects(objects)
    local = [p for p in paths if isinstance(p, Path)]
    if len(local) != len(paths):
        raise SourceError(f"cannot fingerprint local and remote files together: {paths[0]}, ...")
    return FILE_FINGERPRINTS.fingerprint(local)


def _hash_files(paths: Sequence[Path]) -> tuple[str, tuple[_Stamp, ...]]:
    """The content hash of :func:`fingerprint_files` and each file's stamp as it was read.

    A file whose stamp changed while it was read gets ``None`` (not memoised)."""
    digest = hashlib.blake2b(digest_size=16)
    stamps: list[_Stamp] = []
    for path in paths:
        with open(path, "rb") as handle:
            before = os.fstat(handle.fileno())
            digest.update(path.name.encode("utf-8") + b"\0")
            digest.update(before.st_size.to_bytes(8, "little"))
            while chunk := handle.read(_CHUNK_BYTES):
                digest.update(chunk)
            stamp = _stamp(before)
            stamps.append(stamp if _stamp(os.fstat(handle.fileno())) == stamp else None)
    return digest.hexdigest(), tuple(stamps)


_Stamp = tuple[int, int, int, int, int] | None


def _stamp(info: os.stat_result) -> tuple[int, int, int, int, int]:
    return (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns, info.st_dev)


class FileFingerprints:
    """A memo of :func:`fingerprint_files` for local files: a file is read and hashed again only
    when its stamp may say nothing about its content.

    The rule is the one make, rsync and git's index use. Each file is keyed by its path and
    stamped with (size, ``st_mtime_ns``, ``st_ino``, ``st_ctime_ns``, ``st_dev``) of the file
    the path resolves to (``(st_dev, st_ino)`` names that file: a link led elsewhere misses).
    Content rewritten in place changes the modification time, a file replaced by rename (or
    deleted and written again) has another inode or a new change time, and even a modification
    time set back (``touch -r``, ``rsync -t``, ``os.utime``) moves the change time, which no
    user call can set. A memoised hash is reused only when every file's stamp, taken now by
    ``os.stat``, equals the stamp it had while it was read (``fstat`` before and after the read;
    a file that changed during the read is not memoised).

    Git's racy-timestamp rule covers the clock's granularity: a write within the same tick as
    the read leaves the times unchanged, so a file whose modification or change time is within
    ``racy_ns`` of the moment it was hashed (or later) is not memoised and is hashed again next
    time. ``racy_ns`` defaults to 2 s, the coarsest common file system clock (FAT; ext3, HFS+
    and many network file systems keep 1 s), and a file whose times lie in the future (another
    machine's clock) is never memoised. So a memoised file's hash is stale only if the file is
    rewritten with the same size, inode and both times, which no write through the kernel does.
    At most ``capacity`` sets of files are kept (least recently used dropped first).
    """

    def __init__(self, racy_ns: int = 2_000_000_000, capacity: int = 4096) -> None:
        self.racy_ns = racy_ns
        self.capacity = capacity
        self.hashed = 0  # sets of files read and hashed (not answered from the memo)
        self._memo: dict[tuple[str, ...], tuple[tuple[_Stamp, ...], str]] = {}
        self._lock = threading.Lock()

    def fingerprint(self, paths: Sequence[Path]) -> str:
        """:func:`fingerprint_files` of local ``paths``, from the memo when no file changed."""
        key = tuple(str(p) for p in paths)
        now = [_stamp(os.stat(p)) for p in paths]  # the file a link leads to, as ``open``
        with self._lock:
            found = self._memo.pop(key, None)
            if found is not None and list(found[0]) == now:
                self._memo[key] = found  # most recently used last
                return found[1]
        started = time.time_ns()
        fingerprint, stamps = _hash_files(paths)
        settled = started - self.racy_ns
        with self._lock:
            self.hashed += 1
            if all(s is not None and max(s[1], s[3]) < settled for s in stamps):
                self._memo[key] = (stamps, fingerprint)
                while len(self._memo) > self.capacity:
                    del self._memo[next(iter(self._memo))]
        return fingerprint


FILE_FINGERPRINTS = FileFingerprints()


def discover_versions(pattern: str) -> list[VersionRef]:
    """Every version matching ``pattern``, in manifest order then natural order of names.

    A match is a version folder (its data files, sorted) or a data file (named by its stem).
    Hidden and ``.tmp``/``.partial`` names and ``manifest.json`` are skipped; a version removed
    while it is being listed is left out. An entry that cannot be read is a version with a
    :attr:`VersionRef.problem`, so only that version fails. No match is an empty list (no version
    written yet); a versions folder that does not exist or cannot be listed is an error.
    """
    versions = []
    for name, (location, files) in matching_versions(pattern).items():
        if isinstance(files, str):
            versions.append(_unreadable(name, location, files))
            continue
        try:
            fingerprint = fingerprint_files(files)
        except FileNotFoundError:
            if any(p.is_symlink() for p in files):
                problem = f"version {name!r} ({location}): a symbolic link leads to no file"
                versions.append(_unreadable(name, location, problem))
            continue  # removed while we looked
        except OSError as error:
            where = next(
                (p for p in files if isinstance(p, Path) and not os.access(p, os.R_OK)), location
            )
            problem = f"version {name!r} ({where}): cannot read it: {error.strerror or error}"
            versions.append(_unreadable(name, location, problem))
            continue
        versions.append(VersionRef(name, files, fingerprint, location))
    return versions


def _unreadable(name: str, location: AnyPath, problem: str) -> VersionRef:
    """A version that cannot be read: fingerprinted by its problem and the entry's metadata."""
    stamp = ""
    if isinstance(location, Path):
        with contextlib.suppress(OSError):
            info = os.lstat(location)
            stamp = f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}"
    digest = hashlib.blake2b(f"{problem}\0{stamp}".encode(), digest_size=8).hexdigest()
    return VersionRef(name, (), f"unreadable:{digest}", location, problem)


def resolve_files(pattern: str) -> list[AnyPath]:
    """The data files of a reference or holdout glob (folders expand to their data files)."""
    from collectors.sources import storage

    files: list[AnyPath] = []
    if storage.is_remote(pattern):
        for entry, found in storage.remote_matches(pattern):
            files.extend((entry,) if found is None else found)
    for match in [] if files else sorted(glob.glob(pattern), key=_natural_key):
        path = Path(match)
        if _skipped(path.name):
            continue
        if path.is_dir():
            files.extend(_data_files(path))
        elif data_kind(path) is not None:
            files.append(path)
    if not files:
        suffixes = ", ".join(DATA_SUFFIXES)
        raise SourceError(f"pattern {pattern!r} matches no data files ({suffixes})")
    return files
