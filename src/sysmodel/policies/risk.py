"""The hub's one predicted-risk score: a noisy view of the model's true risk, calibrated to a target AUC.

The *true risk* (:func:`true_risk`) is an index of the family state that drives the housing chain. The
*score* mixes the standardised index with independent noise (:meth:`RiskScore.score`); the noise weight
is set so that the score's AUC for **shelter entry within the next 12 months** equals
``targeting.target_auc``. The mapping from target to weight comes from recorded (true risk, outcome)
pairs of a status-quo pilot run (``sysmodel.targeting``): :func:`expected_auc` gives the score's AUC for
a weight, averaged over the noise in closed form, and :func:`weight_for_target` inverts it by
bisection. The true risk's own AUC on the same pairs is the best achievable AUC: no amount of noise
removed makes the score better than the index it is a view of.

A score is turned into a predicted probability by a logistic calibration fitted on the pilot
(:func:`fit_logistic`), so that rules can compare risks and falls in risk across families.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..population import DOUBLED_UP, FILED, UNEMPLOYED, UNSHELTERED

if TYPE_CHECKING:
    from ..population import Population

__all__ = [
    "RiskScore",
    "risk_index",
    "true_risk",
    "auc",
    "average_ranks",
    "expected_auc",
    "weight_for_target",
    "fit_logistic",
    "SIGNAL_GRID",
]

# Savings under this (USD) count as "no cushion" in the true-risk index.
_LOW_SAVINGS_USD = 300.0
# The calibration rounds the true-risk index to this grid (index units) so that the AUC over all
# positive-negative pairs is a short convolution; it is 1/100 of a month of rent owed.
SIGNAL_GRID = 0.01
_ERF = np.frompyfunc(math.erf, 1, 1)


def expit(x: np.ndarray | float) -> np.ndarray:
    """The logistic function 1 / (1 + e^-x), without overflow (numpy only: importing scipy.special
    costs a quarter of a second at start-up)."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal distribution function, elementwise (math.erf: exact, numpy only)."""
    return 0.5 * (1.0 + _ERF(np.asarray(x, dtype=float) / math.sqrt(2.0)).astype(float))


def risk_index(
    *,
    arrears: np.ndarray,
    rent: np.ndarray,
    housing: np.ndarray,
    emp: np.ndarray,
    savings: np.ndarray,
    ever_sheltered: np.ndarray,
    high_barrier: np.ndarray,
    income: np.ndarray,
) -> np.ndarray:
    """The true-risk index from family columns (higher = more likely to enter shelter soon).

    Given columns rather than a population so that the rules can ask what the index would be if a
    family were helped (arrears paid, a filing diverted, a lease with a subsidy).
    """
    months_owed = np.minimum(arrears / np.maximum(rent, 1.0), 6.0)
    return (
        months_owed
        + 2.0 * (housing == FILED)
        # Only doubled-up (and unsheltered) families enter shelter (help_seeking): the strongest sign
        # of an entry soon.
        # The weight 3 lifts the index's AUC for an entry within 12 months from 0.80 to 0.86 on the
        # defaults (larger weights add little: 0.87 at 5); docs/ODD.md 7.12.
        + 3.0 * ((housing == DOUBLED_UP) | (housing == UNSHELTERED))
        + 1.5 * (emp == UNEMPLOYED)
        + 1.0 * (savings < _LOW_SAVINGS_USD)
        + 1.5 * ever_sheltered
        + 1.0 * high_barrier
        + 0.5 * (rent > 0.5 * np.maximum(income, 1.0))
    )


def true_risk(pop: Population, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """The true-risk index of the families in ``rows`` (all by default), from their current state.

    Built from the state that drives the housing chain: months of rent owed, an open filing, doubling
    up, no work, no savings cushion, past shelter use, the hidden high-barrier trait that the hub
    cannot see directly, and a rent over half of income.
    """
    return risk_index(
        arrears=pop.arrears[rows],
        rent=pop.rent[rows],
        housing=pop.housing[rows],
        emp=pop.emp[rows],
        savings=pop.savings[rows],
        ever_sheltered=pop.ever_sheltered[rows],
        high_barrier=pop.high_barrier[rows],
        income=pop.income[rows],
    )


@dataclass(frozen=True)
class RiskScore:
    """The calibrated score: ``weight x (signal - mean) / sd + sqrt(1 - weight^2) x z``.

    ``mean`` and ``sd`` standardise the true-risk signal with the pilot's population (fixed, so that
    scores of different months and families are on one scale); ``intercept`` and ``slope`` map a score
    to a predicted probability of shelter entry within 12 months. ``best_auc`` is the true risk's own
    AUC for that outcome on the pilot, ``pilot_auc`` the score's expected AUC there (the target, as
    nearly as the bisection gets), ``pilot_pairs`` the families followed and ``pilot_positives`` those
    who entered shelter.
    """

    target_auc: float
    weight: float
    mean: float
    sd: float
    intercept: float
    slope: float
    best_auc: float
    pilot_auc: float
    pilot_pairs: int
    pilot_positives: int

    def score(self, signal: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Scores (standard units) for true-risk ``signal`` and standard-normal noise ``z``."""
        standard = (signal - self.mean) / self.sd
        return self.weight * standard + math.sqrt(max(0.0, 1.0 - self.weight**2)) * z

    def probability(self, score: np.ndarray) -> np.ndarray:
        """Predicted probability of shelter entry within 12 months for a score."""
        return expit(self.intercept + self.slope * np.asarray(score, dtype=float))


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


def pair_differences(signal: np.ndarray, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (positive - negative) difference of ``signal`` on the :data:`SIGNAL_GRID`, with counts.

    Returns the distinct differences (index units) and the number of pairs with each. The signal is
    rounded to the grid so that the pair counts are one convolution of the two classes' histograms.
    """
    outcome = np.asarray(outcome, dtype=bool)
    cells = np.rint(np.asarray(signal, dtype=float) / SIGNAL_GRID).astype(np.int64)
    lo = int(cells.min())
    pos = np.bincount(cells[outcome] - lo, minlength=int(cells.max()) - lo + 1)
    neg = np.bincount(cells[~outcome] - lo, minlength=pos.size)
    # counts[k] = pairs with positive cell - negative cell = k - (size - 1).
    counts = np.convolve(pos.astype(float), neg[::-1].astype(float))
    diffs = (np.arange(counts.size) - (pos.size - 1)) * SIGNAL_GRID
    keep = counts > 0
    return diffs[keep], counts[keep]


def expected_auc(diffs: np.ndarray, counts: np.ndarray, weight: float, sd: float) -> float:
    """The score's AUC for the pairs ``(diffs, counts)``, averaged over its noise (closed form).

    For a positive-negative pair whose signals differ by ``d``, the score difference is
    ``weight d / sd`` plus noise ``N(0, 2 (1 - weight^2))``, so the positive scores higher with
    probability ``Phi(weight d / (sd sqrt(2 (1 - weight^2))))``; at ``weight = 1`` that is 1, 0 or
    1/2 (a tie), which makes ``expected_auc(..., 1, sd)`` the signal's own AUC with ties halved.
    """
    total = counts.sum()
    if weight >= 1.0:
        right = np.where(diffs > 0, 1.0, np.where(diffs < 0, 0.0, 0.5))
    else:
        ratio = weight / (sd * math.sqrt(2.0 * (1.0 - weight**2)))
        right = ndtr(ratio * diffs)
    return float((counts * right).sum() / total)


def weight_for_target(
    diffs: np.ndarray, counts: np.ndarray, sd: float, target: float, iterations: int = 40
) -> tuple[float, float]:
    """The noise weight whose expected AUC is ``target``, and that AUC (bisection on [0, 1]).

    The expected AUC rises from 1/2 at weight 0 to the signal's own AUC at weight 1 (for a signal
    better than chance); the caller refuses targets above that. Deterministic: no random draws.
    """
    lo, hi = 0.0, 1.0
    if target <= 0.5:
        return 0.0, 0.5
    best = expected_auc(diffs, counts, 1.0, sd)
    if target >= best:
        return 1.0, best
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if expected_auc(diffs, counts, mid, sd) < target:
            lo = mid
        else:
            hi = mid
    weight = 0.5 * (lo + hi)
    return weight, expected_auc(diffs, counts, weight, sd)


def fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Intercept and slope of a logistic regression of boolean ``y`` on ``x`` (Newton-Raphson).

    A tiny ridge keeps the 2 x 2 system solvable when ``x`` carries no information (weight 0).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
    beta = np.array([math.log(rate / (1 - rate)), 0.0])
    design = np.column_stack([np.ones_like(x), x])
    for _ in range(iterations):
        p = expit(design @ beta)
        gradient = design.T @ (y - p)
        hessian = (design * (p * (1 - p))[:, None]).T @ design + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])
