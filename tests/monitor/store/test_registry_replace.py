"""A registry source replaced whole (``registry._insert``): the DELETEs run only for a source
already in ``registry_sources``, and every replacement still leaves exactly the new rows, for the
same source, another kind, a new source beside old ones, and a rolled-back write. Real DuckDB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from monitor.store.database import Store
from monitor.store.registry import SyntheticRegistry


def _rows(store: Store, table: str, source: str) -> list[int]:
    got = store.fetch_arrow(
        f"SELECT fingerprint FROM {table} WHERE source = ? ORDER BY fingerprint", [source]
    )
    return [int(v) for v in got.column("fingerprint").to_pylist()]


def _fingerprints(seed: int, n: int) -> np.ndarray:
    pixels = load_digits().data[seed * n : (seed + 1) * n].astype(np.uint64)
    return np.unique(pixels @ (np.uint64(17) ** np.arange(64, dtype=np.uint64)))


def test_replacing_leaves_exactly_the_new_rows(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as store:
        registry = SyntheticRegistry(store)
        a1, a2, b = _fingerprints(0, 300), _fingerprints(1, 200), _fingerprints(2, 250)
        registry.replace("dump:a", "synthetic", "c1", a1, generator="g")
        registry.replace("dump:b", "synthetic", "c1", b, generator="g")  # new, beside a
        assert _rows(store, "synthetic_registry", "dump:a") == sorted(a1.tolist())
        registry.replace("dump:a", "synthetic", "c2", a2, generator="g")  # replaced
        assert _rows(store, "synthetic_registry", "dump:a") == sorted(a2.tolist())
        assert _rows(store, "synthetic_registry", "dump:b") == sorted(b.tolist())
        registry.replace("dump:a", "human", "c3", a1)  # another kind, same source
        assert _rows(store, "synthetic_registry", "dump:a") == []
        assert _rows(store, "known_human", "dump:a") == sorted(a1.tolist())
        registry.replace("dump:a", "synthetic", "c4", a2[:0], generator="g")  # emptied
        assert _rows(store, "known_human", "dump:a") == []
        assert registry.counts() == {"synthetic": len(b), "human": 0}


def test_a_rolled_back_new_source_leaves_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as store:
        registry = SyntheticRegistry(store)
        writer = registry.sample_writer("g", "v1", "c", _fingerprints(0, 100))

        def failing(cursor: object) -> None:
            writer(cursor)  # type: ignore[arg-type]
            raise RuntimeError("killed mid-write")

        with pytest.raises(RuntimeError):
            store.write(failing)
        assert store.fetch_arrow("SELECT * FROM registry_sources").num_rows == 0
        assert store.fetch_arrow("SELECT * FROM synthetic_registry").num_rows == 0
        store.write(writer)
        source = "sample:g/v1@c"
        assert _rows(store, "synthetic_registry", source) == sorted(_fingerprints(0, 100).tolist())
