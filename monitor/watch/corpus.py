"""One corpus: find new snapshots, scan each with DuckDB against the synthetic registry, store it.

A snapshot is one match of ``snapshots`` (a folder of Parquet/CSV files, or one file), named and
fingerprinted like generator versions, so a rewritten snapshot is scanned again. Each scan runs
:func:`collectors.corpus.scan.scan_snapshot` in its own in-memory DuckDB (``memory_limit`` from
``[storage]``, spilling to a folder beside the store) with the registry handed over as Arrow, so
the store's writer is never held while files are read; the run, its figures and the details go
into the store in one transaction. The snapshot's fingerprint multiset is kept beside the store
(``<store>.corpora/<corpus>/``) for the next snapshot's rows added/removed; it is written before
the run is recorded, so a crash in between only means the snapshot is scanned again. Failures
back off and are capped like generator versions (:func:`monitor.watch.base.pending_versions`).
With ``[corpora.engine] kind = "ray"`` a full scan's rows are counted on a Ray cluster
(:mod:`collectors.corpus.ray_scan`): the run, its figures and the multiset file are the same, and a
scan that fails on the cluster is a failed run like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import duckdb
import pandas as pd
import pyarrow as pa

from collectors.corpus import (
    CorpusFigures,
    NearDuplicateDetector,
    SamplingSettings,
    build_detector,
    corpus_details,
    corpus_metrics,
    scan_snapshot,
)
from collectors.corpus import CorpusSettings as ScanSettings
from collectors.corpus.scan import FullScanEngine
from collectors.result import MetricValue, RunResult
from collectors.sources import SourceError, VersionRef, discover_versions, read_table, resolve_files
from collectors.sources.formats import suffixes
from monitor.settings import CorpusSettings, SchedulerSettings
from monitor.store import RegistryFiles, Store
from monitor.watch.base import Measured, ScanPlan, Watch, error_text, pending_versions
from monitor.watch.budget import Budget, resolve_budget

__all__ = ["CorpusWatch", "state_folder"]

log = logging.getLogger("tailwatch.corpus")
KIND: Final = "corpus"
NEAR_DUPLICATE_ROWS = 5_000  # registry and known-human rows sampled per source for the detector


def state_folder(store_path: str | Path) -> Path:
    """Where corpus scans keep fingerprint files and spill: beside the store file."""
    path = Path(store_path)
    return path.with_name(path.name + ".corpora")


@dataclass
class CorpusPlan(ScanPlan):
    """A corpus scan: every snapshot discovered (the previous one is each scan's baseline), the
    synthetic registry and the near-duplicate detector its snapshots share."""

    snapshots: list[VersionRef] = field(default_factory=list)
    registry: pa.Table | None = None
    detector: NearDuplicateDetector | None = None


# not the scan's; the engine changes where rows are counted, not the figures (same reference key)
WATCH_ONLY_FIELDS = frozenset({"name", "snapshots", "interval_seconds", "engine"})


def scan_settings(config: CorpusSettings, budget: Budget | None = None) -> ScanSettings:
    """The scan's settings, copied by name from the ``[[corpora]]`` entry (every field of the
    configuration but :data:`WATCH_ONLY_FIELDS` is one of the scan's, under the same name);
    ``budget``: the resolved ``max_synthetic_fraction`` (needed for "from:<generator>",
    :mod:`monitor.watch.budget`)."""
    values = config.model_dump(exclude=set(WATCH_ONLY_FIELDS))
    if budget is not None:
        values["max_synthetic_fraction"] = budget.value
    elif isinstance(values["max_synthetic_fraction"], str):
        raise ValueError(
            f"corpus {config.name!r}: max_synthetic_fraction = "
            f"{values['max_synthetic_fraction']!r} is resolved from the store (resolve_budget)"
        )
    values["sampling"] = SamplingSettings(**values["sampling"])
    return ScanSettings(**values)


class CorpusWatch(Watch):
    """Scans one configured corpus; every error becomes a failed run naming its cause."""

    kind = KIND
    item = "snapshot"
    measured_event = "snapshot scanned"

    def __init__(
        self,
        settings: CorpusSettings,
        store: Store,
        *,
        registry_sources: Sequence[RegistryFiles] = (),
        scheduler: SchedulerSettings | None = None,
        memory_limit: str | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(
            settings, store, scheduler=scheduler, memory_limit=memory_limit, stop=stop, clock=clock
        )
        self.settings: CorpusSettings = settings
        self.registry_sources = tuple(registry_sources)
        self.folder = state_folder(store.path) / settings.name
        self._detector: tuple[str, NearDuplicateDetector | None] | None = None

    def storage_folders(self) -> list[Path]:
        """The store's folder and this corpus's state folder (fingerprints, spill)."""
        return [*super().storage_folders(), self.folder]

    def scan_settings(self, budget: Budget | None = None) -> ScanSettings:
        """The collector's view of this corpus's configuration, its budget resolved."""
        return scan_settings(self.settings, budget or self.budget())

    def budget(self) -> Budget:
        """The synthetic budget of the next scan: the configured share, or the named
        generator's latest safe_synthetic_share (0 until it has one; monitor.watch.budget)."""
        budget = resolve_budget(self.settings.max_synthetic_fraction, self.store)
        if budget.generator is not None and not budget.evidence:
            log.warning("corpus budget without evidence",
                        extra={"corpus": self.name, "note": budget.note})  # fmt: skip
        return budget

    def engine(self) -> FullScanEngine | None:
        """The Ray engine of ``[corpora.engine] kind = "ray"``; None: DuckDB in this process."""
        e = self.settings.engine
        if e.kind != "ray":
            return None
        from collectors.corpus.ray_scan import RayEngine  # the optional ray extra

        return RayEngine(
            address=e.address,
            num_cpus=e.num_cpus,
            batch_rows=e.batch_rows,
            max_retries=e.max_retries,
        )

    def reference_key(self) -> str:
        """What snapshots are measured against: the settings (failures are capped per key)."""
        config = self.settings.model_dump(exclude=set(WATCH_ONLY_FIELDS))
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:32]

    def snapshots(self) -> list[VersionRef]:
        return discover_versions(self.settings.snapshots)

    def todo(
        self, snapshots: Sequence[VersionRef] | None = None
    ) -> tuple[list[tuple[int, VersionRef]], int]:
        """(index, snapshot) pairs to scan now, and how many others wait (backoff, cap).

        ``snapshots`` is :meth:`snapshots`'s list (discovered here when not given: discovery
        hashes every file, so a scan does it once).
        """
        return pending_versions(
            self.store,
            KIND,
            self.name,
            self.snapshots() if snapshots is None else snapshots,
            self.reference_key(),
            self.clock(),
            self.retry,
        )

    # -- files beside the store ---------------------------------------------------------------

    def fingerprint_file(self, snapshot: VersionRef) -> Path:
        """This snapshot's fingerprint multiset (Parquet), keyed by name and content."""
        key = hashlib.sha256(f"{snapshot.name}\0{snapshot.fingerprint}".encode()).hexdigest()
        return self.folder / f"{key[:24]}.parquet"

    def _previous(self, snapshots: Sequence[VersionRef], index: int) -> VersionRef | None:
        measured = self.store.measured(KIND, self.name)
        earlier = [s for s in snapshots[:index] if measured.get(s.name) == s.fingerprint]
        return earlier[-1] if earlier else None

    # -- near-duplicates ----------------------------------------------------------------------

    def detector(self) -> NearDuplicateDetector | None:
        """A near-duplicate detector from the synthetic dumps and known-human data that have this
        corpus's content columns, or None without a synthetic dump.

        The detector is :func:`collectors.corpus.build_detector`'s choice for the content.
        Rebuilt only when those sources change.
        """
        columns = tuple(self.settings.content_columns)
        matching = [s for s in self.registry_sources if s.content_columns == columns]
        key = "|".join(f"{s.source}={self.registry.content_of(s.source)}" for s in matching)
        if self._detector is not None and self._detector[0] == key:
            return self._detector[1]
        synthetic = self._frames([s for s in matching if s.kind == "synthetic"])
        human = self._frames([s for s in matching if s.kind == "human"])
        detector = None
        if synthetic is not None and len(synthetic) > 0:
            detector = build_detector(
                {c: synthetic[c].tolist() for c in columns},
                None if human is None else {c: human[c].tolist() for c in columns},
                columns,
                seed=self.settings.seed + 1,
            )
        self._detector = (key, detector)
        return detector

    def _frames(self, sources: Sequence[RegistryFiles]) -> pd.DataFrame | None:
        frames = [
            read_table(
                resolve_files(item.pattern),
                columns=list(self.settings.content_columns),
                sample_size=NEAR_DUPLICATE_ROWS,
                seed=self.settings.seed,
                source=f"registry source {item.source}",
                memory_limit=self.memory_limit,
            )
            for item in sources
        ]
        return pd.concat(frames, ignore_index=True) if frames else None

    # -- one snapshot -------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        spill = self.folder / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        config = {"temp_directory": str(spill)}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        return duckdb.connect(config=dict(config))

    def measure(
        self,
        index: int,
        snapshot: VersionRef,
        snapshots: Sequence[VersionRef],
        registry: pa.Table,
        detector: NearDuplicateDetector | None,
    ) -> tuple[RunResult, CorpusFigures | None]:
        """Scan one snapshot; any error becomes a failed run naming its cause."""
        started = self.clock()
        where = snapshot.location or "no location"
        label = f"snapshot {snapshot.name!r} of corpus {self.name} ({where})"
        figures: CorpusFigures | None = None
        budget: Budget | None = None
        metrics: list[MetricValue] = []
        error: Exception | None = None
        try:
            snapshot.check_readable()
            if not snapshot.paths:
                raise SourceError(f"{label}: no data files ({', '.join(suffixes(columns=True))})")
            previous = self._previous(snapshots, index)
            previous_file = None if previous is None else self.fingerprint_file(previous)
            lost = previous_file is not None and not previous_file.is_file()
            baseline = list(snapshots[0].paths) if index > 0 and snapshots[0].paths else None
            self.folder.mkdir(parents=True, exist_ok=True)
            budget = self.budget()
            settings = self.scan_settings(budget)
            connection = self._connection()
            try:
                connection.register("tw_registry", registry)
                figures = scan_snapshot(
                    connection,
                    list(snapshot.paths),
                    "tw_registry",
                    settings,
                    previous_fingerprints=None if lost else previous_file,
                    fingerprints_out=self.fingerprint_file(snapshot),
                    baseline=baseline,
                    near_duplicates=detector,
                    source=label,
                    engine=self.engine(),
                )
            finally:
                connection.close()
            metrics = self._metrics(figures, settings, lost)
        except Exception as caught:  # every cause of a failed run is recorded, not raised
            error = caught
            figures = None
            log.warning(
                "run failed",
                extra={"corpus": self.name, "snapshot": snapshot.name, "error": str(caught)},
            )
        result = RunResult(
            subject_kind=KIND,
            subject=self.name,
            version=snapshot.name,
            fingerprint=snapshot.fingerprint,
            version_index=index,
            started_at=started,
            finished_at=self.clock(),
            status="failed" if error else "ok",
            error=None if error is None else error_text(error),
            sample_rows=0 if figures is None else figures.rows,
            metrics=metrics,
            reference_fingerprint=self.reference_key(),
        )
        if figures is not None:
            result.details = corpus_details(figures)
            if budget is not None and budget.generator is not None:  # where the budget came from
                source = (budget.generator, budget.version, budget.value, budget.note)
                keys = ("generator", "version", "value", "note")
                result.details["budget"] = json.dumps(dict(zip(keys, source, strict=True)))
        return result, figures

    def _metrics(
        self, figures: CorpusFigures, settings: ScanSettings, lost_previous: bool
    ) -> list[MetricValue]:
        metrics = corpus_metrics(figures, settings)
        if lost_previous:  # without the previous multiset every row would count as added
            log.warning("previous fingerprints missing", extra={"corpus": self.name})
            metrics = [m for m in metrics if m.metric not in {"rows_added", "rows_removed"}]
        return metrics

    # -- the scan -----------------------------------------------------------------------------

    def plan(self) -> CorpusPlan:
        snapshots = self.snapshots()  # discovery hashes every file: once a scan
        due, waiting = self.todo(snapshots)
        return CorpusPlan(due, waiting, snapshots)

    def prepare(self, plan: ScanPlan) -> None:
        assert isinstance(plan, CorpusPlan)
        for source, error in self.registry.sync(self.registry_sources):
            log.error("registry source skipped", extra={"source": source, "error": str(error)})
        plan.registry = self.registry.relation()
        try:
            plan.detector = self.detector()
        except Exception as error:  # near-duplicates are left out, the scan goes on
            log.error("near-duplicate detector failed", extra={"error": str(error)})

    def measure_one(self, index: int, version: VersionRef, plan: ScanPlan) -> Measured:
        assert isinstance(plan, CorpusPlan) and plan.registry is not None
        result, figures = self.measure(index, version, plan.snapshots, plan.registry, plan.detector)
        if figures is None:
            return Measured(result)
        logged = {
            "rows": figures.rows,
            "synthetic_fraction": figures.synthetic_fraction,
            "unlabeled_synthetic_rows": figures.unlabeled_synthetic_rows,
        }
        return Measured(result, logged=logged)
