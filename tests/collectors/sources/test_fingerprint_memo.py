"""The file-fingerprint memo (:class:`collectors.sources.discovery.FileFingerprints`): a memoised
hash equals a fresh read, and every change to a file is still detected -- content rewritten with
the same size, the file touched, the file replaced by rename, its modification time set back,
a write within the clock's granularity of the read (git's racy rule). Real files in tmp_path."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine

from collectors.sources.discovery import (
    FILE_FINGERPRINTS,
    FileFingerprints,
    _hash_files,
    discover_versions,
    fingerprint_files,
)

SETTLE = 50_000_000  # ns: files written longer ago than this count as settled in these tests


def _fresh(paths: list[Path]) -> str:
    """The definition: read and hash now, no memo."""
    return _hash_files(paths)[0]


def _settled_memo(paths: list[Path]) -> FileFingerprints:
    """A memo holding ``paths``' hash (their times older than its racy margin)."""
    memo = FileFingerprints(racy_ns=SETTLE)
    time.sleep(2 * SETTLE / 1e9)
    assert memo.fingerprint(paths) == _fresh(paths)
    assert memo.fingerprint(paths) == _fresh(paths)
    assert memo.hashed == 1  # the second answer came from the memo
    return memo


def _wine_files(tmp_path: Path) -> list[Path]:
    frame = load_wine(as_frame=True).frame
    first, second = tmp_path / "part-0.csv", tmp_path / "part-1.csv"
    frame.iloc[:90].to_csv(first, index=False)
    frame.iloc[90:].to_csv(second, index=False)
    return [first, second]


def test_memoised_hash_is_the_definition(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    memo = _settled_memo(paths)
    assert memo.fingerprint(paths) == fingerprint_files(paths) == _fresh(paths)
    assert memo.fingerprint(paths[:1]) == _fresh(paths[:1]) != _fresh(paths)
    assert memo.hashed == 2


def _same_size_edit(path: Path) -> bytes:
    """The file's bytes with one digit changed (same size)."""
    data = bytearray(path.read_bytes())
    at = next(i for i in range(len(data) // 2, len(data)) if chr(data[i]).isdigit())
    data[at] = ord("1") if data[at] != ord("1") else ord("2")
    return bytes(data)


def test_rewritten_in_place_with_the_same_size_is_detected(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    memo = _settled_memo(paths)
    before, info = _fresh(paths), os.stat(paths[1])
    with open(paths[1], "r+b") as handle:  # in place: same inode, same size
        handle.write(_same_size_edit(paths[1]))
    after = os.stat(paths[1])
    assert (after.st_ino, after.st_size) == (info.st_ino, info.st_size)
    assert memo.fingerprint(paths) == _fresh(paths) != before
    assert memo.hashed == 2


def test_rewritten_with_the_modification_time_set_back_is_detected(tmp_path: Path) -> None:
    """``touch -r`` / ``rsync -t`` after a same-size rewrite: size, inode and mtime as before;
    the change time, which no call can set, tells."""
    paths = _wine_files(tmp_path)
    memo = _settled_memo(paths)
    before, info = _fresh(paths), os.stat(paths[0])
    with open(paths[0], "r+b") as handle:
        handle.write(_same_size_edit(paths[0]))
    os.utime(paths[0], ns=(info.st_atime_ns, info.st_mtime_ns))
    after = os.stat(paths[0])
    assert (after.st_size, after.st_ino, after.st_mtime_ns) == (
        info.st_size,
        info.st_ino,
        info.st_mtime_ns,
    )
    assert memo.fingerprint(paths) == _fresh(paths) != before


def test_touched_is_read_again(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    memo = _settled_memo(paths)
    before = _fresh(paths)
    os.utime(paths[1])  # touch: same content
    assert memo.fingerprint(paths) == before
    assert memo.hashed == 2  # read again, not answered from the memo


def test_replaced_by_rename_is_detected(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    memo = _settled_memo(paths)
    before = _fresh(paths)
    staged = tmp_path / "part-1.csv.tmp"
    staged.write_bytes(_same_size_edit(paths[1]))
    os.replace(staged, paths[1])  # how a generator publishes a file atomically
    assert memo.fingerprint(paths) == _fresh(paths) != before
    # Replaced by rename with the very same bytes: read again, the same hash.
    staged.write_bytes(paths[1].read_bytes())
    os.replace(staged, paths[1])
    assert memo.fingerprint(paths) == _fresh(paths)
    assert memo.hashed == 3


def test_a_link_led_elsewhere_is_detected(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    link = tmp_path / "data.csv"
    link.symlink_to(paths[0])
    memo = _settled_memo([link])
    before = _fresh([link])
    link.unlink()
    link.symlink_to(paths[1])
    # The link's name is hashed, the bytes are the second file's.
    assert memo.fingerprint([link]) == _fresh([link]) != before
    assert memo.hashed == 2


def test_a_write_within_the_clock_granularity_is_not_memoised(tmp_path: Path) -> None:
    """Git's racy rule: a file hashed within ``racy_ns`` of its last change is hashed again
    next time, so a same-size rewrite in the same clock tick (times unchanged) is still seen."""
    memo = FileFingerprints()  # the default margin, 2 s
    path = tmp_path / "v1.csv"
    values = np.random.default_rng(0).integers(0, 10, size=(200, 4))
    pd.DataFrame(values).to_csv(path, index=False)
    first = memo.fingerprint([path])
    assert memo.fingerprint([path]) == first
    assert memo.hashed == 2  # racy: not memoised
    with open(path, "r+b") as handle:
        handle.write(_same_size_edit(path))
    assert memo.fingerprint([path]) == _fresh([path]) != first
    # Times in the future (another machine's clock): never memoised either.
    future = time.time_ns() + 3_600_000_000_000
    os.utime(path, ns=(future, future))
    settled = FileFingerprints(racy_ns=0)
    settled.fingerprint([path])
    settled.fingerprint([path])
    assert settled.hashed == 2


def test_discovered_versions_see_a_same_size_rewrite(tmp_path: Path) -> None:
    """Through the daemon's path (discover_versions and the process memo)."""
    frame = load_wine(as_frame=True).frame
    for name in ("v1", "v2"):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    time.sleep(0.01)
    first = {v.name: v.fingerprint for v in discover_versions(str(tmp_path / "*.csv"))}
    path = tmp_path / "v2.csv"
    with open(path, "r+b") as handle:
        handle.write(_same_size_edit(path))
    again = {v.name: v.fingerprint for v in discover_versions(str(tmp_path / "*.csv"))}
    assert again["v1"] == first["v1"] and again["v2"] != first["v2"]
    assert again["v2"] == _fresh([path])
    assert FILE_FINGERPRINTS.racy_ns == 2_000_000_000


def test_capacity_drops_the_least_recently_used(tmp_path: Path) -> None:
    paths = _wine_files(tmp_path)
    memo = FileFingerprints(racy_ns=SETTLE, capacity=1)
    time.sleep(2 * SETTLE / 1e9)
    memo.fingerprint(paths[:1])
    memo.fingerprint(paths[1:])  # drops the first
    memo.fingerprint(paths[:1])
    assert memo.hashed == 3
