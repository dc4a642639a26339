"""The sequence checks' records (issue 28): ``temporal_structure_loss``,
``sequence_length_shift``, ``rhythm_loss`` and ``forecast_utility_decline`` (all collapse
changes); their rules are in :mod:`monitor.checks.rules_sequences`. Imported by
:mod:`monitor.checks.records` after the built-in records. The figures exist only for generators
with ``entity_column`` and ``time_column``; elsewhere the checks are not judged.
"""

from __future__ import annotations

from monitor.checks import rules_sequences as rules
from monitor.checks.registry import Check, register
from monitor.checks.thresholds import Threshold

__all__: list[str] = []

register(
    Check(
        "temporal_structure_loss", "collapse",
        "autocorrelation, cross-lag correlation or state transitions within sequences moved far "
        "from the baseline's (events shuffled or their order lost)",
        reads=tuple(rules.TEMPORAL_FIGURES), watches="largest within-sequence structure change",
        rule=rules.temporal_structure_loss, alert="TailwatchTemporalStructureLoss",
        thresholds=(Threshold(
            "temporal_change", 0.1,
            "temporal_structure_loss: autocorrelation or transition distance rose by this much",
            gt=0, le=1,
        ),),
    )
)  # fmt: skip
register(
    Check(
        "sequence_length_shift", "collapse",
        "the sequence lengths or the gaps between events moved far from the baseline's",
        reads=tuple(rules.LENGTH_FIGURES), watches="KS distance of lengths or gaps",
        rule=rules.sequence_length_shift, alert="TailwatchSequenceLengthShift",
        thresholds=(Threshold(
            "length_change", 0.1,
            "sequence_length_shift: KS distance of lengths or gaps rose by this much",
            gt=0, le=1,
        ),),
    )
)  # fmt: skip
register(
    Check(
        "rhythm_loss", "collapse",
        "the hour-of-day or day-of-week rhythm of the events moved far from the baseline's",
        reads=tuple(rules.RHYTHM_FIGURES), watches="rhythm total variation",
        rule=rules.rhythm_loss, alert="TailwatchRhythmLoss",
        thresholds=(Threshold(
            "rhythm_change", 0.1, "rhythm_loss: rhythm total variation rose by this much",
            gt=0, le=1,
        ),),
    )
)  # fmt: skip
register(
    Check(
        "forecast_utility_decline", "collapse",
        "a one-step-ahead model trained on the version forecasts real sequences far worse than "
        "the baseline's did",
        reads=(rules.FORECAST_FIGURE,), watches="forecast error / real-trained error",
        rule=rules.forecast_utility_decline, alert="TailwatchForecastUtilityDecline",
        thresholds=(Threshold(
            "forecast_factor", 1.25,
            "forecast_utility_decline: error ratio above this factor of the baseline's", gt=1,
        ),),
    )
)  # fmt: skip
