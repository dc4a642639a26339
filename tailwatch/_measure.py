"""Frames in, :class:`monitor.checks.VersionFigures` out: the daemon's measurement without a store.

The reference is prepared as :class:`monitor.watch.generator.GeneratorWatch` prepares it (a
configured holdout, or a seeded share of the reference held out), each version is measured with
:meth:`collectors.generator.GeneratorReference.measure`, and each version's figures are shaped as
:func:`monitor.store.history.version_figures` shapes a stored run: figures against the reference,
per-feature figures, and the spread of the healthy levels at the version's size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from collectors.generator import GeneratorReference, Measurement
from monitor.checks import HealthyLevels, VersionFigures
from monitor.watch import split_holdout

__all__ = ["Measured", "Table", "as_frame", "healthy_levels", "measure_versions"]

Table = Any  # a pandas DataFrame or a pyarrow Table (anything with ``to_pandas()``)


def as_frame(data: Table, what: str) -> pd.DataFrame:
    """A pandas DataFrame of ``data`` (a DataFrame or a pyarrow Table); ``what`` names it."""
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    to_pandas = getattr(data, "to_pandas", None)
    if callable(to_pandas):
        frame = to_pandas()
        if isinstance(frame, pd.DataFrame):
            return frame.reset_index(drop=True)
    raise TypeError(f"{what}: expected a pandas DataFrame or a pyarrow Table, got {type(data)}")


@dataclass(frozen=True)
class Measured:
    """Every version measured against one fitted reference."""

    reference: GeneratorReference
    versions: list[VersionFigures]
    measurements: list[Measurement]
    healthy: HealthyLevels  # at the latest version's size, as the store keeps it


def healthy_levels(reference: GeneratorReference, rows: int) -> HealthyLevels:
    """The healthy levels at ``rows`` rows, shaped as the checks take them (spread, meta)."""
    levels = reference.healthy_at(rows)
    if levels is None:
        return HealthyLevels()
    return HealthyLevels(levels.figures, levels.spread, levels.meta())


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
) -> Measured:
    """Measure ``versions`` (name -> rows, oldest first) against ``real``, as the daemon does.

    Without ``holdout`` the daemon's share of ``real`` is held out (seeded by ``seed``) for the
    healthy levels, sized for the largest version.
    """
    if not versions:
        raise ValueError("no version to measure")
    reference = as_frame(real, "real")
    frames = {str(name): as_frame(rows, f"version {name!r}") for name, rows in versions.items()}
    size = max(len(frame) for frame in frames.values())
    if holdout is None:
        reference, held = split_holdout(reference, size, seed)
    else:
        held = as_frame(holdout, "holdout")
    if len(reference) <= k or len(held) <= k:
        raise ValueError(
            f"{len(reference)} reference and {len(held)} holdout rows; both must be more than "
            f"k = {k}"
        )
    fitted = GeneratorReference(
        reference,
        holdout=held,
        columns=columns,
        categorical=list(categorical) if categorical else None,
        k=k,
        n_regions=min(regions, len(reference)),
        seed=seed,
        sample_size=size,
        healthy_draws=healthy_draws,
        gates=True,  # as the daemon: membership attack and per-sample verdicts (collectors.gates)
    )
    figures: list[VersionFigures] = []
    measurements: list[Measurement] = []
    for name, frame in frames.items():
        if len(frame) <= k:
            raise ValueError(f"version {name!r}: {len(frame)} rows; need more than k = {k}")
        measurement = fitted.measure(frame, source=f"version {name!r}")
        healthy = healthy_levels(fitted, len(frame))
        measurements.append(measurement)
        figures.append(
            VersionFigures(
                version=name,
                figures=dict(measurement.figures),
                reference_rows=len(reference),
                sample_rows=len(frame),
                per_feature={f: dict(v) for f, v in measurement.per_feature.items()},
                spread=dict(healthy.spread),
            )
        )
    latest = healthy_levels(fitted, figures[-1].sample_rows)
    return Measured(fitted, figures, measurements, latest)
