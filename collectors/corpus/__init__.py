"""Corpus snapshots: the DuckDB scan of one snapshot (mix, leakage, budget), its figures, sampled
estimates, and the near-duplicate detectors.
"""

from collectors.corpus.detectors import (
    NearDuplicateDetector,
    ScaledVectorNearDuplicates,
    build_detector,
)
from collectors.corpus.figures import DEFAULT_CALIBRATION, corpus_details
from collectors.corpus.near_defaults import (
    TEXT_NULL,
    VECTOR_NULL,
    DefaultTextNearDuplicates,
    DefaultVectorNearDuplicates,
)
from collectors.corpus.near_duplicates import (
    NearDuplicateResult,
    TextNearDuplicates,
    VectorNearDuplicates,
    wilson_interval,
)
from collectors.corpus.samples import content_texts, content_vectors
from collectors.corpus.scan import CorpusFigures, CorpusSettings, corpus_metrics, scan_snapshot
from collectors.corpus.settings import SamplingSettings
from collectors.corpus.sql import failure, reader

__all__ = [
    "DEFAULT_CALIBRATION",
    "TEXT_NULL",
    "VECTOR_NULL",
    "CorpusFigures",
    "CorpusSettings",
    "DefaultTextNearDuplicates",
    "DefaultVectorNearDuplicates",
    "NearDuplicateDetector",
    "NearDuplicateResult",
    "SamplingSettings",
    "ScaledVectorNearDuplicates",
    "TextNearDuplicates",
    "VectorNearDuplicates",
    "build_detector",
    "content_texts",
    "content_vectors",
    "corpus_details",
    "corpus_metrics",
    "failure",
    "reader",
    "scan_snapshot",
    "wilson_interval",
]
