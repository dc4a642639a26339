"""Which state follows which: first-order transition matrices of categorical columns within
sequences and their total variation from the reference's. Pure: arrays in, numbers out.

The transition matrix of a Markov chain estimated by counts (Anderson and Goodman 1957, Ann. Math.
Stat. 28:89, eq. 2.5): P(i, j) = n_ij / n_i., with n_ij the number of successive event pairs (one
entity, state i then state j). The figure is the total variation between the version's and the
reference's next-state laws, weighted by how often the reference leaves each state::

    TV = sum_i w_i * 1/2 sum_j |P_v(i, j) - P_r(i, j)|,   w_i = n^r_i. / sum_i n^r_i.

(Levin, Peres and Wilmer 2009, Markov Chains and Mixing Times, eq. 4.1 per row). TV is 0 when
every state is followed as in the reference and 1 when no next-state law overlaps; a state the
version never leaves counts as a row at 1. Shuffling the events of each sequence keeps every
state's share but replaces each row by the entity's marginal, which moves TV wherever states
persist or follow a pattern. States: the reference's :data:`MAX_STATES` most frequent, the rest
pooled as :data:`~collectors.sequences._frame.OTHER` (a bounded matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.sequences._frame import OTHER, SequenceFrame

__all__ = ["MAX_STATES", "TransitionShift", "states", "transition_counts", "transition_shift"]

MAX_STATES = 20


def states(frame: SequenceFrame, column: str, max_states: int = MAX_STATES) -> tuple[str, ...]:
    """The reference's most frequent states of ``column`` (ties by label), plus OTHER when some
    state is left out."""
    counts = pd.Series(frame.categorical[column]).value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    kept = [label for label, _ in ordered[:max_states]]
    return (*kept, OTHER) if len(ordered) > max_states else tuple(kept)


def _codes(labels: np.ndarray, kept: tuple[str, ...]) -> np.ndarray:
    codes = pd.Categorical(labels, categories=list(kept)).codes.astype(np.int64)
    if OTHER in kept:
        codes[codes < 0] = kept.index(OTHER)
    return codes


def transition_counts(frame: SequenceFrame, column: str, kept: tuple[str, ...]) -> np.ndarray:
    """(K, K) counts n_ij of state i followed by state j within one entity; states outside
    ``kept`` (with no OTHER in it) are left out."""
    k = len(kept)
    codes = _codes(frame.categorical[column], kept)
    if codes.shape[0] < 2:
        return np.zeros((k, k))
    first, second = codes[:-1], codes[1:]
    keep = frame.same_entity(1) & (first >= 0) & (second >= 0)
    flat = np.bincount(first[keep] * k + second[keep], minlength=k * k)
    return flat.reshape(k, k).astype(np.float64)


def _rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    totals = counts.sum(axis=1)
    probabilities = np.divide(
        counts, totals[:, None], out=np.zeros_like(counts), where=totals[:, None] > 0
    )
    return probabilities, totals


@dataclass(frozen=True)
class TransitionShift:
    """One column's transition matrices (row-normalised) and their weighted total variation."""

    column: str
    states: tuple[str, ...]
    reference: np.ndarray  # (K, K) P_r
    version: np.ndarray  # (K, K) P_v
    tv: float

    @property
    def difference(self) -> np.ndarray:
        """P_v - P_r (rows the version never leaves are -P_r)."""
        return self.version - self.reference


def transition_shift(
    column: str, kept: tuple[str, ...], reference_counts: np.ndarray, version: SequenceFrame
) -> TransitionShift | None:
    """TV of the version's next-state laws from the reference's (None without reference
    transitions)."""
    p_r, n_r = _rows(reference_counts)
    if n_r.sum() == 0:
        return None
    p_v, n_v = _rows(transition_counts(version, column, kept))
    row_tv = np.where(n_v > 0, 0.5 * np.abs(p_v - p_r).sum(axis=1), 1.0)
    tv = float(np.sum(n_r / n_r.sum() * row_tv))
    return TransitionShift(column, kept, p_r, p_v, tv)
