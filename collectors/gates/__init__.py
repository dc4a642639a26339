"""Standing gates per generator version: utility, membership inference, verified subset.

* :mod:`~collectors.gates.utility`: train on synthetic, test on real (TSTR) against train on real
  (TRTR) with a pinned fast model, and the target's class mix against the reference;
* :mod:`~collectors.gates.membership`: a membership-inference attack (distance to the version's
  samples, GAN-Leaks; k-NN density ratio, DOMIAS) scored by ROC AUC and TPR at 1 % FPR;
* :mod:`~collectors.gates.verify`: per-sample verdicts (inside the real support, authentic,
  within the real ranges and categories), the kept subset and its yield;
* :mod:`~collectors.gates.mixing`: the real-to-synthetic mixing sweep (a version's rows mixed
  into real training rows at a grid of shares) and the safe synthetic share;
* :class:`Gates`: all prepared once per reference, run on each version's sample.

Pure numeric code: numpy/pandas in, dataclasses out; no I/O.
"""

from collectors.gates.membership import (
    FPR,
    MembershipAttack,
    MembershipResult,
    null_auc_sd,
    tpr_at_fpr,
)
from collectors.gates.mixing import MixingCurve, MixingPlan, mixing_sweep
from collectors.gates.suite import GateMeasurement, Gates
from collectors.gates.utility import (
    PINNED,
    ClassMix,
    Task,
    UtilityResult,
    auc_mann_whitney,
    class_mix,
    detect_task,
    fit_and_score,
    trtr_draws,
    utility,
)
from collectors.gates.verify import VERDICT_COLUMNS, Verdicts, verify_samples

__all__ = [
    "FPR",
    "PINNED",
    "VERDICT_COLUMNS",
    "ClassMix",
    "GateMeasurement",
    "Gates",
    "MembershipAttack",
    "MembershipResult",
    "MixingCurve",
    "MixingPlan",
    "Task",
    "UtilityResult",
    "Verdicts",
    "auc_mann_whitney",
    "class_mix",
    "detect_task",
    "fit_and_score",
    "mixing_sweep",
    "null_auc_sd",
    "tpr_at_fpr",
    "trtr_draws",
    "utility",
    "verify_samples",
]
