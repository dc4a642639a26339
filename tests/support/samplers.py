"""Real sampler functions the sampler tests load by ``module:function`` and entry point."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

RELEASE = threading.Event()
"""Set by the timeout test when it is done, so the abandoned slow sampler thread ends."""

NOT_CALLABLE = 42


def frame_sampler(*, version: str, sample_size: int, seed: int) -> pd.DataFrame:
    """A seeded frame whose ``version`` column echoes the version asked for."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"amount": rng.normal(size=sample_size), "version": version})


def array_sampler(*, version: str, sample_size: int, seed: int) -> np.ndarray:
    """A seeded (sample_size x 3) float32 array."""
    return np.random.default_rng(seed).normal(size=(sample_size, 3)).astype(np.float32)


def failing_sampler(*, version: str, sample_size: int, seed: int) -> pd.DataFrame:
    """Fails the way a broken generator checkpoint would."""
    raise RuntimeError(f"checkpoint for {version} is corrupt")


def slow_sampler(*, version: str, sample_size: int, seed: int) -> pd.DataFrame:
    """Hangs until released (at most 10 s), far past any test timeout."""
    RELEASE.wait(10.0)
    return pd.DataFrame({"amount": np.zeros(sample_size)})


def list_sampler(*, version: str, sample_size: int, seed: int) -> list[float]:
    """Returns a plain list, which is not an accepted result."""
    return [0.0] * sample_size


def empty_sampler(*, version: str, sample_size: int, seed: int) -> pd.DataFrame:
    """Returns a frame without rows."""
    return pd.DataFrame({"amount": np.zeros(0)})
