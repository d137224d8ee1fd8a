"""Rationing rules: the order in which rent-assistance applicants are funded when money is short.

A rule returns the applicants' rows in priority order; the rationing process funds them in that order
while money lasts. A researcher adds a rule by subclassing :class:`RationingRule` and registering it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..population import DOUBLED_UP, FILED, SHELTER, UNEMPLOYED
from ..registry import Registry

if TYPE_CHECKING:
    from ..population import Population

__all__ = ["RationingRule", "RATIONING_RULES", "vulnerability_score", "risk_score"]


def vulnerability_score(pop: Population, rows: np.ndarray) -> np.ndarray:
    """A coordinated-assessment style score (higher = more vulnerable), VI-SPDAT-like in spirit:
    literal homelessness, children, no earnings, high barriers, time homeless, an eviction filing."""
    return (
        3.0 * (pop.housing[rows] == SHELTER)
        + 1.5 * (pop.housing[rows] == DOUBLED_UP)
        + 1.0 * (pop.housing[rows] == FILED)
        + 0.5 * pop.children[rows]
        + 1.0 * (pop.emp[rows] == UNEMPLOYED)
        + 2.0 * pop.high_barrier[rows]
        + np.minimum(pop.months_homeless[rows], 12) / 6.0
    )


def risk_score(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Predicted risk of homelessness (higher = riskier), from what a hub can see: months of rent
    owed, a filing, no earnings, no savings, past shelter use."""
    months_owed = pop.arrears[rows] / np.maximum(pop.rent[rows], 1.0)
    return (
        np.minimum(months_owed, 6.0)
        + 2.0 * (pop.housing[rows] == FILED)
        + 1.5 * (pop.emp[rows] == UNEMPLOYED)
        + 1.0 * (pop.savings[rows] < 100.0)
        + 1.5 * pop.ever_sheltered[rows]
    )


class RationingRule:
    """Base class: ``order(pop, rows, applied_month, u, cost)`` returns ``rows`` in funding order.

    ``applied_month`` is each applicant's application month, ``u`` a uniform per applicant from the
    rationing stream (for ties and lotteries), ``cost`` the award each would receive.
    """

    name = "base"

    def __init__(self, group_weights: np.ndarray | None = None):
        self.group_weights = group_weights

    def priority(self, pop: Population, rows, applied_month, u, cost) -> np.ndarray:
        """Priority per applicant (higher is funded first)."""
        raise NotImplementedError

    def order(self, pop: Population, rows, applied_month, u, cost) -> np.ndarray:
        prio = self.priority(pop, rows, applied_month, u, cost)
        # lexsort: last key is primary; ties broken by the uniform draw.
        return rows[np.lexsort((u, -prio))]


RATIONING_RULES: Registry[RationingRule] = Registry("rationing rule")


@RATIONING_RULES.register("first_come_first_served")
class FirstComeFirstServed(RationingRule):
    """Earliest application first."""

    def priority(self, pop, rows, applied_month, u, cost):
        return -applied_month.astype(float)


@RATIONING_RULES.register("lottery")
class Lottery(RationingRule):
    """A random order (a fresh draw every month)."""

    def priority(self, pop, rows, applied_month, u, cost):
        return u


@RATIONING_RULES.register("most_vulnerable_first")
class MostVulnerableFirst(RationingRule):
    """Highest coordinated-assessment vulnerability score first."""

    def priority(self, pop, rows, applied_month, u, cost):
        return vulnerability_score(pop, rows)


@RATIONING_RULES.register("highest_risk_first")
class HighestRiskFirst(RationingRule):
    """Highest predicted risk of homelessness first."""

    def priority(self, pop, rows, applied_month, u, cost):
        return risk_score(pop, rows)


@RATIONING_RULES.register("cost_effectiveness")
class CostEffectiveness(RationingRule):
    """Most predicted risk per dollar of award first."""

    def priority(self, pop, rows, applied_month, u, cost):
        return risk_score(pop, rows) / np.maximum(cost, 1.0)


@RATIONING_RULES.register("equity_weighted")
class EquityWeighted(RationingRule):
    """Vulnerability weighted up for groups facing structural barriers (weight = 1 / hiring multiplier)."""

    def priority(self, pop, rows, applied_month, u, cost):
        weights = self.group_weights if self.group_weights is not None else np.ones(1)
        return vulnerability_score(pop, rows) * weights[pop.group[rows]]
