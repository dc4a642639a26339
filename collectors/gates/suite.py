"""The three gates prepared once per reference and run on each version's sample.

:class:`Gates` holds what depends on the real data alone (the probe's real training pool and
test rows, the attack's members, non-members and real density, the training rows' distances to
the holdout) so that a version costs one model fit, one k-NN search of the attack's rows against
its sample and the verdicts read from the metrics' own ball counts. The numbers are computed by
:mod:`collectors.gates.utility`, :mod:`collectors.gates.membership` and
:mod:`collectors.gates.verify`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.gates.membership import FPR, MembershipAttack, MembershipResult, null_auc_sd
from collectors.gates.mixing import MixingCurve, MixingPlan, mixing_sweep
from collectors.gates.utility import (
    ERROR,
    MAX_TEST_ROWS,
    MAX_TRAIN_ROWS,
    PINNED,
    ClassMix,
    Task,
    TrtrDraws,
    UtilityResult,
    class_mix,
    detect_task,
    trtr_draws,
    utility,
)
from collectors.gates.verify import Verdicts, verify_samples
from collectors.metrics import FidelityResult, ReferenceModel
from collectors.sources import FeatureMap, cells

__all__ = ["GateMeasurement", "Gates"]

MIN_ATTACK_ROWS = 20  # members and non-members each; fewer: no attack figures


@dataclass(frozen=True)
class GateMeasurement:
    """What the gates found in one sample: figures by catalog name and the parts behind them."""

    figures: dict[str, float]
    verdicts: Verdicts | None = None
    utility: UtilityResult | None = None
    classes: ClassMix | None = None
    membership: MembershipResult | None = None
    mixing: MixingCurve | None = None  # the mixing sweep (collectors.gates.mixing)


class Gates:
    """Utility probe (with ``target``), membership attack and verdicts for one reference.

    ``training``: the generator's training rows (members of the attack; closest records of the
    verdicts); the reference when None. ``holdout``: real rows the generator never saw (the
    probe's test rows, the attack's non-members and real density, the authenticity threshold).
    """

    def __init__(
        self,
        feature_map: FeatureMap,
        model: ReferenceModel,
        reference: pd.DataFrame,
        holdout: pd.DataFrame,
        *,
        training: pd.DataFrame | None = None,
        target: str | None = None,
        task: Task | None = None,
        draws: int = 8,
        seed: int = 0,
        mixing: MixingPlan | None = None,
    ) -> None:
        self.feature_map = feature_map
        self.mixing = mixing  # the mixing sweep of versions with a target; None: off
        self.model = model
        self.seed = seed
        self.draws = max(2, draws)
        centre = model.centre
        holdout_c = feature_map.transform(holdout, source="holdout") - centre
        self._holdout_c = holdout_c
        self._holdout_training_distance: np.ndarray | None = None  # on first use
        if training is None:
            self.training_c = None
            members = model.real
        else:
            self.training_c = feature_map.transform(training, source="training") - centre
            members = self.training_c
        self.attack: MembershipAttack | None = None
        if min(members.shape[0], holdout_c.shape[0] // 2) >= MIN_ATTACK_ROWS:
            self.attack = MembershipAttack(members, holdout_c, seed=seed, engine=model.engine)
        self.real_numeric, _ = feature_map.numeric_matrix(reference)
        self.real_categorical = feature_map.categorical_values(reference)
        self.target = target
        self._trtr: dict[int, TrtrDraws] = {}
        self._trtr_lock = threading.Lock()
        if target is not None:
            self._prepare_probe(reference, holdout, target, task)

    @property
    def holdout_training_distance(self) -> np.ndarray:
        """Each holdout row's distance to its closest training row (the verdicts' yardstick),
        computed on first use. Without ``training`` the training rows are the reference, and
        when the model holds this same holdout this is its own :attr:`ReferenceModel.
        holdout_distance` (the same exact nearest pass, so the same bits): one pass of the
        holdout against the reference for the model, its healthy draws and the gates, none of
        its own when the draws' distance lists hold it (issue 26: about 0.3 s at 20k rows)."""
        if self._holdout_training_distance is None:
            holdout_c, model = self._holdout_c, self.model
            if self.training_c is not None:
                distance = model.engine.nearest(holdout_c, self.training_c).distances[:, 0]
            elif model.holdout is not None and np.array_equal(model.holdout, holdout_c):
                shared = model.holdout_distance
                assert shared is not None  # the model has a holdout
                distance = shared
            else:
                distance = model.engine.nearest(holdout_c, model.real).distances[:, 0]
            self._holdout_training_distance = distance
        return self._holdout_training_distance

    # -- the utility probe ------------------------------------------------------------------------

    def _prepare_probe(
        self, reference: pd.DataFrame, holdout: pd.DataFrame, target: str, task: Task | None
    ) -> None:
        if target not in self.feature_map.input_columns:
            raise ValueError(
                f"target column {target!r} is not among the measured columns "
                f"{self.feature_map.input_columns}"
            )
        self.task: Task = task or detect_task(reference[target])
        self.features = [c for c in self.feature_map.columns if c.name != target]
        self.real_target = reference[target].to_numpy()
        if self.task == "classification":
            labels = pd.concat([reference[target], holdout[target]]).dropna().astype(str)
            self.classes = pd.Index(sorted(labels.unique()))
        rng = np.random.default_rng([self.seed, 11])
        rows = holdout.iloc[np.sort(rng.permutation(len(holdout))[:MAX_TEST_ROWS])]
        self.x_test, self.y_test = self._xy(rows)
        self.x_real, self.y_real = self._xy(reference)
        self.categorical_mask = np.array(self._mask(), dtype=bool)

    def _mask(self) -> list[bool]:
        out: list[bool] = []
        for column in self.features:
            if column.kind == "categorical":
                out.append(len(column.categories) + 1 <= int(PINNED["max_bins"]))
            elif column.kind == "vector":
                out += [False] * column.length
            else:
                out.append(False)
        return out

    def _xy(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Tree features (raw numbers, category codes, vector components) and the target
        (class codes, or values); rows whose class the real data lacks are left out."""
        assert self.target is not None
        parts = []
        for column in self.features:
            if column.kind in ("numeric", "datetime"):  # NaN where missing (trees take NaN)
                parts.append(self.feature_map.values(frame, column.name)[:, None])
            elif column.kind == "categorical":
                labels = frame[column.name].astype(str).to_numpy(dtype=object)
                codes = pd.Index(list(column.categories), dtype=object).get_indexer(labels)
                codes[codes < 0] = len(column.categories)
                parts.append(codes.astype(np.float64)[:, None])
            else:  # vector components, NaN where the cell is missing (trees take NaN)
                series = frame[column.name]
                parts.append(cells.vectors(series, "sample", column.length, missing_ok=True))
        x = np.hstack(parts) if parts else np.zeros((len(frame), 1))
        raw = frame[self.target]
        if self.task == "classification":
            y = self.classes.get_indexer(raw.astype(str).to_numpy(dtype=object))
            keep = (y >= 0) & raw.notna().to_numpy()
            return x[keep], y[keep]
        y = raw.to_numpy(dtype=np.float64)
        keep = np.isfinite(y)
        return x[keep], y[keep]

    def trtr_at(self, rows: int) -> TrtrDraws:
        """Real-vs-real draws of ``rows`` training rows (once per size, also when a version's
        probe and the healthy levels ask for them at once from two threads)."""
        with self._trtr_lock:
            return self._trtr_at(rows)

    def _trtr_at(self, rows: int) -> TrtrDraws:
        if rows not in self._trtr:
            self._trtr[rows] = trtr_draws(
                self.task,
                self.x_real,
                self.y_real,
                self.x_test,
                self.y_test,
                rows,
                draws=self.draws,
                n_classes=len(self.classes) if self.task == "classification" else 0,
                categorical=self.categorical_mask,
                seed=self.seed,
            )
        return self._trtr[rows]

    def _train_rows(self, available: int) -> int:
        return max(2, min(available, MAX_TRAIN_ROWS))

    def _probe_rows(self, sample: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
        """The version rows the TSTR fit trains on (at most :data:`MAX_TRAIN_ROWS`, seeded)."""
        x, y = self._xy(sample)
        rows = self._train_rows(x.shape[0])
        if x.shape[0] > rows:
            rng = np.random.default_rng([self.seed, 13])
            pick = np.sort(rng.choice(x.shape[0], size=rows, replace=False))
            x, y = x[pick], y[pick]
        return x, y, rows

    def probe(self, sample: pd.DataFrame) -> tuple[UtilityResult, ClassMix | None]:
        """TSTR vs TRTR of ``sample`` and its class mix (classification)."""
        x, y, rows = self._probe_rows(sample)
        result = utility(
            self.task,
            x,
            y,
            self.x_test,
            self.y_test,
            self.trtr_at(rows),
            n_classes=len(self.classes) if self.task == "classification" else 0,
            categorical=self.categorical_mask,
            seed=self.seed,
        )
        mix = None
        if self.task == "classification":
            mix = class_mix(self.real_target, sample[self.target].to_numpy())
        return result, mix

    def sweep(self, sample: pd.DataFrame, tstr: dict[str, float] | None = None) -> MixingCurve:
        """The mixing curve of ``sample`` (:func:`collectors.gates.mixing.mixing_sweep`): the
        TSTR rows mixed with the real training pool, the TRTR draws at that size as the 0 %
        point and ``tstr`` (the probe's, when given) as the 100 % point."""
        plan = self.mixing or MixingPlan()
        x, y, rows = self._probe_rows(sample)
        return mixing_sweep(
            self.task,
            self.x_real,
            self.y_real,
            x,
            y,
            self.x_test,
            self.y_test,
            shares=plan.shares,
            seeds=plan.seeds,
            tolerance=plan.tolerance,
            n_classes=len(self.classes) if self.task == "classification" else 0,
            categorical=self.categorical_mask,
            seed=self.seed,
            trtr=self.trtr_at(rows),
            tstr=tstr,
        )

    # -- every gate -------------------------------------------------------------------------------

    def measure(
        self,
        sample: pd.DataFrame,
        matrix: np.ndarray,
        fidelity: FidelityResult,
        *,
        probes: bool = True,
    ) -> GateMeasurement:
        """Verdicts always; with ``probes`` the utility probe and the membership attack too
        (healthy real draws take their levels from :meth:`healthy` instead)."""
        sample_c = matrix - self.model.centre
        if self.training_c is None and fidelity.dcr is not None:
            distance = fidelity.dcr.synthetic_distance
        else:
            members = self.model.real if self.training_c is None else self.training_c
            distance = self.model.engine.nearest(sample_c, members).distances[:, 0]
        numeric, _ = self.feature_map.numeric_matrix(sample)
        verdicts = verify_samples(
            fidelity.prdc.synthetic_ball_count,
            distance,
            self.holdout_training_distance,
            numeric=numeric,
            real_numeric=self.real_numeric,
            categorical=self.feature_map.categorical_values(sample),
            real_categorical=self.real_categorical,
        )
        figures = verdicts.figures()
        if not probes:
            return GateMeasurement(figures, verdicts)
        membership = None
        if self.attack is not None:  # members of the reference: their distances from the pass
            shared = fidelity.real_nearest_distance if self.training_c is None else None
            membership = self.attack.attack(sample_c, member_distance=shared)
        if membership is not None:
            figures.update(membership.figures())
        result = mix = curve = None
        if self.target is not None:
            result, mix = self.probe(sample)
            figures.update(result.figures())
            if mix is not None:
                figures.update(mix.figures())
            if self.mixing is not None:  # versions only (probes): the healthy draws skip it
                curve = self.sweep(sample, result.tstr)
                figures.update(curve.figures())
        return GateMeasurement(figures, verdicts, result, mix, membership, curve)

    def healthy(self, rows: int) -> tuple[dict[str, float], dict[str, float]]:
        """Healthy levels and spreads at ``rows`` sample rows: the real-vs-real utility draws,
        the attack's null (AUC 0.5 with its Mann-Whitney spread; TPR = FPR, binomial)."""
        levels: dict[str, float] = {}
        spread: dict[str, float] = {}
        if self.attack is not None:
            n = self.attack.rows
            levels.update({"membership_auc": 0.5, "membership_tpr_at_1pct_fpr": FPR})
            spread["membership_auc"] = null_auc_sd(n, n)
            spread["membership_tpr_at_1pct_fpr"] = float(np.sqrt(FPR * (1 - FPR) / n))
        if self.target is not None:
            result = self.trtr_at(self._train_rows(rows))
            mean, sd = result.mean(), result.sd()
            key = "balanced_accuracy" if self.task == "classification" else "r2"
            draws = np.array([s[key] for s in result.scores])
            levels.update({f"tstr_{k}": v for k, v in mean.items()})
            levels.update({f"trtr_{k}": v for k, v in mean.items()})
            spread.update({f"tstr_{k}": v for k, v in sd.items()})
            levels["utility_ratio"] = 1.0
            if mean[key] > 0:
                spread["utility_ratio"] = float(np.std(draws / mean[key], ddof=1))
            error = ERROR[self.task]
            if mean[error] > 0:  # the error ratio's healthy level and spread (utility.ERROR)
                levels["utility_error_ratio"] = 1.0
                spread["utility_error_ratio"] = result.ratio(mean, error)[1]
            levels["classes_lost"] = 0.0
        return levels, spread
