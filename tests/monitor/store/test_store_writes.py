"""The store's per-run writes that skip DuckDB's ON CONFLICT (issue 26): a version's row is
written once per (subject, name, fingerprint), and a new registry source's row is inserted;
the tables end as the previous statements (``ON CONFLICT DO NOTHING``, the upsert) leave them.
Real DuckDB files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine

from monitor.store import schema
from monitor.store.database import Store
from monitor.store.registry import SyntheticRegistry
from tests.support.store_runs import run

_PREVIOUS_INSERT_VERSION = """
INSERT INTO versions (subject_id, name, fingerprint, version_index, first_seen)
VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
"""
_SEQUENCE = [  # (version, index, status, subject, fingerprint)
    ("v1", 1, "failed", "gan", "a"),
    ("v1", 1, "ok", "gan", "a"),  # the same content measured after a failure: kept
    ("v2", 2, "ok", "gan", "a"),
    ("v1", 3, "ok", "gan", "b"),  # rewritten (new fingerprint): a second row
    ("v1", 1, "ok", "vae", "a"),  # the same name under another subject
    ("v2", 5, "failed", "gan", "a"),  # a failed run of a measured version: the row kept
]


def _versions(store: Store) -> list[tuple[object, ...]]:
    rows = store.fetch_arrow(
        "SELECT s.name AS subject, v.name, v.fingerprint, v.version_index "
        "FROM versions v JOIN subjects s ON s.id = v.subject_id ORDER BY 1, 2, 3"
    )
    return [tuple(r.values()) for r in rows.to_pylist()]


def _record(store: Store) -> None:
    for minute, (version, index, status, subject, fingerprint) in enumerate(_SEQUENCE):
        result = run(version, index, status=status, subject=subject, fingerprint=fingerprint)
        result.started_at = result.started_at.replace(minute=minute)
        result.finished_at = result.finished_at.replace(minute=minute)
        store.record_run(result)


def test_a_version_row_is_written_once_as_on_conflict_did(tmp_path: Path) -> None:
    with Store(tmp_path / "now.duckdb") as store:
        _record(store)
        seen = store.fetch_arrow("SELECT name, fingerprint, first_seen FROM versions").to_pylist()
        _record(store)  # every run again: no version row added or changed
        again = store.fetch_arrow("SELECT name, fingerprint, first_seen FROM versions")
        assert sorted(again.to_pylist(), key=str) == sorted(seen, key=str)
        got = _versions(store)
    with Store(tmp_path / "before.duckdb") as before:  # the previous statement, same runs
        current = schema.INSERT_VERSION
        schema.INSERT_VERSION = _PREVIOUS_INSERT_VERSION
        try:
            _record(before)
            _record(before)
        finally:
            schema.INSERT_VERSION = current
        expected = _versions(before)
    assert got == expected
    assert got == [
        ("gan", "v1", "a", 1),
        ("gan", "v1", "b", 3),
        ("gan", "v2", "a", 2),
        ("vae", "v1", "a", 1),
    ]


def test_a_new_source_is_inserted_and_a_known_one_updated(tmp_path: Path) -> None:
    data = load_wine().data
    first = np.unique((data[:60] * 1000).astype(np.uint64).sum(axis=1))
    second = np.unique((data[60:140] * 1000).astype(np.uint64).sum(axis=1))
    with Store(tmp_path / "tw.duckdb") as store:
        registry = SyntheticRegistry(store)
        store.write(registry.sample_writer("g", "v1", "c1", first))  # new: inserted
        registry.replace("sample:g/v1@c1", "human", "c2", second)  # known: updated in place
        rows = store.fetch_arrow(
            "SELECT source, kind, content_fingerprint, rows FROM registry_sources"
        ).to_pylist()
        assert rows == [
            {
                "source": "sample:g/v1@c1",
                "kind": "human",
                "content_fingerprint": "c2",
                "rows": len(second),
            }
        ]
        assert registry.counts() == {"synthetic": 0, "human": len(second)}
