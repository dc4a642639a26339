"""Every sequence figure of a version against a real reference, and their healthy levels.

:class:`SequenceReference` fixes what does not change between versions (the columns, the
reference's sequences, lengths, gaps, autocorrelations, transition counts and rhythm, the summary
space, the holdout split) and measures one version (:meth:`SequenceReference.measure`) or draws
of real holdout entities at a version's entity count (:meth:`SequenceReference.healthy_at`).

The holdout's entities are split once: a *test* third (at most :data:`MAX_TEST_ENTITIES`) whose
sequences the predictive score forecasts (sequences no model trains on) and a *pool* that the
healthy draws come from. A healthy draw is whole entities, never rows cut out of sequences: a draw
of ``m`` pool entities without replacement, measured as a version would be. The level is the mean
over ``draws`` draws and the spread their standard deviation times the finite-population
correction 1 / sqrt(1 - m / pool) (Cochran 1977, eq. 2.8), as in
``collectors.metrics.structure.measure``. A draw holds min(m, pool / 2) entities; when that is
fewer than the version's (``at_size`` False) the band is that of a smaller sample, wider (fewer
alarms), never narrower. Pure: frames in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from collectors.sequences import lengths as lengths_mod
from collectors.sequences._frame import SequenceFrame, prepare
from collectors.sequences.autocorr import (
    MAX_CROSS_COLUMNS,
    MAX_LAG,
    autocorr_shift,
    autocorrelation,
    cross_lag,
)
from collectors.sequences.calendar import CYCLES, rhythm, rhythm_tv
from collectors.sequences.predictive import Forecaster
from collectors.sequences.summaries import (
    Standardiser,
    sequence_detection,
    sequence_prdc,
    summaries,
)
from collectors.sequences.transitions import (
    MAX_STATES,
    TransitionShift,
    states,
    transition_counts,
    transition_shift,
)

__all__ = [
    "HEALTHY_DRAWS",
    "MAX_TEST_ENTITIES",
    "SequenceHealthy",
    "SequenceMeasurement",
    "SequenceReference",
    "infer_columns",
]

HEALTHY_DRAWS = 8  # a spread from 4 draws (3 df) is often a third of the truth
MAX_TEST_ENTITIES = 1000
MIN_HOLDOUT_ENTITIES = 6


@dataclass(frozen=True)
class SequenceMeasurement:
    """One version's sequence figures by name (see :mod:`collectors.sequences.names`), its
    per-column figures and the details behind them (histograms, ACF by lag, transitions)."""

    figures: dict[str, float]
    per_feature: dict[str, dict[str, float]]
    details: dict[str, Any] = field(default_factory=dict)
    n_entities: int = 0
    n_events: int = 0
    dropped_rows: int = 0


@dataclass(frozen=True)
class SequenceHealthy:
    """Real-vs-real levels and spreads for versions of ``sample_entities`` entities, measured on
    draws of ``drawn_entities`` pool entities (see the module docstring)."""

    figures: dict[str, float]
    spread: dict[str, float]
    sample_entities: int
    drawn_entities: int
    pool_entities: int
    draws: int

    @property
    def at_size(self) -> bool:
        """Whether the draws had the versions' entity count."""
        return self.drawn_entities == self.sample_entities


def infer_columns(
    frame: pd.DataFrame, entity: str, time: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numeric, categorical) columns besides ``entity`` and ``time``: numbers are numeric;
    text, bool and category columns are categorical; timestamps are left out."""
    numeric, categorical = [], []
    for name in frame.columns:
        if name in (entity, time):
            continue
        dtype = frame[name].dtype
        if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
            continue
        if ptypes.is_bool_dtype(dtype) or not ptypes.is_numeric_dtype(dtype):
            categorical.append(str(name))
        else:
            numeric.append(str(name))
    return tuple(numeric), tuple(categorical)


class SequenceReference:
    """A reference and its holdout (both frames of events), prepared once, measuring versions.

    ``entity``: the sequence key; ``time``: the order within a sequence (timestamp or number);
    ``numeric`` / ``categorical``: the measured columns (inferred from the reference when both
    are None); ``max_lag``: autocorrelation lags 1..max_lag; ``detection`` / ``predictive``:
    whether to fit the discriminative and predictive scores' models (the costliest figures).
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        holdout: pd.DataFrame,
        *,
        entity: str,
        time: str,
        numeric: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        max_lag: int = MAX_LAG,
        max_states: int = MAX_STATES,
        detection: bool = True,
        predictive: bool = True,
        seed: int = 0,
    ) -> None:
        if numeric is None and categorical is None:
            numeric, categorical = infer_columns(reference, entity, time)
        self.entity, self.time = entity, time
        self.numeric = tuple(numeric or ())
        self.categorical = tuple(categorical or ())
        self.max_lag, self.seed = int(max_lag), seed
        if self.max_lag < 1:
            raise ValueError(f"max_lag must be at least 1, got {max_lag}")
        self.reference = self._prepare(reference, "reference")
        holdout_frame = self._prepare(holdout, "holdout")
        if holdout_frame.n_entities < MIN_HOLDOUT_ENTITIES:
            raise ValueError(
                f"holdout: {holdout_frame.n_entities} entities; the sequence figures need "
                f"{MIN_HOLDOUT_ENTITIES}"
            )
        order = np.random.default_rng([seed, 28]).permutation(holdout_frame.n_entities)
        third = min(holdout_frame.n_entities // 3, MAX_TEST_ENTITIES)
        self.test = holdout_frame.subset(np.sort(order[:third]))
        self.pool = holdout_frame.subset(np.sort(order[third:]))
        ref = self.reference
        self.gaps = ref.gaps()
        self.acf = {name: autocorrelation(ref, name, self.max_lag) for name in self.numeric}
        self.cross_columns = self.numeric[:MAX_CROSS_COLUMNS]
        self.cross = cross_lag(ref, self.cross_columns) if len(self.cross_columns) > 1 else {}
        self.states = {name: states(ref, name, max_states) for name in self.categorical}
        self.counts = {
            name: transition_counts(ref, name, kept) for name, kept in self.states.items()
        }
        self.rhythms = (
            {key: rhythm(ref.calendar[key], cycle) for key, cycle in CYCLES.items()}
            if ref.timestamp
            else {}
        )
        self.top_states = {name: kept[0] for name, kept in self.states.items() if kept}
        raw = summaries(ref, self.numeric, self.top_states)
        self.standardise = Standardiser.fit(raw)
        self.summaries = self.standardise(raw)
        self.detection = detection
        self.forecaster = Forecaster.fit(ref, self.test, self.numeric, seed) if predictive else None
        self._healthy: dict[tuple[int, int], SequenceHealthy] = {}

    def _prepare(self, frame: pd.DataFrame, source: str) -> SequenceFrame:
        return prepare(
            frame,
            entity=self.entity,
            time=self.time,
            numeric=self.numeric,
            categorical=self.categorical,
            source=source,
        )

    def measure(self, version: pd.DataFrame, *, source: str = "version") -> SequenceMeasurement:
        """Every sequence figure of ``version`` (a frame of events with the same columns)."""
        prepared = self._prepare(version, source)
        if prepared.n_events and prepared.timestamp != self.reference.timestamp:
            kinds = {True: "timestamps", False: "numbers"}
            raise ValueError(
                f"{source}: time column {self.time!r} holds {kinds[prepared.timestamp]}, the "
                f"reference's {kinds[self.reference.timestamp]}"
            )
        return self.measure_prepared(prepared)

    def measure_prepared(self, version: SequenceFrame) -> SequenceMeasurement:
        """:meth:`measure` on already prepared sequences (the healthy draws use it)."""
        ref = self.reference
        figures: dict[str, float] = {}
        per_feature: dict[str, dict[str, float]] = {}
        details: dict[str, Any] = {}
        if version.n_entities == 0:
            return SequenceMeasurement({}, {}, {}, 0, 0, version.dropped_rows)
        length_shift = lengths_mod.shift(ref.lengths, version.lengths)
        if length_shift is not None:
            figures.update(length_shift.figures("sequence_length"))
        details["length_histogram"] = lengths_mod.histogram(ref.lengths, version.lengths)
        gaps = version.gaps()
        gap_shift = lengths_mod.shift(self.gaps, gaps)
        if gap_shift is not None:
            figures.update(gap_shift.figures("gap"))
            details["gap_histogram"] = lengths_mod.histogram(self.gaps, gaps)
        if self.numeric:
            acf = autocorr_shift(self.acf, self.cross, version, max_lag=self.max_lag)
            figures.update(acf.figures())
            for name, entry in acf.per_feature().items():
                per_feature.setdefault(name, {}).update(entry)
            details["autocorr"] = {
                name: {"reference": acf.reference[name], "version": acf.version[name]}
                for name in self.numeric
            }
            details["cross_lag"] = {
                f"{a}->{b}": {"reference": value, "version": acf.cross_version.get((a, b))}
                for (a, b), value in acf.cross_reference.items()
            }
        shifts: list[TransitionShift] = []
        for name, kept in self.states.items():
            moved = transition_shift(name, kept, self.counts[name], version)
            if moved is not None:
                shifts.append(moved)
                per_feature.setdefault(name, {})["transition_tv"] = moved.tv
        if shifts:
            figures["transition_tv_max"] = max(s.tv for s in shifts)
            figures["transition_tv_mean"] = float(np.mean([s.tv for s in shifts]))
            details["transitions"] = {s.column: s for s in shifts}
        if self.rhythms and version.timestamp:
            for key, cycle in CYCLES.items():
                mine = rhythm(version.calendar[key], cycle)
                figures[f"{key}_tv"] = rhythm_tv(self.rhythms[key], mine)
                details[f"{key}_rhythm"] = {
                    "reference": tuple(self.rhythms[key]),
                    "version": tuple(mine),
                }
        summary = self.standardise(summaries(version, self.numeric, self.top_states))
        figures.update(sequence_prdc(self.summaries, summary))
        if self.detection:
            detected = sequence_detection(self.summaries, summary, seed=self.seed)
            if detected is not None:
                figures.update(detected.figures())
        if self.forecaster is not None:
            figures.update(self.forecaster.figures(version))
        clean = {k: float(v) for k, v in figures.items() if np.isfinite(v)}
        return SequenceMeasurement(
            clean, per_feature, details, version.n_entities, version.n_events, version.dropped_rows
        )

    def healthy_at(self, n_entities: int, *, draws: int = HEALTHY_DRAWS) -> SequenceHealthy:
        """Real-vs-real levels at ``n_entities`` entities (cached per size; see the module)."""
        key = (int(n_entities), int(draws))
        if key not in self._healthy:
            self._healthy[key] = sequence_healthy(self, int(n_entities), draws=int(draws))
        return self._healthy[key]


def sequence_healthy(
    reference: SequenceReference, n_entities: int, *, draws: int = HEALTHY_DRAWS
) -> SequenceHealthy:
    """Levels and spreads over ``draws`` draws of whole pool entities (see the module)."""
    if n_entities < 2:
        raise ValueError(f"healthy levels need at least 2 entities per draw, got {n_entities}")
    draws = max(2, draws)
    pool = reference.pool
    drawn = min(n_entities, pool.n_entities // 2)
    if drawn < 2:
        raise ValueError(f"holdout: a pool of {pool.n_entities} entities is too small")
    rng = np.random.default_rng([reference.seed, n_entities, 28])
    measured = []
    for _ in range(draws):
        rows = np.sort(rng.choice(pool.n_entities, size=drawn, replace=False))
        measured.append(reference.measure_prepared(pool.subset(rows)).figures)
    correction = 1.0 / np.sqrt(1.0 - drawn / pool.n_entities)
    levels, spread = {}, {}
    for name in sorted(set().union(*measured)):
        values = [d[name] for d in measured if name in d]
        levels[name] = float(np.mean(values))
        if len(values) > 1:
            spread[name] = float(np.std(values, ddof=1) * correction)
    return SequenceHealthy(levels, spread, n_entities, drawn, pool.n_entities, draws)
