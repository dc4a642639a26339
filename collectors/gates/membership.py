"""Membership-inference attack on a generator version, using only its samples.

The attacker holds rows of two kinds, the generator's training rows (*members*) and real rows it
never saw (*non-members*, the holdout), and scores each row from the version's synthetic sample
alone; the attack is as good as its scores separate members from non-members:

* **Distance** (GAN-Leaks, Chen et al. 2020, CCS, sec. 4.2, the full black-box attack): a row is
  a member the closer it lies to the version's nearest synthetic sample,
  ``score(x) = -min_j ||x - y_j||`` (Euclidean distance in the reference's feature space).
* **Density ratio** (DOMIAS, van Breugel et al. 2023, AISTATS, eq. 2): a row is a member where
  the generator's density exceeds the real one, ``score(x) = p_G(x) / p_R(x)``. Both densities
  are k-nearest-neighbour estimates (Loftsgaarden and Quesenberry 1965):
  ``p(x) = k / (n V_d r_k(x)^d)``, with ``r_k`` the distance to the k-th nearest point of the
  synthetic sample (p_G, k = 1: the most local estimate, the one a copied row drives to
  infinity) or of a real part disjoint from the members and the non-members scored (p_R, the
  attacker's reference, k = 5). The ratio is ``(k_G n_R / k_R n_G) (r_R / r_G)^d``, a monotone
  function of ``log r_R(x) - log r_G(x)``: that is the score (ROC AUC and the TPR at a fixed
  FPR depend on the ranking only).

Figures: the ROC AUC of each attack (0.5: the attacker learns nothing; Mann-Whitney U / n1 n0,
Hanley and McNeil 1982) and the true-positive rate at a 1 % false-positive rate (Carlini et al.
2022, "Membership Inference Attacks From First Principles", IEEE S&P, sec. III: attacks must be
judged at low FPR). The noise band is the AUC's standard deviation under the null of no
membership signal, ``sqrt((n1 + n0 + 1) / (12 n1 n0))`` (Mann and Whitney 1947), and the TPR's
binomial standard deviation at the FPR, ``sqrt(f (1 - f) / n1)``.

Pure functions: numpy in, dataclasses out. The k-NN searches use
:class:`collectors.knn.engine.KnnEngine` (exact, memory-bounded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from collectors.gates.utility import auc_mann_whitney
from collectors.knn import KnnEngine

__all__ = [
    "FPR",
    "MembershipAttack",
    "MembershipResult",
    "null_auc_sd",
    "tpr_at_fpr",
]

FPR = 0.01
MAX_ATTACK_ROWS = 1000  # members and non-members scored, each
DENSITY_K = 5  # neighbours of the real density estimate (the synthetic one uses 1)
_TINY = 1e-12


def tpr_at_fpr(members: np.ndarray, non_members: np.ndarray, fpr: float = FPR) -> float:
    """Largest share of members flagged while at most ``fpr`` of the non-members are.

    Flag ``score > t`` with ``t`` the (f + 1)-th largest non-member score, f = floor(fpr n0): at
    most f non-members lie above it, and any lower threshold would flag f + 1. Equals the best
    point with FPR <= ``fpr`` on scikit-learn's ``roc_curve``.
    """
    non_members = np.sort(np.asarray(non_members, dtype=np.float64))[::-1]
    allowed = math.floor(fpr * non_members.size + 1e-9)
    if allowed >= non_members.size:
        return 1.0
    threshold = non_members[allowed]
    return float(np.mean(np.asarray(members, dtype=np.float64) > threshold))


def null_auc_sd(n1: int, n0: int) -> float:
    """Standard deviation of the AUC when members and non-members score alike (Mann-Whitney)."""
    return math.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)) if n1 and n0 else float("nan")


@dataclass(frozen=True)
class MembershipResult:
    """Both attacks' scores and figures for one version."""

    distance_members: np.ndarray
    distance_non_members: np.ndarray
    density_members: np.ndarray
    density_non_members: np.ndarray
    distance_auc: float
    density_auc: float
    distance_tpr: float
    density_tpr: float
    auc_noise: float
    tpr_noise: float

    @property
    def auc(self) -> float:
        """The stronger attack's AUC (the attacker picks the better one)."""
        return max(self.distance_auc, self.density_auc)

    @property
    def tpr(self) -> float:
        return max(self.distance_tpr, self.density_tpr)

    def figures(self) -> dict[str, float]:
        return {
            "membership_auc": self.auc,
            "membership_distance_auc": self.distance_auc,
            "membership_density_auc": self.density_auc,
            "membership_tpr_at_1pct_fpr": self.tpr,
            "membership_auc_noise": self.auc_noise,
            "membership_rows": float(self.distance_members.size),
        }


class MembershipAttack:
    """The attack's fixed side, prepared once per reference: who is scored, the real density.

    ``members``: the generator's training rows; ``holdout``: real rows it never saw, split into
    the non-members scored and the attacker's real reference for p_R (disjoint). At most
    :data:`MAX_ATTACK_ROWS` of each are scored (a seeded draw). All matrices in the same
    feature space (the caller centres them alike).
    """

    def __init__(
        self,
        members: np.ndarray,
        holdout: np.ndarray,
        *,
        k: int = DENSITY_K,
        seed: int = 0,
        engine: KnnEngine | None = None,
        max_rows: int = MAX_ATTACK_ROWS,
    ) -> None:
        self.engine = engine or KnnEngine()
        self.k = k
        rng = np.random.default_rng([seed, 7])
        n = min(members.shape[0], holdout.shape[0] // 2, max_rows)
        if n < 2 or holdout.shape[0] - n <= k:
            raise ValueError(
                f"membership attack needs >= 2 members and a holdout of more than 2 x "
                f"max(2, k + 1) rows; got {members.shape[0]} members, {holdout.shape[0]} holdout"
            )
        order = rng.permutation(holdout.shape[0])
        self.non_members = holdout[order[:n]]
        self.real_part = holdout[order[n:]]
        # Which rows of ``members`` are scored (ascending): a caller holding each member row's
        # exact nearest synthetic distance already passes those (see :meth:`attack`).
        self.member_rows = np.sort(rng.choice(members.shape[0], size=n, replace=False))
        self.members = members[self.member_rows]
        self.queries = np.vstack([self.members, self.non_members])
        near = self.engine.nearest(self.queries, self.real_part, min(k, self.real_part.shape[0]))
        self.log_real_radius = np.log(np.maximum(near.distances[:, -1], _TINY))

    @property
    def rows(self) -> int:
        return self.members.shape[0]

    def attack(
        self, synthetic: np.ndarray, *, member_distance: np.ndarray | None = None
    ) -> MembershipResult:
        """Score members and non-members against ``synthetic`` (one exact k-NN search).

        ``member_distance``: each row of the ``members`` given at construction, its exact
        distance to the nearest ``synthetic`` row, when the caller has them (the k-NN engine's
        cross pass of the reference, :attr:`collectors.knn.CrossCounts.real_nearest_distance`,
        BLAS backend: the same float64 recomputation, the same bits): only the non-members are
        searched then."""
        if member_distance is None:
            nearest = self.engine.nearest(self.queries, synthetic, 1).distances[:, 0]
        else:
            others = self.engine.nearest(self.non_members, synthetic, 1).distances[:, 0]
            nearest = np.concatenate([np.asarray(member_distance)[self.member_rows], others])
        n = self.rows
        distance = -nearest
        density = self.log_real_radius - np.log(np.maximum(nearest, _TINY))
        dm, dn = distance[:n], distance[n:]
        rm, rn = density[:n], density[n:]
        return MembershipResult(
            dm,
            dn,
            rm,
            rn,
            auc_mann_whitney(dm, dn),
            auc_mann_whitney(rm, rn),
            tpr_at_fpr(dm, dn),
            tpr_at_fpr(rm, rn),
            null_auc_sd(n, n),
            math.sqrt(FPR * (1 - FPR) / n),
        )
