"""Rationing rules applied to a household table, bounded by the optimal assignment.

A household table holds one row per household: the intervention it got, its predicted probability of
an adverse outcome under each intervention, eligibility flags and 0/1 group flags (the layout of the
public counterfactual table of Kube, Das & Fowler, 2023, by default). :func:`allocate` shares out each
intervention's places under every registered rule (:data:`ALLOCATION_RULES`), compares each with the
observed assignment, and solves the assignment problem for the fewest expected adverse outcomes::

    from sysmodel.allocate import allocate
    result = allocate("households.csv", capacities={"RRH": 120})
    result.summary       # one row per rule and group
    result.allocations   # one row per household and rule

See docs/allocate.md.
"""

from .optimum import Optimum, optimal_assignment
from .result import OPTIMUM, AllocationResult, allocate, capacities_for
from .rules import ALLOCATION_RULES, AllocationRule, EquityWeightedBenefit, HouseholdOrderRule
from .table import KUBE_LAYOUT, AllocationError, HouseholdTable, TableLayout, read_table

__all__ = [
    "allocate",
    "AllocationResult",
    "AllocationError",
    "ALLOCATION_RULES",
    "AllocationRule",
    "HouseholdOrderRule",
    "EquityWeightedBenefit",
    "TableLayout",
    "KUBE_LAYOUT",
    "HouseholdTable",
    "read_table",
    "capacities_for",
    "optimal_assignment",
    "Optimum",
    "OPTIMUM",
]
