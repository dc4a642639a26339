"""Versions of an event log for tests, benchmarks and the demo: breaks that keep every column's
distribution (shuffled within sequences, cut short, gaps made regular) and a small fitted sequence
generator that can feed on its own output. Pure: frames in, frames out, seeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from collectors.sequences._frame import prepare
from collectors.sequences.autocorr import autocorrelation

__all__ = [
    "SequenceModel",
    "cut_sequences",
    "regularise_gaps",
    "shuffle_within",
]


def _order(frame: pd.DataFrame, entity: str, time: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions sorted by entity then time, and each sorted row's entity code."""
    keys, _ = pd.factorize(frame[entity], sort=True)
    times = frame[time]
    values = (
        pd.DatetimeIndex(times).asi8
        if ptypes.is_datetime64_any_dtype(times.dtype)
        else times.to_numpy(dtype=np.float64)
    )
    order = np.lexsort((values, keys))
    return order, keys[order]


def shuffle_within(frame: pd.DataFrame, entity: str, time: str, *, seed: int = 0) -> pd.DataFrame:
    """Every column but ``entity`` and ``time`` permuted within each entity: the times, the
    lengths, every column's distribution and each entity's multiset of events stay; the order
    (autocorrelation, transitions) is gone."""
    order, codes = _order(frame, entity, time)
    rng = np.random.default_rng(seed)
    shuffled = order[np.lexsort((rng.random(order.size), codes))]
    out = frame.iloc[order].reset_index(drop=True)
    values = [c for c in frame.columns if c not in (entity, time)]
    out[values] = frame.iloc[shuffled][values].reset_index(drop=True)
    return out


def cut_sequences(
    frame: pd.DataFrame, entity: str, time: str, share: float = 1 / 3
) -> pd.DataFrame:
    """Each entity's first ceil(share * length) events (at least one)."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    order, codes = _order(frame, entity, time)
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    lengths = np.diff(np.r_[starts, codes.size])
    position = np.arange(codes.size) - np.repeat(starts, lengths)
    keep = position < np.repeat(np.maximum(1, np.ceil(share * lengths)), lengths)
    return frame.iloc[order[keep]].reset_index(drop=True)


def regularise_gaps(
    frame: pd.DataFrame, entity: str, time: str, gap: float | None = None
) -> pd.DataFrame:
    """Each entity's events moved to first time + k * ``gap`` (default: the median gap between
    successive events; seconds for timestamps): every gap equal, the order kept."""
    order, codes = _order(frame, entity, time)
    out = frame.iloc[order].reset_index(drop=True)
    column = out[time]
    stamps = ptypes.is_datetime64_any_dtype(column.dtype)
    seconds = (
        pd.DatetimeIndex(column).as_unit("ns").asi8 / 1e9
        if stamps
        else column.to_numpy(dtype=np.float64)
    )
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    lengths = np.diff(np.r_[starts, codes.size])
    if gap is None:
        diffs = np.diff(seconds)[np.diff(codes) == 0]
        gap = float(np.median(diffs)) if diffs.size else 1.0
    position = np.arange(codes.size) - np.repeat(starts, lengths)
    regular = np.repeat(seconds[starts], lengths) + position * gap
    if stamps:
        zone = getattr(column.dt, "tz", None)
        moved = pd.to_datetime(np.round(regular * 1e9).astype(np.int64), unit="ns")
        out[time] = moved.tz_localize("UTC").tz_convert(zone) if zone is not None else moved
    else:
        out[time] = regular.astype(column.dtype) if ptypes.is_float_dtype(column.dtype) else regular
    return out


@dataclass(frozen=True)
class SequenceModel:
    """A small fitted sequence generator: lengths, first times and gaps resampled from the data;
    each numeric column an AR(1) around a level and spread drawn from one fitted entity (the
    coefficient pooled over entities, Box and Jenkins 1976, eq. 3.2.7: phi = r_1); each
    categorical column a first-order Markov chain (initial law and transition matrix counted,
    Anderson and Goodman 1957, eq. 2.5). Fit on its own output (:meth:`loop`) it collapses the
    way a self-consuming generator does: resampled lengths and levels lose their tails, and the
    per-entity demeaned r_1 is biased low on every round (Kendall 1954), so carry-over decays."""

    entity: str
    time: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    lengths: np.ndarray
    first_times: np.ndarray
    gaps: np.ndarray
    levels: np.ndarray  # (E, C) entity means
    spreads: np.ndarray  # (E, C) entity sds
    phi: np.ndarray  # (C,)
    states: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    transitions: dict[str, np.ndarray]
    timezone: object | None
    timestamp: bool

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        entity: str,
        time: str,
        numeric: Sequence[str] = (),
        categorical: Sequence[str] = (),
    ) -> SequenceModel:
        prepared = prepare(
            frame, entity=entity, time=time, numeric=numeric, categorical=categorical
        )
        if prepared.n_entities == 0:
            raise ValueError("SequenceModel: no sequences to fit")
        owner, n = prepared.owner, prepared.n_entities
        levels, spreads, phis = [], [], []
        for name in numeric:
            x = prepared.numeric[name]
            seen = np.isfinite(x)
            counts = np.bincount(owner[seen], minlength=n)
            sums = np.bincount(owner[seen], weights=x[seen], minlength=n)
            mean = np.divide(sums, counts, out=np.full(n, np.nanmean(x)), where=counts > 0)
            d = np.where(seen, x - mean[owner], 0.0)
            energy = np.bincount(owner, weights=d * d, minlength=n)
            levels.append(mean)
            spreads.append(np.sqrt(np.divide(energy, counts, out=np.zeros(n), where=counts > 0)))
            r1 = autocorrelation(prepared, name, 1)[0]
            phis.append(float(np.clip(r1, -0.99, 0.99)) if np.isfinite(r1) else 0.0)
        states, initial, transitions = {}, {}, {}
        for name in categorical:
            labels = prepared.categorical[name]
            kept, codes = np.unique(labels, return_inverse=True)
            k = kept.size
            first = np.bincount(codes[prepared.starts], minlength=k).astype(np.float64)
            pairs = prepared.same_entity(1)
            flat = np.bincount(codes[:-1][pairs] * k + codes[1:][pairs], minlength=k * k)
            matrix = flat.reshape(k, k).astype(np.float64) + 1e-9  # an unseen row: uniform
            states[name] = kept
            initial[name] = first / first.sum()
            transitions[name] = matrix / matrix.sum(axis=1, keepdims=True)
        column = frame[time]
        return cls(
            entity,
            time,
            tuple(numeric),
            tuple(categorical),
            prepared.lengths.copy(),
            prepared.time[prepared.starts].copy(),
            prepared.gaps(),
            np.column_stack(levels) if levels else np.zeros((n, 0)),
            np.column_stack(spreads) if spreads else np.zeros((n, 0)),
            np.asarray(phis),
            states,
            initial,
            transitions,
            getattr(column.dt, "tz", None) if prepared.timestamp else None,
            prepared.timestamp,
        )

    def sample(self, n_entities: int, *, seed: int = 0) -> pd.DataFrame:
        """``n_entities`` new sequences (entities named g0, g1, ...)."""
        rng = np.random.default_rng(seed)
        source = rng.integers(0, self.lengths.size, n_entities)
        lengths = self.lengths[rng.integers(0, self.lengths.size, n_entities)]
        total = int(lengths.sum())
        owner = np.repeat(np.arange(n_entities), lengths)
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        first = np.r_[True, owner[1:] != owner[:-1]] if total else np.zeros(0, dtype=bool)
        steps = (
            self.gaps[rng.integers(0, self.gaps.size, total)] if self.gaps.size else np.ones(total)
        )
        steps[first] = 0.0
        base = self.first_times[rng.integers(0, self.first_times.size, n_entities)]
        cumulative = np.cumsum(steps)
        times = np.repeat(base, lengths) + cumulative - np.repeat(cumulative[starts], lengths)
        out: dict[str, object] = {self.entity: np.char.add("g", owner.astype(str))}
        if self.timestamp:
            stamps = pd.to_datetime(np.round(times * 1e9).astype(np.int64), unit="ns")
            out[self.time] = (
                stamps.tz_localize("UTC").tz_convert(self.timezone) if self.timezone else stamps
            )
        else:
            out[self.time] = times
        longest = int(lengths.max()) if n_entities else 0
        steps_at = [starts[lengths > p] + p for p in range(longest)]  # rows at position p
        for c, name in enumerate(self.numeric):
            phi = self.phi[c]
            z = np.empty(total)
            z[steps_at[0]] = rng.normal(size=steps_at[0].size)
            innovation = np.sqrt(max(1.0 - phi**2, 1e-6))
            for rows in steps_at[1:]:  # AR(1) with unit variance, all entities at once
                z[rows] = phi * z[rows - 1] + innovation * rng.normal(size=rows.size)
            out[name] = self.levels[source, c][owner] + self.spreads[source, c][owner] * z
        for name in self.categorical:
            cumulative_p = np.cumsum(self.transitions[name], axis=1)
            initial = np.cumsum(self.initial[name])
            k = initial.size
            codes = np.empty(total, dtype=np.int64)
            u = rng.random(total)
            codes[steps_at[0]] = np.minimum(np.searchsorted(initial, u[steps_at[0]]), k - 1)
            for rows in steps_at[1:]:
                below = cumulative_p[codes[rows - 1]] < u[rows, None]
                codes[rows] = np.minimum(below.sum(axis=1), k - 1)
            out[name] = self.states[name][codes]
        return pd.DataFrame(out)

    def loop(self, rounds: int, n_entities: int, *, seed: int = 0) -> list[pd.DataFrame]:
        """A self-consuming loop: each round samples ``n_entities`` sequences and refits on
        them alone; returns the ``rounds`` samples in order."""
        model, samples = self, []
        for r in range(rounds):
            sample = model.sample(n_entities, seed=seed + r)
            samples.append(sample)
            model = SequenceModel.fit(
                sample, self.entity, self.time, self.numeric, self.categorical
            )
        return samples
