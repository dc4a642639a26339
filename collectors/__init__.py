"""What Tailwatch measures and where the data comes from.

The public door: the metric functions (pure, numpy in, numbers out), the fitted reference model
and the generator measurement; the subpackages (``sources``, ``knn``, ``metrics``,
``provenance``, ``corpus``, ``gates``, ``text``) each have a door of their own.

The names below load on first use (PEP 562): importing one subpackage, as a Ray worker scanning a
corpus does, does not import every other one (the generator's gates load scikit-learn).
"""

from __future__ import annotations

from typing import Any

from collectors._cache import configure_once
from collectors._lazy import load_name
from collectors._threads import configure_openmp_wait

configure_once()  # Numba's kernel cache folder, before any kernel is declared (collectors._cache)
configure_openmp_wait()  # OpenMP threads sleep when idle (collectors._threads)

_HOMES = {
    "GeneratorReference": "collectors.generator",
    "Measurement": "collectors.generator",
    "KnnEngine": "collectors.knn",
    "DCR": "collectors.metrics",
    "PRDC": "collectors.metrics",
    "AlphaBeta": "collectors.metrics",
    "FidelityResult": "collectors.metrics",
    "ReferenceModel": "collectors.metrics",
    "alpha_beta_authenticity": "collectors.metrics",
    "prdc": "collectors.metrics",
    "MetricValue": "collectors.result",
    "RegionValue": "collectors.result",
    "RunResult": "collectors.result",
}

__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    return load_name(__name__, _HOMES, globals(), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
