"""Sequences over time (issue 28): the time structure a version of an event log or panel keeps or
breaks while every column's distribution holds. Pure: frames in, numbers out, no I/O.

- :mod:`._frame`: rows sorted into whole sequences (entity, then time);
- :mod:`.lengths`: sequence length and gap drift and tails;
- :mod:`.autocorr`: within-sequence autocorrelation by lag and lag-1 cross-correlation;
- :mod:`.transitions`: categorical transition matrices and their total variation;
- :mod:`.calendar`: hour-of-day and day-of-week rhythm;
- :mod:`.summaries`: a summary vector per sequence, sequence PRDC and TimeGAN's discriminative
  score on them;
- :mod:`.predictive`: TimeGAN's predictive score (one-step-ahead ridge, TSTR vs TRTR MAE);
- :mod:`.measure`: all of them for a version against a prepared reference, and healthy levels
  from whole real holdout entities at the version's entity count;
- :mod:`.names`: the figures' names, ranges and directions (catalog shape);
- :mod:`.generators`: versions for tests and the demo (shuffled, cut, regularised, fitted);
- :mod:`.sampling`: whole-entity splits by shares (sequences are never cut by row sampling).
"""

from collectors.sequences._frame import SequenceFrame, prepare
from collectors.sequences.measure import (
    SequenceHealthy,
    SequenceMeasurement,
    SequenceReference,
    infer_columns,
)
from collectors.sequences.names import SEQUENCE_METRICS, SEQUENCE_PER_FEATURE, SequenceMetric

__all__ = [
    "SEQUENCE_METRICS",
    "SEQUENCE_PER_FEATURE",
    "SequenceFrame",
    "SequenceHealthy",
    "SequenceMeasurement",
    "SequenceMetric",
    "SequenceReference",
    "infer_columns",
    "prepare",
]
