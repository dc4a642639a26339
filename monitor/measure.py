"""Frames in, :class:`monitor.checks.VersionFigures` out: the daemon's measurement without a store.

Used by ``tailwatch check VERSION --reference ...`` (:mod:`monitor.commands.check`) and the
notebook facade (``tailwatch.evaluate``/``compare``). The reference is fitted by the one recipe
the daemon uses (:class:`collectors.recipe.ReferenceRecipe`: a configured holdout or a seeded
share of the reference held out, the gates, a text generator's ``text_column``), each version is
measured with the fitted reference's ``measure``, and each version's figures are shaped as
:func:`monitor.store.history.version_figures` shapes a stored run: figures against the reference,
per-feature figures, and the spread of the healthy levels at the version's size.

Healthy levels are kept in a local cache between calls (:mod:`collectors.healthy_cache`), and
:attr:`Measured.timings` says where the seconds went, per figure family.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from collectors.gates import Task
from collectors.generator import GeneratorReference, Measurement
from collectors.healthy_cache import DiskHealthyCache, healthy_cache
from collectors.knn.engine import preserving_blas_threads
from collectors.recipe import ReferenceRecipe
from collectors.text import TOKEN_BUDGET, TextReference
from monitor.checks import HealthyLevels, VersionFigures

__all__ = ["Measured", "Table", "as_frame", "healthy_levels", "measure_versions"]

Table = Any  # a pandas DataFrame or a pyarrow Table (anything with ``to_pandas()``)


def as_frame(data: Table, what: str) -> pd.DataFrame:
    """A pandas DataFrame of ``data`` (a DataFrame or a pyarrow Table); ``what`` names it.

    Column names are strings from here on: a frame with integer names (``0, 1, 2, ...``, as
    ``pd.DataFrame(array)`` makes) is measured under ``"0", "1", "2", ...`` in the reference and
    every version alike; two names that read the same as strings (``0`` and ``"0"``) are refused.
    """
    if isinstance(data, pd.DataFrame):
        return _string_columns(data.reset_index(drop=True), what)
    to_pandas = getattr(data, "to_pandas", None)
    if callable(to_pandas):
        frame = to_pandas()
        if isinstance(frame, pd.DataFrame):
            return _string_columns(frame.reset_index(drop=True), what)
    raise TypeError(f"{what}: expected a pandas DataFrame or a pyarrow Table, got {type(data)}")


def _string_columns(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """``frame`` with its column names as strings (unchanged when they already are)."""
    if all(isinstance(name, str) for name in frame.columns):
        return frame
    names = [str(name) for name in frame.columns]
    seen: set[str] = set()
    for original, name in zip(frame.columns, names, strict=True):
        if name in seen:
            raise ValueError(
                f"{what}: column {original!r} reads as {name!r}, the name of another column"
            )
        seen.add(name)
    renamed = frame.copy(deep=False)
    renamed.columns = pd.Index(names, dtype=object)
    return renamed


@dataclass(frozen=True)
class Measured:
    """Every version measured against one fitted reference.

    ``timings``: seconds per figure family over the whole call (``fit`` the reference,
    ``healthy_levels``, and the families of :attr:`collectors.generator.Measurement.timings`;
    a cold version's draws run beside its own figures, so ``healthy_levels`` is the seconds
    they took beyond the version's: preparing them and waiting for them);
    ``healthy_cached``: True when no healthy level was measured by the call (all from the
    cache, or from the reference fitted by an earlier call in this process).
    """

    reference: GeneratorReference | TextReference
    versions: list[VersionFigures]
    measurements: list[Measurement]
    healthy: HealthyLevels  # at the latest version's size, as the store keeps it
    timings: dict[str, float] = field(default_factory=dict)
    healthy_cached: bool = False
    # Each version's size as its healthy levels are keyed: rows, or entities for sequences.
    sizes: list[int] = field(default_factory=list)
    # Sequences: rows of the reference, holdout or a version left out for a missing entity or
    # time, one line each (collectors.sources.entities.MissingKeys.note).
    key_notes: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """What fitting the reference noticed, one line each: columns left out (identifiers,
        free text, missing in every row), missing cells imputed, robust scaling of extreme
        values (:attr:`collectors.sources.features.FeatureMap.notes`; the daemon logs them)."""
        feature_map = getattr(self.reference, "feature_map", None)
        return (*self.key_notes, *getattr(feature_map, "notes", ()))


def healthy_levels(reference: GeneratorReference | TextReference, rows: int) -> HealthyLevels:
    """The healthy levels at ``rows`` rows (a copy: the reference keeps its own)."""
    levels = reference.healthy_at(rows)
    if levels is None:
        return HealthyLevels()
    return HealthyLevels(levels, levels.spread, levels.meta)


def _size(reference: GeneratorReference | TextReference, frame: pd.DataFrame) -> int:
    """Rows, or entities for sequences: the size the healthy levels are measured at."""
    if isinstance(reference, GeneratorReference):
        return reference.size_of(frame)
    return len(frame)


@preserving_blas_threads()  # its threads' limits leave BLAS's thread count as found
def measure_versions(
    real: Table,
    versions: Mapping[str, Table],
    *,
    holdout: Table | None = None,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    k: int = 5,
    regions: int = 20,
    seed: int = 0,
    healthy_draws: int = 8,
    text_column: str | None = None,
    embedder: str | None = None,
    token_budget: int = TOKEN_BUDGET,
    target: str | None = None,
    task: Task | None = None,
    training: Table | None = None,
    cache: str | os.PathLike[str] | bool | None = None,
    entity_column: str | None = None,
    time_column: str | None = None,
    missing_key_shares: Mapping[str, float] | None = None,
) -> Measured:
    """Measure ``versions`` (name -> rows, oldest first) against ``real``, as the daemon does.

    Without ``holdout`` the daemon's share of ``real`` is held out (seeded by ``seed``) for the
    healthy levels, sized for the largest version. ``text_column``: the versions are texts in
    that column (measured as a text generator). ``target``/``task``: the utility probe's target
    column; ``training``: the generator's training rows (the membership attack's members; the
    reference when None). ``cache``: a folder for the healthy levels, True/None the default one
    (:func:`collectors.healthy_cache.default_cache_dir`), False none. ``entity_column`` /
    ``time_column``: the rows are events of sequences (issue 28): the holdout and the healthy
    draws take whole entities, and the levels are at each version's number of entities. Rows
    whose entity or time is missing are left out and counted: ``notes`` names them, and each
    version's ``sequence_missing_key_share`` is its share of such rows (``missing_key_shares``:
    version name -> the share measured where the caller sampled the version, before this call).
    """
    if not versions:
        raise ValueError("no version to measure")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    reference = as_frame(real, "real")
    frames = {str(name): as_frame(rows, f"version {name!r}") for name, rows in versions.items()}
    missing_shares: dict[str, float] = {}
    key_notes: list[str] = []
    if entity_column is not None:  # rows without a key: left out and counted, never refused
        from collectors.sources.entities import drop_missing_keys, entity_count

        for name in list(frames):
            frame, missing = drop_missing_keys(
                frames[name], entity_column, time_column, f"version {name!r}"
            )
            frames[name], missing_shares[name] = frame, missing.share
            if missing_key_shares is not None and name in missing_key_shares:
                missing_shares[name] = float(missing_key_shares[name])
            key_notes += [missing.note()] if missing.dropped else []
        size = max(entity_count(frame, entity_column) for frame in frames.values())
    else:
        size = max(len(frame) for frame in frames.values())
    recipe = ReferenceRecipe(
        k=k,
        regions=regions,
        seed=seed,
        sample_size=size if size > k else None,
        healthy_draws=healthy_draws,
        columns=tuple(str(name) for name in columns) if columns is not None else None,
        categorical=tuple(str(name) for name in categorical or ()),
        target=None if target is None else str(target),
        task=task,
        text_column=text_column,
        embedder=embedder,
        token_budget=token_budget,
        entity_column=entity_column,
        time_column=time_column,
    )
    local = healthy_cache(cache)
    recipe_fit = recipe.fit(
        reference,
        holdout=None if holdout is None else as_frame(holdout, "holdout"),
        training=None if training is None else as_frame(training, "training"),
        cache=local,
        memo=local is not None,  # the same reference again: fitted once per process
    )
    fitted = recipe_fit.model
    measured_before = fitted.healthy_measured
    timings["fit"] = time.perf_counter() - start
    figures: list[VersionFigures] = []
    measurements: list[Measurement] = []
    for name, frame in frames.items():
        recipe.check_version(len(frame), f"version {name!r}")
        # Cold, a generator's healthy draws run beside the version's own figures.
        measurement, _ = fitted.measure_with_healthy(frame, source=f"version {name!r}")
        healthy = healthy_levels(fitted, _size(fitted, frame))
        if name in missing_shares:
            from collectors.sources.entities import MISSING_KEY_SHARE

            measurement.figures[MISSING_KEY_SHARE] = missing_shares[name]
        for family, seconds in measurement.timings.items():
            timings[family] = timings.get(family, 0.0) + seconds
        measurements.append(measurement)
        figures.append(
            VersionFigures(
                version=name,
                figures=dict(measurement.figures),
                reference_rows=recipe_fit.rows,
                sample_rows=len(frame),
                per_feature={f: dict(v) for f, v in measurement.per_feature.items()},
                spread=dict(healthy.spread),
            )
        )
    latest = healthy_levels(fitted, _size(fitted, list(frames.values())[-1]))
    cached = isinstance(local, DiskHealthyCache) and fitted.healthy_measured == measured_before
    sizes = [_size(fitted, frame) for frame in frames.values()]
    key_notes = [*recipe_fit.notes, *key_notes]
    return Measured(fitted, figures, measurements, latest, timings, cached, sizes, tuple(key_notes))
