"""Real data split as a generator's world (training members, holdout, fresh rows), and noise.

Shared by the gate tests; the session fixtures that build worlds live in their ``conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class World:
    training: pd.DataFrame  # the generator's training rows (members)
    holdout: pd.DataFrame  # real rows it never saw (test rows, non-members)
    fresh: pd.DataFrame  # more unseen real rows: what a generator that never saw members emits


def split_world(frame: pd.DataFrame, sizes: tuple[int, int], seed: int = 0) -> World:
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    a, b = sizes
    return World(
        shuffled.iloc[:a].reset_index(drop=True),
        shuffled.iloc[a : a + b].reset_index(drop=True),
        shuffled.iloc[a + b :].reset_index(drop=True),
    )


def jitter(frame: pd.DataFrame, scale: float, seed: int, keep: tuple[str, ...] = ("target",)):
    """Copies of ``frame`` with Gaussian noise of ``scale`` column SDs on every other column."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        out[column] = out[column] + rng.normal(scale=scale * out[column].std(), size=len(out))
    return out
