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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from collectors.generator import GeneratorReference, HealthyLevels, Measurement
from collectors.provenance import fingerprint_frame
from collectors.result import MetricValue, RegionValue, RunResult
from collectors.samplers import call_sampler, load_sampler, sampler_fingerprint, sampler_versions
from collectors.sources import (
    VersionRef,
    check_columns,
    discover_versions,
    fingerprint_files,
    read_table,
    read_version,
    resolve_files,
)
from collectors.text import TextReference
from monitor.exported import RELATIVE_METRICS
from monitor.settings import GeneratorSettings, SchedulerSettings
from monitor.store import Store
from monitor.watch import ScanOutcome, Watch, error_text, pending_versions

__all__ = ["GeneratorWatch", "ScanOutcome", "holdout_rows", "split_holdout"]

log = logging.getLogger("tailwatch.generator")
KIND = "generator"
FEATURE_MAP_ARTIFACT = "feature_map"
TEXT_ARTIFACT = "text_reference"  # a text generator's fitted reference, described (no texts)
HOLDOUT_SHARE = 0.2  # of the reference, held out for the healthy levels when none is configured
HOLDOUT_MAX_SHARE = 0.5  # ... or up to half of it, so that the holdout holds a version's rows


def holdout_rows(rows: int, sample_size: int) -> int:
    """Rows held out of a reference of ``rows`` when no holdout is configured.

    At least ``HOLDOUT_SHARE`` of it, and as many as a version's ``sample_size`` up to
    ``HOLDOUT_MAX_SHARE``: healthy levels are measured at the versions' size, without repeated
    rows where the holdout is that large (:class:`collectors.generator.HealthyLevels`).
    """
    wanted = min(max(sample_size, HOLDOUT_SHARE * rows), HOLDOUT_MAX_SHARE * rows)
    return round(wanted)


def split_holdout(
    rows: pd.DataFrame, sample_size: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, holdout): a seeded shuffle of ``rows`` with :func:`holdout_rows` held out."""
    shuffled = rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = holdout_rows(len(shuffled), sample_size)
    return shuffled.iloc[cut:].reset_index(drop=True), shuffled.iloc[:cut]


class Stopped(Exception):
    """The daemon is shutting down; the scan stops between versions."""


class _ReferenceFiles(NamedTuple):
    files: list[Path]
    holdout: list[Path] | None
    fingerprint: str


@dataclass(frozen=True)
class _Fitted:
    reference: GeneratorReference | TextReference
    fingerprint: str
    rows: int


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
        # Fingerprints of the rows the last measure() sampled: registered with its run.
        self.sampled_fingerprints: np.ndarray | None = None

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
            reference = self.reference_key()[0]
        return pending_versions(
            self.store, KIND, self.name, self.versions(), reference, self.clock(), self.retry
        )

    # -- the reference ----------------------------------------------------------------------------

    def reference_key(self) -> tuple[str, _ReferenceFiles | Exception]:
        """The reference's fingerprint (files, holdout, settings) and its files, or the error.

        An unreadable reference gets a key derived from its error, so that the versions it fails
        back off under that key and start afresh once the reference is fixed.
        """
        try:
            files = resolve_files(self.settings.reference)
            holdout = resolve_files(self.settings.holdout) if self.settings.holdout else None
            parts = [fingerprint_files(files), fingerprint_files(holdout) if holdout else ""]
            if self.settings.training:  # the attack's members (collectors.gates)
                parts.append(fingerprint_files(resolve_files(self.settings.training)))
        except Exception as error:
            digest = hashlib.sha256(error_text(error).encode()).hexdigest()[:16]
            return f"unreadable:{digest}", error
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
            }
        )
        parts.append(json.dumps(config, sort_keys=True))
        key = hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]
        return key, _ReferenceFiles(files, holdout, key)

    def fitted(self, located: _ReferenceFiles | Exception | None = None) -> _Fitted:
        """The fitted reference, refitted when the reference files or their settings change.

        ``located`` is :meth:`reference_key`'s second value (computed here when not given).
        """
        if located is None:
            located = self.reference_key()[1]
        if isinstance(located, Exception):
            raise located
        files, holdout_files, fingerprint = located
        if self._fitted is not None and self._fitted.fingerprint == fingerprint:
            return self._fitted
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
            reference, holdout = split_holdout(reference, s.sample_size, s.seed)
        if len(reference) <= s.k or len(holdout) <= s.k:
            raise ValueError(
                f"reference of {s.name} ({s.reference}): {len(reference)} reference and "
                f"{len(holdout)} holdout rows; both must be more than k = {s.k}"
            )
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
        if s.text_column is not None:  # measured as text (collectors.text)
            return self._fit_text(reference, holdout, fingerprint)
        fitted = GeneratorReference(
            reference,
            holdout=holdout,
            gates=True,
            target=s.target,
            task=s.task,
            training=training,
            columns=s.columns,
            categorical=s.categorical or None,
            k=s.k,
            n_regions=min(s.regions, len(reference)),
            seed=s.seed,
            sample_size=s.sample_size,
            healthy_draws=s.healthy_draws,
        )
        self.store.put_artifact(
            KIND,
            s.name,
            FEATURE_MAP_ARTIFACT,
            fitted.feature_map.to_json(),
            fitted.feature_map.fingerprint,
        )
        self._register_reference(pd.concat([reference, holdout]), fitted, fingerprint)
        self._fitted = _Fitted(fitted, fingerprint, len(reference))
        log.info(
            "reference fitted",
            extra={"generator": s.name, "rows": len(reference), "holdout_rows": len(holdout)},
        )
        return self._fitted

    def _fit_text(
        self, reference: pd.DataFrame, holdout: pd.DataFrame, fingerprint: str
    ) -> _Fitted:
        """A text generator's reference: vocabulary, embedder, distance model (collectors.text)."""
        s = self.settings
        fitted = TextReference(
            reference,
            holdout=holdout,
            text_column=s.text_column or "text",
            k=s.k,
            n_regions=min(s.regions, len(reference)),
            seed=s.seed,
            sample_size=s.sample_size,
            healthy_draws=s.healthy_draws,
            embedder=s.embedder,
            token_budget=s.token_budget,
        )
        described = json.dumps(fitted.describe(), sort_keys=True)
        self.store.put_artifact(KIND, s.name, TEXT_ARTIFACT, described, fingerprint)
        self._register_reference(pd.concat([reference, holdout]), fitted, fingerprint)
        self._fitted = _Fitted(fitted, fingerprint, len(reference))
        log.info(
            "text reference fitted",
            extra={"generator": s.name, "rows": len(reference), "holdout_rows": len(holdout)},
        )
        return self._fitted

    def _register_reference(
        self, rows: pd.DataFrame, fitted: GeneratorReference | TextReference, fingerprint: str
    ) -> None:
        """The reference and holdout rows are known human: a sample reproducing one is no leak."""
        source = f"reference:{self.name}"
        if self.registry.content_of(source) == fingerprint:
            return
        columns = _input_columns(fitted)
        self.registry.replace(source, "human", fingerprint, fingerprint_frame(rows, columns))

    # -- one version ------------------------------------------------------------------------------

    def _label(self, version: VersionRef) -> str:
        """Names the version and where its rows come from, for every message about its data."""
        if self.settings.sampler is not None:
            return f"sampler {self.settings.sampler} (version {version.name!r})"
        return f"version {version.name!r} ({version.location})"

    def _sample(
        self, version: VersionRef, fitted: GeneratorReference | TextReference
    ) -> pd.DataFrame:
        s = self.settings
        if s.sampler is not None:
            if self._sampler is None:
                self._sampler = load_sampler(s.sampler)
            frame = call_sampler(
                self._sampler, version.name, s.sample_size, s.seed, s.sampler_timeout_seconds
            )
        else:
            frame = read_version(
                version, sample_size=s.sample_size, seed=s.seed, memory_limit=self.memory_limit
            )
        label = self._label(version)
        exact = s.columns is None and s.text_column is None
        check_columns(frame, _input_columns(fitted), source=label, exact=exact)
        if len(frame) <= s.k:
            raise ValueError(f"{label}: {len(frame)} rows; need more than k = {s.k}")
        return frame

    def measure(
        self,
        index: int,
        version: VersionRef,
        previous: dict[str, float] | None,
        baseline: dict[str, float] | None,
        fitted: _Fitted | Exception | None = None,
        reference: str | None = None,
    ) -> tuple[RunResult, Measurement | None]:
        """Measure one version; any error becomes a failed run naming its cause.

        ``fitted`` is the scan's fitted reference (or the error fitting it raised) and
        ``reference`` its :meth:`reference_key`; without them both are computed here.
        """
        started = self.clock()
        reference_rows = sample_rows = 0
        self.sampled_fingerprints = None
        located: _ReferenceFiles | Exception | None = None
        if fitted is None or reference is None:
            reference, located = self.reference_key()
        try:
            if isinstance(fitted, Exception):
                raise fitted
            if fitted is None:
                fitted = self.fitted(located)
            reference_rows = fitted.rows
            sample = self._sample(version, fitted.reference)
            sample_rows = len(sample)
            measurement = fitted.reference.measure(sample, source=self._label(version))
            columns = _input_columns(fitted.reference)
            self.sampled_fingerprints = fingerprint_frame(sample, columns)
        except Exception as error:  # every cause of a failed run is recorded, not raised
            log.warning(
                "run failed",
                extra={"generator": self.name, "version": version.name, "error": str(error)},
            )
            return self._result(
                version, index, started, reference, reference_rows, sample_rows, error=error
            ), None
        result = self._result(version, index, started, reference, reference_rows, sample_rows)
        healthy = fitted.reference.healthy_at(sample_rows)
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
        return result, measurement

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

    def _anchors(self) -> dict[int, dict[str, float]]:
        """version_index -> figures against the reference, of every measured version."""
        history = self.store.history(KIND, self.name)
        history = history[history["scope"] == "reference"]
        out: dict[int, dict[str, float]] = {}
        for (index, _run), group in history.groupby(["version_index", "run_id"], sort=True):
            out[int(index)] = dict(zip(group["metric"], group["value"], strict=True))
        return out

    def scan(self, progress: Callable[[Iterable], Iterable] | None = None) -> ScanOutcome:
        """Measure every due version now, in order; stop between versions when asked."""
        outcome = ScanOutcome()
        # The reference files are hashed (read whole) to see whether they changed: once a scan.
        reference, located = self.reference_key()
        try:
            due, waiting = self.todo(reference)
        except Exception:
            self.scan_errors += 1  # the daemon logs it
            raise
        outcome.pending = waiting + len(due)
        self.pending = outcome.pending
        anchors = self._anchors()
        fitted: _Fitted | Exception | None = None
        if due:
            try:
                fitted = self.fitted(located)
            except Exception as error:  # each due version records it as its failed run
                fitted = error
        items: Iterable[tuple[int, VersionRef]] = progress(due) if progress else due
        for index, version in items:
            if self.stop.is_set():
                break
            # Anchors come from earlier versions only: a rewritten (or late) first version is
            # its own baseline, never compared with its old content or with later versions.
            earlier = [i for i in anchors if i < index]
            baseline = anchors[min(earlier)] if earlier else None
            previous = anchors[max(earlier)] if earlier else None
            result, measurement = self.measure(
                index, version, previous, baseline, fitted, reference
            )
            sampled = self.sampled_fingerprints
            register = None
            if measurement is not None and sampled is not None:
                register = self.registry.sample_writer(
                    self.name, version.name, version.fingerprint, sampled
                )
            self.store.record_run(result, also=register)
            outcome.pending -= 1
            self.pending = outcome.pending
            if measurement is None:
                outcome.failed += 1
                continue
            outcome.measured += 1
            anchors[index] = dict(measurement.figures)
            log.info(
                "version measured",
                extra={
                    "generator": self.name,
                    "version": version.name,
                    "seconds": round(result.duration_seconds, 3),
                    "coverage": measurement.figures.get("coverage"),
                    "recall": measurement.figures.get("recall"),
                },
            )
        self.last_scan_ok = self.clock()
        return outcome


def _input_columns(reference: GeneratorReference | TextReference) -> list[str]:
    """The columns a version must hold (the text column of a text generator)."""
    if isinstance(reference, TextReference):
        return reference.input_columns
    return list(reference.feature_map.input_columns)


def _ratio(value: float, anchor: float | None) -> float | None:
    if anchor is None or not np.isfinite(anchor) or anchor == 0:
        return None
    return value / anchor


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
        metrics += [MetricValue(name, "healthy_meta", v) for name, v in healthy.meta().items()]
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
