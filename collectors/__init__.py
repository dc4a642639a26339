"""What Tailwatch measures and where the data comes from.

The public door: the metric functions (pure, numpy in, numbers out), the fitted reference model
and the generator measurement; the subpackages (``sources``, ``knn``, ``metrics``,
``provenance``, ``corpus``, ``gates``, ``text``) each have a door of their own.

The names below load on first use (PEP 562): importing one subpackage, as a Ray worker scanning a
corpus does, does not import every other one (the generator's gates load scikit-learn).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names are, for type checkers and readers
    from collectors.generator import GeneratorReference, Measurement
    from collectors.knn import KnnEngine
    from collectors.metrics import (
        DCR,
        PRDC,
        AlphaBeta,
        FidelityResult,
        ReferenceModel,
        alpha_beta_authenticity,
        prdc,
    )
    from collectors.result import MetricValue, RegionValue, RunResult

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

__all__ = [
    "DCR",
    "PRDC",
    "AlphaBeta",
    "FidelityResult",
    "GeneratorReference",
    "KnnEngine",
    "Measurement",
    "MetricValue",
    "ReferenceModel",
    "RegionValue",
    "RunResult",
    "alpha_beta_authenticity",
    "prdc",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'collectors' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
