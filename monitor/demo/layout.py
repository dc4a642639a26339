"""Where a demo scenario writes its files, below one root folder (both scenarios share it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScenarioFolders", "daemon_config", "write_parquet_atomic"]


@dataclass
class ScenarioFolders:
    """The reference, holdout, versions and corpora of a scenario rooted at ``root``."""

    root: Path

    @property
    def reference_path(self) -> Path:
        return self.root / "real" / "reference.parquet"

    @property
    def holdout_path(self) -> Path:
        return self.root / "holdout" / "holdout.parquet"

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def eval_dir(self) -> Path:
        return self.root / "eval"


def daemon_config(port: int) -> str:
    """The demo daemon's own part of a configuration (TOML): store, exporter, quick retries."""
    return f"""[storage]
path = "tailwatch.duckdb"

[exporter]
host = "127.0.0.1"
port = {port}

[scheduler]
misfire_grace_seconds = 30
retry_initial_seconds = 2
retry_max_seconds = 10
"""


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a hidden temporary file and a rename, so the daemon
    never reads a half-written version or snapshot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(temporary, index=False)
    temporary.replace(path)
