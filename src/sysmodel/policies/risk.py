"""True risk of homelessness and noisy views of it (for upstream screening and rationing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..population import FILED, UNEMPLOYED

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["true_risk", "noisy_score", "auc"]


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


def noisy_score(risk: np.ndarray, accuracy: float, z: np.ndarray) -> np.ndarray:
    """A screening score: standardised risk mixed with noise so that its correlation with risk is
    ``accuracy`` (0 = pure noise, 1 = the true ranking)."""
    sd = risk.std()
    standard = (risk - risk.mean()) / sd if sd > 0 else np.zeros_like(risk)
    return accuracy * standard + np.sqrt(max(0.0, 1.0 - accuracy**2)) * z


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for a boolean ``outcome`` (Mann-Whitney, ties halved)."""
    outcome = np.asarray(outcome, dtype=bool)
    pos, neg = outcome.sum(), (~outcome).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size)
    ranks[order] = np.arange(1, score.size + 1)
    # average ranks over ties
    sorted_scores = score[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for s0, c in zip(start, counts, strict=True):
        if c > 1:
            ranks[order[s0 : s0 + c]] = ranks[order[s0 : s0 + c]].mean()
    return float((ranks[outcome].sum() - pos * (pos + 1) / 2) / (pos * neg))
