"""Small mixed tables for the structure tests: a numeric column that depends on a categorical one,
and versions that keep every marginal but break that dependence or thin a class."""

from __future__ import annotations

import numpy as np
import pandas as pd

SHIFT = {"a": 0.0, "b": 2.0, "c": -2.0}
SHARES = {"a": 0.5, "b": 0.3, "c": 0.2}


def mixed(n: int, seed: int, *, broken: bool = False) -> pd.DataFrame:
    """x, z ~ N(0, 1), c in {a, b, c}, y = x + shift(c) + noise. ``broken``: y takes its shift from
    an independent draw of c, so y's marginal and y ~ x stay, y ~ c is gone."""
    rng = np.random.default_rng(seed)
    c = rng.choice(list(SHARES), p=list(SHARES.values()), size=n)
    x = rng.normal(size=n)
    source = rng.choice(list(SHARES), p=list(SHARES.values()), size=n) if broken else c
    y = x + np.array([SHIFT[v] for v in source]) + rng.normal(scale=0.5, size=n)
    z = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": y, "z": z, "c": c})
