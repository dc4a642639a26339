"""Calendar rhythm: the share of events by hour of day and by day of week, against the
reference's. Pure: arrays in, numbers out.

Total variation between the version's and the reference's categorical laws over the 24 hours and
the 7 weekdays (Levin, Peres and Wilmer 2009, Markov Chains and Mixing Times, eq. 4.1:
TV = 1/2 sum_h |p_v(h) - p_r(h)|). 0: the same rhythm; 1: events at disjoint hours. Only for a
timestamp time column (hours and weekdays of the timestamps as stored, in their own zone).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CYCLES", "rhythm", "rhythm_tv"]

CYCLES = {"hour": 24, "weekday": 7}


def rhythm(values: np.ndarray, cycle: int) -> np.ndarray:
    """(cycle,) shares of events in each hour (or weekday)."""
    counts = np.bincount(np.asarray(values, dtype=np.int64), minlength=cycle)[:cycle]
    total = counts.sum()
    return counts / total if total else np.zeros(cycle)


def rhythm_tv(reference: np.ndarray, version: np.ndarray) -> float:
    """TV between two rhythms (shares over the same cycle)."""
    return float(0.5 * np.abs(np.asarray(version) - np.asarray(reference)).sum())
