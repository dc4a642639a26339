"""The DuckDB store: runs written one transaction each, the schema and its migrations, the synthetic
registry, typed reads of the history, and retention.
"""

from monitor.store.database import (
    FAILED_FIGURES,
    Store,
    StoreError,
    StoreLocked,
    open_history,
    restore_snapshot,
    snapshot_path,
)
from monitor.store.history import version_figures
from monitor.store.reads import LatestRun, figures_by_version, latest_level, latest_run
from monitor.store.registry import RegistryFiles, SyntheticRegistry, configured_sources
from monitor.store.retention import (
    baseline_window,
    compact_file,
    prune,
    store_bytes,
    verdict_window,
)

__all__ = [
    "FAILED_FIGURES",
    "LatestRun",
    "RegistryFiles",
    "Store",
    "StoreError",
    "StoreLocked",
    "SyntheticRegistry",
    "baseline_window",
    "compact_file",
    "configured_sources",
    "figures_by_version",
    "latest_level",
    "latest_run",
    "open_history",
    "prune",
    "restore_snapshot",
    "snapshot_path",
    "store_bytes",
    "verdict_window",
    "version_figures",
]
