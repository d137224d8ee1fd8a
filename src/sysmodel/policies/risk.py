"""True risk of homelessness and noisy views of it (for upstream screening and rationing).

A screening score is the standardised true risk mixed with independent noise (:func:`noisy_score`).
How much noise is set by a target AUC (:func:`weight_for_auc`): the score's AUC for telling apart the
screened families whose true risk is in the top ``share`` (:func:`top_share`) from the others.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..population import FILED, UNEMPLOYED

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["true_risk", "noisy_score", "auc", "average_ranks", "top_share", "weight_for_auc"]


def true_risk(pop: Population) -> np.ndarray:
    """A risk index for every family (higher = more likely to lose housing soon).

    Built from the state that drives the housing chain: months of rent owed, an open filing, no work,
    no savings cushion, past shelter use, and the hidden high-barrier trait that screening cannot see
    directly.
    """
    months_owed = np.minimum(pop.arrears / np.maximum(pop.rent, 1.0), 6.0)
    return (
        months_owed
        + 2.0 * (pop.housing == FILED)
        + 1.5 * (pop.emp == UNEMPLOYED)
        + 1.0 * (pop.savings < 300.0)
        + 1.5 * pop.ever_sheltered
        + 1.0 * pop.high_barrier
        + 0.5 * (pop.rent > 0.5 * np.maximum(pop.income, 1.0))
    )


def noisy_score(risk: np.ndarray, weight: float, z: np.ndarray) -> np.ndarray:
    """A screening score: ``weight`` x standardised risk + sqrt(1 - weight^2) x noise ``z``.

    With standard-normal ``z`` the score has unit variance and correlates with the standardised risk at
    about ``weight`` (0 = pure noise, 1 = the true ranking).
    """
    sd = risk.std()
    standard = (risk - risk.mean()) / sd if sd > 0 else np.zeros_like(risk)
    return weight * standard + np.sqrt(max(0.0, 1.0 - weight**2)) * z


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x``, tied values sharing the mean of their ranks (``scipy.stats.rankdata``'s
    default method, written in numpy so that screening does not import scipy.stats, about 0.3 s)."""
    x = np.asarray(x).ravel()
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]  # the first of each run of equal values
    group = np.cumsum(first) - 1
    bounds = np.r_[np.flatnonzero(first), x.size]  # 0-based start of each run, then n
    mean_rank = 0.5 * (bounds[:-1] + 1 + bounds[1:])  # mean of the 1-based ranks start+1..end
    ranks = np.empty(x.size, dtype=float)
    ranks[order] = mean_rank[group]
    return ranks


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for a boolean ``outcome`` (Mann-Whitney, ties halved).

    The share of (positive, negative) pairs in which the positive scores higher, a tie counting one
    half; NaN when there are no positives or no negatives.
    """
    outcome = np.asarray(outcome, dtype=bool)
    pos = int(outcome.sum())
    neg = outcome.size - pos
    if pos == 0 or neg == 0:
        return math.nan
    ranks = average_ranks(score)  # average ranks over ties = ties halved
    return float((ranks[outcome].sum() - pos * (pos + 1) / 2) / (pos * neg))


def top_share(risk: np.ndarray, share: float) -> np.ndarray:
    """The families whose ``risk`` is in the top ``share``: at or above the (1 - share) quantile.

    Ties at the cut count as in the top, so more than ``share`` may be. If that would take everyone
    (the cut ties with the lowest risk), the families tied at the lowest risk are the rest instead, so
    that the split stays defined whenever the risks are not all equal.
    """
    if risk.size == 0:
        return np.zeros(0, dtype=bool)
    cut = np.quantile(risk, 1.0 - share)
    top = risk >= cut
    return top if not top.all() else risk > cut


def weight_for_auc(
    risk: np.ndarray, z: np.ndarray, positive: np.ndarray, target: float, iterations: int = 30
) -> tuple[float, float]:
    """The ``noisy_score`` weight whose score has AUC ``target`` for ``positive``, and that AUC.

    Bisection on the weight in [0, 1] with the noise ``z`` held fixed, so the answer is deterministic.
    The AUC of a finite sample moves in steps, so the weight returned is the bracket end whose AUC is
    nearer the target. A target below the pure-noise AUC gives weight 0, above the noise-free AUC
    weight 1. If the AUC is undefined (no positives or no negatives) the weight is 0 and the AUC NaN.
    """

    def achieved(w: float) -> float:
        return auc(noisy_score(risk, w, z), positive)

    lo, hi = 0.0, 1.0
    auc_lo, auc_hi = achieved(lo), achieved(hi)
    if math.isnan(auc_lo):
        return 0.0, math.nan
    if target <= auc_lo:
        return lo, auc_lo
    if target >= auc_hi:
        return hi, auc_hi
    # Invariant: auc_lo < target <= auc_hi (the AUC rises with the weight, if not strictly in a sample).
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        a = achieved(mid)
        if a < target:
            lo, auc_lo = mid, a
        else:
            hi, auc_hi = mid, a
    return (lo, auc_lo) if target - auc_lo <= auc_hi - target else (hi, auc_hi)
