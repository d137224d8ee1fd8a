"""The optimum of the assignment problem: the fewest expected adverse outcomes any rule could reach.

Minimise the sum of predicted probabilities over households, each getting exactly one intervention it
is eligible for, with no intervention above its capacity. This is a transportation problem: its
constraint matrix is totally unimodular, so the linear program has an optimal vertex with every
variable 0 or 1, and HiGHS's simplex returns one. The solution is checked to be integral before it is
rounded, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from .rules import check_feasible
from .table import HouseholdTable

__all__ = ["Optimum", "optimal_assignment", "INTEGRALITY_TOLERANCE"]

# How far from 0 or 1 a solver's value may be and still count as integral (HiGHS's own feasibility
# tolerance is 1e-7).
INTEGRALITY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Optimum:
    """The optimal assignment and the linear program's own objective value."""

    assigned: np.ndarray
    objective: float
    max_fractional: float  # the largest distance of an LP value from 0 or 1, before rounding


def optimal_assignment(table: HouseholdTable, capacities: np.ndarray) -> Optimum:
    """Solve the assignment problem with ``scipy.optimize.linprog(method="highs")``."""
    check_feasible(table, capacities)
    rows, cols = np.nonzero(table.eligible)  # one variable per eligible (household, intervention)
    m = len(rows)
    var = np.arange(m)
    one_each = sparse.csr_array((np.ones(m), (rows, var)), shape=(table.n, m))
    within = sparse.csr_array((np.ones(m), (cols, var)), shape=(len(table.names), m))
    solution = linprog(
        c=table.probability[rows, cols],
        A_ub=within,
        b_ub=capacities.astype(float),
        A_eq=one_each,
        b_eq=np.ones(table.n),
        bounds=(0, 1),
        method="highs",
    )
    if solution.status != 0:
        raise RuntimeError(f"the assignment linear program did not solve: {solution.message}")
    x = solution.x
    fractional = float(np.max(np.abs(x - np.round(x)))) if m else 0.0
    if fractional > INTEGRALITY_TOLERANCE:
        raise RuntimeError(
            f"the assignment linear program returned a value {fractional:.2g} away from 0 or 1; a "
            "transportation problem's simplex optimum is integral, so the solver failed"
        )
    chosen = np.round(x) == 1
    assigned = np.full(table.n, -1, dtype=np.int64)
    assigned[rows[chosen]] = cols[chosen]
    if (assigned < 0).any() or np.bincount(rows[chosen], minlength=table.n).max() != 1:
        raise RuntimeError(
            "the rounded optimum does not give every household exactly one intervention"
        )
    return Optimum(assigned=assigned, objective=float(solution.fun), max_fractional=fractional)
