"""What Tailwatch measures and where the data comes from.

The public door: the metric functions (pure, numpy in, numbers out), the fitted reference model
and the generator measurement. Everything else in this package is private.
"""

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
