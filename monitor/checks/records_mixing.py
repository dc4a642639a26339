"""The mixing sweep's record (issue 29): ``safe_share_decline`` (change, collapse); its rule is
:func:`monitor.checks.rules_mixing.safe_share_decline`. Imported by :mod:`monitor.checks.records`
after the built-in records.
"""

from __future__ import annotations

from monitor.checks import rules_mixing
from monitor.checks.registry import Check, register
from monitor.checks.thresholds import Threshold

__all__ = ["SAFE_SHARE_DROP"]

SAFE_SHARE_DROP = Threshold(
    "safe_share_drop", 0.25,
    "safe_share_decline: the safe synthetic share fell by at least this much (absolute)",
    gt=0, le=1,
)  # fmt: skip
register(
    Check(
        "safe_share_decline", "collapse",
        "the largest share of the version's rows a model can take in training fell far below "
        "the baseline's (mixing sweep)",
        reads=("safe_synthetic_share", "safe_synthetic_share_low", "safe_synthetic_share_high"),
        watches="safe_synthetic_share", rule=rules_mixing.safe_share_decline,
        alert="TailwatchSafeShareDecline", thresholds=(SAFE_SHARE_DROP,),
    )
)  # fmt: skip
