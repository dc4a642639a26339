"""One generator's scan: find versions not yet measured, measure each, record one run per version.

Flow: sources (versions on disk or a sampler) -> the fitted reference (feature map, distance
model, healthy levels) -> :class:`collectors.generator.Measurement` -> a ``RunResult`` with the
figures against the reference, their ratios to the baseline (first measured) and previous
versions, and the healthy levels -> the store, one transaction per version.

Every failure of one version (unreadable file, missing column, NaN, a sampler that raises or times
out, a reference that cannot be fitted) becomes a *failed* run that names the cause; nothing stored
is touched and the next version is tried. A failed version is retried with exponential backoff up
to a cap of attempts; a rewritten version (new content fingerprint) is measured afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

from collectors.constraints import check_version_rows
from collectors.families.structure import StructureOptions
from collectors.gates.mixing import MixingPlan
from collectors.generator import GeneratorReference, Measurement
from collectors.healthy import HealthyLevels
from collectors.metrics import RELATIVE_METRICS
from collectors.provenance import fingerprint_rows
from collectors.recipe import ReferenceRecipe, holdout_rows, split_holdout
from collectors.result import MetricValue, RegionValue, RunResult
from collectors.sources import (
    AnyPath,
    VersionRef,
    call_sampler,
    check_columns,
    discover_versions,
    fingerprint_files,
    load_sampler,
    read_table,
    read_version,
    resolve_files,
    sampler_fingerprint,
    sampler_versions,
)
from collectors.sources.entities import MISSING_KEY_SHARE, drop_missing_keys, sample_entities
from collectors.text import TextReference
from monitor.settings import GeneratorSettings, SchedulerSettings, StructureSettings
from monitor.store import Store
from monitor.watch.base import (
    Measured,
    ScanOutcome,
    ScanPlan,
    Watch,
    error_text,
    pending_versions,
)

__all__ = ["GeneratorWatch", "ScanOutcome", "holdout_rows", "split_holdout"]

log = logging.getLogger("tailwatch.generator")
KIND: Final = "generator"
FEATURE_MAP_ARTIFACT = "feature_map"
TEXT_ARTIFACT = "text_reference"  # a text generator's fitted reference, described (no texts)
HEALTHY_ARTIFACT = "healthy_levels"  # + ":<rows>": the healthy levels at that sample size


class StoreHealthyCache:
    """Healthy levels kept in the store as one artifact per sample size, under the key of the
    reference they were measured for (:meth:`collectors.recipe.ReferenceRecipe.key`): a
    restarted daemon or a ``tailwatch check --config`` run reuses them while nothing changed."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name

    def load(self, key: str, rows: int) -> HealthyLevels | None:
        stored = self.store.get_artifact(KIND, self.name, f"{HEALTHY_ARTIFACT}:{int(rows)}")
        if stored is None or stored[1] != key:
            return None
        try:
            levels = HealthyLevels.from_json(stored[0])
        except (TypeError, ValueError):
            return None
        return levels if levels.sample_rows == rows else None

    def save(self, key: str, rows: int, levels: HealthyLevels) -> None:
        artifact = f"{HEALTHY_ARTIFACT}:{int(rows)}"
        self.store.put_artifact(KIND, self.name, artifact, levels.to_json(), key)


class Stopped(Exception):
    """The daemon is shutting down; the scan stops between versions."""


@dataclass(frozen=True)
class _Fitted:
    reference: GeneratorReference | TextReference
    fingerprint: str
    rows: int


class _ReferenceFiles(NamedTuple):
    files: list[AnyPath]
    holdout: list[AnyPath] | None
    fingerprint: str


@dataclass(frozen=True)
class LocatedReference:
    """The reference's key (its files' and settings' fingerprint) and its files, or the error
    that kept them from being found: an unreadable reference's key derives from its error."""

    key: str
    files: _ReferenceFiles | Exception


@dataclass
class GeneratorPlan(ScanPlan):
    """A generator scan: the reference located once, the fitted reference (or the error fitting
    it raised) and the anchors (figures of earlier versions) the versions are compared with."""

    reference: LocatedReference | None = None
    anchors: dict[int, dict[str, float]] = field(default_factory=dict)
    fitted: _Fitted | Exception | None = None


class GeneratorWatch(Watch):
    """Measures one configured generator's new versions into the store."""

    kind = KIND

    def __init__(
        self,
        settings: GeneratorSettings,
        store: Store,
        *,
        scheduler: SchedulerSettings | None = None,
        memory_limit: str | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(
            settings, store, scheduler=scheduler, memory_limit=memory_limit, stop=stop, clock=clock
        )
        self.settings: GeneratorSettings = settings
        self._fitted: _Fitted | None = None
        self._sampler: Callable[..., object] | None = None

    # -- discovery ------------------------------------------------------------------------------

    def versions(self) -> list[VersionRef]:
        """Every version in order: files on disk, or the names a sampler's source lists."""
        source = self.settings.versions
        if self.settings.sampler is None:
            assert source is not None
            return discover_versions(source)
        names = sampler_versions(source) if source is not None else []
        return [VersionRef(name, (), sampler_fingerprint(name)) for name in names]

    def todo(self, reference: str | None = None) -> tuple[list[tuple[int, VersionRef]], int]:
        """(index, version) pairs to measure now, and how many others wait (backoff, cap).

        ``reference`` is :meth:`reference_key`'s value (computed here when not given).
        """
        if reference is None:
            reference = self.reference_key()
        return pending_versions(
            self.store, KIND, self.name, self.versions(), reference, self.clock(), self.retry
        )

    # -- the reference ----------------------------------------------------------------------------

    def reference_key(self) -> str:
        """What versions are measured against: the reference's files and settings (failures are
        capped per key)."""
        return self.locate_reference().key

    def locate_reference(self) -> LocatedReference:
        """The reference's fingerprint (files, holdout, settings) and its files, or the error.

        An unreadable reference gets a key derived from its error, so that the versions it fails
        back off under that key and start afresh once the reference is fixed. The files are
        hashed (read whole): a scan locates them once.
        """
        try:
            files = resolve_files(self.settings.reference)
            holdout = resolve_files(self.settings.holdout) if self.settings.holdout else None
            parts = [fingerprint_files(files), fingerprint_files(holdout) if holdout else ""]
            if self.settings.training:  # the attack's members (collectors.gates)
                parts.append(fingerprint_files(resolve_files(self.settings.training)))
        except Exception as error:
            digest = hashlib.sha256(error_text(error).encode()).hexdigest()[:16]
            return LocatedReference(f"unreadable:{digest}", error)
        config = self.settings.model_dump(
            include={
                "columns",
                "categorical",
                "k",
                "regions",
                "seed",
                "reference_size",
                "sample_size",
                "healthy_draws",
                "target",
                "task",
                "training",
                "text_column",
                "embedder",
                "token_budget",
                "structure",
                "entity_column",
                "time_column",
            }
        )
        parts.append(json.dumps(config, sort_keys=True))
        key = hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]
        return LocatedReference(key, _ReferenceFiles(files, holdout, key))

    def fit_reference(self, located: LocatedReference) -> _Fitted:
        """The fitted reference: the one fitted before while the reference files and their
        settings are unchanged, else fitted now and recorded (its feature map or description
        in the store, its rows in the registry as known human)."""
        if isinstance(located.files, Exception):
            raise located.files
        files, holdout_files, fingerprint = located.files
        if self._fitted is not None and self._fitted.fingerprint == fingerprint:
            return self._fitted
        fitted, rows = self._fit(files, holdout_files, fingerprint)
        self._record_reference(fitted, rows)
        self._fitted = fitted
        return fitted

    def _fit(
        self, files: list[AnyPath], holdout_files: list[AnyPath] | None, fingerprint: str
    ) -> tuple[_Fitted, pd.DataFrame]:
        """Read the reference (and holdout, training rows) and fit it, without writing anything:
        the fitted reference and the real rows it was given (reference and holdout)."""
        s = self.settings
        columns = [s.text_column] if s.text_column else s.columns
        reference = read_table(
            files,
            sample_size=s.reference_size,
            seed=s.seed,
            columns=columns,  # a configured column it lacks is named with its file
            source=f"reference of {s.name} ({s.reference})",
            memory_limit=self.memory_limit,
        )
        if holdout_files is not None:
            holdout = read_table(
                holdout_files,
                sample_size=s.reference_size,
                seed=s.seed + 1,
                columns=columns,
                source=f"holdout of {s.name} ({s.holdout})",
                memory_limit=self.memory_limit,
            )
        else:
            holdout = None
        training = None
        if s.training:  # the generator's training rows: the membership attack's members
            training = read_table(
                resolve_files(s.training),
                sample_size=s.reference_size,
                seed=s.seed + 2,
                columns=s.columns,
                source=f"training rows of {s.name} ({s.training})",
                memory_limit=self.memory_limit,
            )
        fitted = self.recipe().fit(
            reference,
            holdout=holdout,
            training=training,
            label=f"reference of {s.name} ({s.reference})",
            cache=StoreHealthyCache(self.store, self.name),
        )
        log.info(
            "text reference fitted" if s.text_column is not None else "reference fitted",
            extra={"generator": s.name, "rows": fitted.rows, "holdout_rows": len(fitted.holdout)},
        )
        # What the feature map left out or noticed (identifiers, free text, missing cells in
        # the reference, robust scaling): one line each (collectors.sources.features).
        feature_notes = getattr(getattr(fitted.model, "feature_map", None), "notes", ())
        for note in (*fitted.notes, *feature_notes):  # fitted.notes: rows without a sequence key
            log.warning("reference note", extra={"generator": s.name, "note": note})
        rows = pd.concat([fitted.reference, fitted.holdout])
        return _Fitted(fitted.model, fingerprint, fitted.rows), rows

    def recipe(self) -> ReferenceRecipe:
        """The reference recipe of this generator's settings (collectors.recipe)."""
        s = self.settings
        return ReferenceRecipe(
            k=s.k,
            regions=s.regions,
            seed=s.seed,
            sample_size=s.sample_size,
            healthy_draws=s.healthy_draws,
            columns=tuple(s.columns) if s.columns is not None else None,
            categorical=tuple(s.categorical),
            target=s.target,
            task=s.task,
            text_column=s.text_column,
            embedder=s.embedder,
            token_budget=s.token_budget,
            structure=structure_options(s.structure),
            mixing=mixing_plan(s),  # issue 29: the sweep of versions with a target
            entity_column=s.entity_column,
            time_column=s.time_column,
        )

    def _record_reference(self, fitted: _Fitted, rows: pd.DataFrame) -> None:
        """Store what was fitted (the feature map, or a text reference's description) and
        register the reference and holdout rows as known human: a sample reproducing one is no
        leak."""
        model = fitted.reference
        if isinstance(model, TextReference):
            described = json.dumps(model.describe(), sort_keys=True)
            self.store.put_artifact(KIND, self.name, TEXT_ARTIFACT, described, fitted.fingerprint)
        else:
            feature_map = model.feature_map
            self.store.put_artifact(
                KIND,
                self.name,
                FEATURE_MAP_ARTIFACT,
                feature_map.to_json(),
                feature_map.fingerprint,
            )
        source = f"reference:{self.name}"
        if self.registry.content_of(source) == fitted.fingerprint:
            return
        fingerprints = fingerprint_rows(rows, _input_columns(model))
        self.registry.replace(source, "human", fitted.fingerprint, fingerprints)

    # -- one version ------------------------------------------------------------------------------

    def _label(self, version: VersionRef) -> str:
        """Names the version and where its rows come from, for every message about its data."""
        if self.settings.sampler is not None:
            return f"sampler {self.settings.sampler} (version {version.name!r})"
        return f"version {version.name!r} ({version.location})"

    def _sample(
        self, version: VersionRef, fitted: GeneratorReference | TextReference
    ) -> tuple[pd.DataFrame, float | None]:
        """The version's sample, and for sequences the share of its rows left out for a
        missing entity or time (``sequence_missing_key_share``; None otherwise)."""
        s = self.settings
        entity = s.entity_column
        if s.sampler is not None:
            if self._sampler is None:
                self._sampler = load_sampler(s.sampler)
            frame = call_sampler(
                self._sampler, version.name, s.sample_size, s.seed, s.sampler_timeout_seconds
            )
        else:
            # Sequences are read whole and sampled by entity (sample_size counts entities).
            frame = read_version(
                version,
                sample_size=s.sample_size if entity is None else None,
                seed=s.seed,
                memory_limit=self.memory_limit,
            )
        label = self._label(version)
        exact = s.columns is None and s.text_column is None and entity is None
        check_columns(frame, _input_columns(fitted), source=label, exact=exact)
        missing_share = None
        if entity is not None:  # rows without a key are left out and counted, never refused
            frame, missing = drop_missing_keys(frame, entity, s.time_column, label)
            missing_share = missing.share
            frame = sample_entities(frame, entity, s.sample_size, s.seed)
        check_version_rows(len(frame), s.k, label)
        return frame, missing_share

    def measure(
        self,
        index: int,
        version: VersionRef,
        previous: dict[str, float] | None,
        baseline: dict[str, float] | None,
        fitted: _Fitted | Exception,
        reference: str,
    ) -> tuple[RunResult, Measurement | None, np.ndarray | None]:
        """Measure one version against the scan's fitted reference (or the error fitting it
        raised) and its key ``reference``: the run (failed naming its cause on any error), the
        measurement, and the fingerprints of the rows sampled (registered with the run)."""
        started = self.clock()
        reference_rows = sample_rows = 0
        try:
            if isinstance(fitted, Exception):
                raise fitted
            reference_rows = fitted.rows
            sample, missing_share = self._sample(version, fitted.reference)
            sample_rows = len(sample)
            # The rows' fingerprints (Python formatting, holding the GIL) are computed while the
            # figures' kernels and BLAS products run without it (issue 26: a version's seconds).
            with ThreadPoolExecutor(max_workers=1) as pool:
                columns = _input_columns(fitted.reference)
                fingerprints = pool.submit(fingerprint_rows, sample.copy(), columns)
                # Cold, a generator's healthy draws run beside the version (a failure of
                # either is the run's).
                measurement, healthy = fitted.reference.measure_with_healthy(
                    sample, source=self._label(version)
                )
                sampled = fingerprints.result()
            if missing_share is not None:
                measurement.figures[MISSING_KEY_SHARE] = missing_share
        except Exception as error:  # every cause of a failed run is recorded, not raised
            log.warning(
                "run failed",
                extra={"generator": self.name, "version": version.name, "error": str(error)},
            )
            failed = self._result(
                version, index, started, reference, reference_rows, sample_rows, error=error
            )
            return failed, None, None
        result = self._result(version, index, started, reference, reference_rows, sample_rows)
        result.metrics = _metrics(measurement, healthy, baseline, previous)
        result.regions = _regions(measurement)
        result.details = {"histograms": json.dumps(measurement.histograms, allow_nan=False)}
        for name, value in measurement.details.items():  # text: curves, vanished types
            result.details[name] = json.dumps(value, allow_nan=False)
        if self.settings.export_verified and measurement.gates is not None:
            try:
                self._export_verified(version, sample, measurement)
            except OSError as error:  # the figures are recorded; a failed export is only logged
                log.warning(
                    "verified rows not exported",
                    extra={"generator": self.name, "version": version.name, "error": str(error)},
                )
        return result, measurement, sampled

    def _export_verified(self, version: VersionRef, sample: pd.DataFrame, m: Measurement) -> None:
        """Write the version's kept rows to ``<export_verified>/<generator>/<version>.parquet``."""
        assert self.settings.export_verified is not None and m.gates is not None
        verdicts = m.gates.verdicts
        assert verdicts is not None
        folder = Path(self.settings.export_verified) / self.name
        folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in version.name)
        kept = sample.reset_index(drop=True)[verdicts.kept]
        kept.to_parquet(folder / f"{name}.parquet.tmp", index=False)
        (folder / f"{name}.parquet.tmp").replace(folder / f"{name}.parquet")

    def _result(
        self,
        version: VersionRef,
        index: int,
        started: datetime,
        reference: str,
        reference_rows: int,
        sample_rows: int,
        *,
        error: BaseException | None = None,
    ) -> RunResult:
        return RunResult(
            subject_kind=KIND,
            subject=self.name,
            version=version.name,
            fingerprint=version.fingerprint,
            version_index=index,
            started_at=started,
            finished_at=self.clock(),
            status="failed" if error else "ok",
            error=None if error is None else error_text(error),
            reference_rows=reference_rows,
            sample_rows=sample_rows,
            reference_fingerprint=reference,
        )

    # -- the scan ---------------------------------------------------------------------------------

    def _anchors(self, due: list[tuple[int, VersionRef]]) -> dict[int, dict[str, float]]:
        """version_index -> figures against the reference of the measured versions the ``due``
        ones are compared with (for each, the first and the last measured before it)."""
        indices = [index for index, _ in due]
        return self.store.anchor_figures(KIND, self.name, "reference", indices)

    def plan(self) -> GeneratorPlan:
        reference = self.locate_reference()
        due, waiting = self.todo(reference.key)
        return GeneratorPlan(due, waiting, reference, self._anchors(due))

    def prepare(self, plan: ScanPlan) -> None:
        assert isinstance(plan, GeneratorPlan) and plan.reference is not None
        try:
            plan.fitted = self.fit_reference(plan.reference)
        except Exception as error:  # each due version records it as its failed run
            plan.fitted = error

    def measure_one(self, index: int, version: VersionRef, plan: ScanPlan) -> Measured:
        assert isinstance(plan, GeneratorPlan) and plan.reference is not None
        assert plan.fitted is not None
        # Anchors come from earlier versions only: a rewritten (or late) first version is its
        # own baseline, never compared with its old content or with later versions.
        earlier = [i for i in plan.anchors if i < index]
        baseline = plan.anchors[min(earlier)] if earlier else None
        previous = plan.anchors[max(earlier)] if earlier else None
        result, measurement, sampled = self.measure(
            index, version, previous, baseline, plan.fitted, plan.reference.key
        )
        if measurement is None or sampled is None:
            return Measured(result)
        plan.anchors[index] = dict(measurement.figures)
        register = self.registry.sample_writer(
            self.name, version.name, version.fingerprint, sampled
        )
        figures = measurement.figures
        logged = {"coverage": figures.get("coverage"), "recall": figures.get("recall")}
        return Measured(result, also=register, logged=logged)


def _input_columns(reference: GeneratorReference | TextReference) -> list[str]:
    """The columns a version must hold (the text column of a text generator)."""
    if isinstance(reference, TextReference):
        return reference.input_columns
    return list(reference.feature_map.input_columns)


def _ratio(value: float, anchor: float | None) -> float | None:
    if anchor is None or not np.isfinite(anchor) or anchor == 0:
        return None
    return value / anchor


def mixing_plan(settings: GeneratorSettings) -> MixingPlan | None:
    """The mixing sweep's plan of ``[generators.mixing]``; None when off or without a target."""
    m = settings.mixing
    if not m.enabled or settings.target is None:
        return None
    return MixingPlan(tuple(m.shares), m.seeds, m.tolerance)


def structure_options(settings: StructureSettings) -> StructureOptions | None:
    """The structure family's bounds from ``[generators.structure]`` (None: switched off)."""
    if not settings.enabled:
        return None
    return StructureOptions(**settings.model_dump(exclude={"enabled"}))


def _metrics(
    measurement: Measurement,
    healthy: HealthyLevels | None,
    baseline: dict[str, float] | None,
    previous: dict[str, float] | None,
) -> list[MetricValue]:
    """Figures against the reference, healthy levels and their spread, ratios, per feature."""
    figures = measurement.figures
    metrics = [MetricValue(name, "reference", value) for name, value in figures.items()]
    if healthy is not None:
        metrics += [MetricValue(name, "healthy", v) for name, v in healthy.figures.items()]
        metrics += [MetricValue(name, "healthy_spread", v) for name, v in healthy.spread.items()]
        metrics += [MetricValue(name, "healthy_meta", v) for name, v in healthy.meta.items()]
    # The first measured version is its own baseline (ratio 1).
    for scope, anchor in (("baseline", baseline or figures), ("previous", previous)):
        if anchor is None:
            continue
        for name in RELATIVE_METRICS:
            if name in figures:
                ratio = _ratio(figures[name], anchor.get(name))
                if ratio is not None:
                    metrics.append(MetricValue(name, scope, ratio))
    for feature, values in measurement.per_feature.items():
        metrics += [MetricValue(name, f"feature:{feature}", v) for name, v in values.items()]
    return metrics


def _regions(measurement: Measurement) -> list[RegionValue]:
    regions = measurement.regions
    return [
        RegionValue(i, int(regions.sizes[i]), float(regions.coverage[i]), float(regions.density[i]))
        for i in range(regions.sizes.shape[0])
    ]
