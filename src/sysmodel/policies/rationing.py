"""Rationing rules: the order in which rent-assistance applicants are funded when money is short.

A rule returns the applicants' rows in priority order; the rationing process funds them in that order
while money lasts. A researcher adds a rule by subclassing :class:`RationingRule` and registering it.

Rules that rank by prediction (``uses_predictions = True``) are given the hub's predicted risk of each
applicant and its predicted fall if helped (:class:`Predictions`), from the one calibrated score
(``policies.risk``, ``targeting.target_auc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..population import DOUBLED_UP, FILED, SHELTER, UNEMPLOYED, UNSHELTERED
from ..registry import Registry

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["RationingRule", "RATIONING_RULES", "Predictions", "vulnerability_score"]


@dataclass(frozen=True)
class Predictions:
    """The hub's predictions for each applicant, aligned with the applicants' rows.

    ``risk``: predicted probability of shelter entry within 12 months as things stand; ``benefit``:
    that probability minus the predicted probability if the family is helped (the predicted fall in
    risk; it can be negative, since each prediction has its own error).
    """

    risk: np.ndarray
    benefit: np.ndarray


def vulnerability_score(pop: Population, rows: np.ndarray) -> np.ndarray:
    """A coordinated-assessment style score (higher = more vulnerable), VI-SPDAT-like in spirit:
    literal homelessness, children, no earnings, high barriers, time homeless, an eviction filing."""
    return (
        3.0 * ((pop.housing[rows] == SHELTER) | (pop.housing[rows] == UNSHELTERED))
        + 1.5 * (pop.housing[rows] == DOUBLED_UP)
        + 1.0 * (pop.housing[rows] == FILED)
        + 0.5 * pop.children[rows]
        + 1.0 * (pop.emp[rows] == UNEMPLOYED)
        + 2.0 * pop.high_barrier[rows]
        + np.minimum(pop.months_homeless[rows], 12) / 6.0
    )


class RationingRule:
    """Base class: ``order(pop, rows, applied_month, u, cost, predicted)`` returns ``rows`` in funding order.

    ``applied_month`` is each applicant's application month, ``u`` a uniform per applicant from the
    rationing stream (for ties and lotteries), ``cost`` the award each would receive, ``predicted`` the
    hub's :class:`Predictions` (given only to rules that set ``uses_predictions``).
    """

    name = "base"
    #: True if the rule ranks by the hub's predicted risk or benefit (the process then computes them).
    uses_predictions: ClassVar[bool] = False

    def __init__(self, group_weights: np.ndarray | None = None):
        self.group_weights = group_weights

    def priority(
        self, pop: Population, rows, applied_month, u, cost, predicted: Predictions | None = None
    ) -> np.ndarray:
        """Priority per applicant (higher is funded first)."""
        raise NotImplementedError

    def order(
        self, pop: Population, rows, applied_month, u, cost, predicted: Predictions | None = None
    ) -> np.ndarray:
        if self.uses_predictions and predicted is None:
            raise ValueError(f"rationing rule {self.name!r} ranks by predictions; none were given")
        prio = self.priority(pop, rows, applied_month, u, cost, predicted)
        # lexsort: last key is primary; ties broken by the uniform draw.
        return rows[np.lexsort((u, -prio))]


RATIONING_RULES: Registry[RationingRule] = Registry("rationing rule")


@RATIONING_RULES.register("first_come_first_served")
class FirstComeFirstServed(RationingRule):
    """Earliest application first."""

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return -applied_month.astype(float)


@RATIONING_RULES.register("lottery")
class Lottery(RationingRule):
    """A random order (a fresh draw every month)."""

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return u


@RATIONING_RULES.register("most_vulnerable_first")
class MostVulnerableFirst(RationingRule):
    """Highest coordinated-assessment vulnerability score first."""

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return vulnerability_score(pop, rows)


@RATIONING_RULES.register("highest_risk_first")
class HighestRiskFirst(RationingRule):
    """Highest predicted risk of shelter entry within 12 months first (the hub's calibrated score)."""

    uses_predictions = True

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return predicted.risk


@RATIONING_RULES.register("cost_effectiveness")
class CostEffectiveness(RationingRule):
    """Most predicted risk (probability of shelter entry within 12 months) per dollar of award first."""

    uses_predictions = True

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return predicted.risk / np.maximum(cost, 1.0)


@RATIONING_RULES.register("largest_predicted_benefit")
class LargestPredictedBenefit(RationingRule):
    """Largest predicted fall in the risk of shelter entry within 12 months if helped first.

    Ranking by benefit rather than risk follows Kube, Das & Fowler (JAMIA 2023): the families at
    highest risk are not always those whom help changes most.
    """

    uses_predictions = True

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        return predicted.benefit


@RATIONING_RULES.register("eviction_filed_first")
class EvictionFiledFirst(RationingRule):
    """Families with an eviction case filed first, then by application month (earliest first).

    As court-based eviction-diversion programmes do. Re-housing applicants (no lease, so no case)
    are all in the second tier: for them this is first come, first served.
    """

    def order(self, pop, rows, applied_month, u, cost, predicted=None):
        filed = pop.housing[rows] == FILED
        # lexsort: last key is primary: filed first, then earliest application, then the draw.
        return rows[np.lexsort((u, applied_month, ~filed))]


@RATIONING_RULES.register("equity_weighted")
class EquityWeighted(RationingRule):
    """Vulnerability weighted up for groups facing structural barriers (weight = 1 / hiring multiplier)."""

    def priority(self, pop, rows, applied_month, u, cost, predicted=None):
        weights = self.group_weights if self.group_weights is not None else np.ones(1)
        return vulnerability_score(pop, rows) * weights[pop.group[rows]]
