"""Allocation rules: who gets which scarce intervention, applied to a household table.

Every rule but ``observed`` works the same way: it gives each (household, intervention) pair a
priority, and pairs are taken in descending priority (ties: table order, then the less intensive
intervention). A pair is granted when the household has nothing yet, the intervention has room, and
granting it still leaves a way to give every remaining household an option it is eligible for (see
:class:`_Feasibility`). So every household gets exactly one intervention, no intervention exceeds its
capacity, and eligibility is respected whatever the rule's priorities.

A researcher adds a rule by subclassing :class:`AllocationRule` (priorities for every pair) or
:class:`HouseholdOrderRule` (an order of households, each taking its most preferred option with room)
and registering it::

    @ALLOCATION_RULES.register("youngest_first")
    class YoungestFirst(HouseholdOrderRule):
        \"\"\"Households with the youngest head first; each takes its lowest-risk option.\"\"\"

        def household_order(self, table, rng):
            return np.argsort(table.groups["age"].to_numpy(), kind="stable")
"""

from __future__ import annotations

import numpy as np

from ..registry import Registry
from .table import AllocationError, HouseholdTable

__all__ = [
    "AllocationRule",
    "HouseholdOrderRule",
    "ALLOCATION_RULES",
    "greedy_assign",
    "check_feasible",
]


class AllocationRule:
    """Base class: :meth:`allocate` grants pairs in the order of :meth:`priority` (a template method).

    ``requires_group`` marks rules that need a 0/1 group column; they are skipped for tables with none.
    """

    name = "base"
    requires_group = False

    def priority(self, table: HouseholdTable, rng: np.random.Generator) -> np.ndarray:
        """A (households, interventions) array: higher pairs are granted first."""
        raise NotImplementedError

    def settings(self, table: HouseholdTable) -> dict:
        """The rule's own settings as applied to ``table`` (recorded in the manifest)."""
        return dict(vars(self))

    def allocate(
        self, table: HouseholdTable, capacities: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """The intervention index each household gets under this rule."""
        return greedy_assign(table, capacities, self.priority(table, rng))


class HouseholdOrderRule(AllocationRule):
    """A rule that serves households one at a time: each takes its most preferred option with room.

    Subclasses give :meth:`household_order`; :meth:`preference` defaults to the option with the lowest
    predicted probability of the adverse outcome for that household (ties: the less intensive).
    """

    def household_order(self, table: HouseholdTable, rng: np.random.Generator) -> np.ndarray:
        """Household rows, first served first."""
        raise NotImplementedError

    def preference(self, table: HouseholdTable) -> np.ndarray:
        """(households, interventions) ranks, 0 = most preferred."""
        # Stable sort on the probability: equal probabilities keep the least intensive first.
        order = np.argsort(np.nan_to_num(table.probability, nan=np.inf), axis=1, kind="stable")
        return np.argsort(order, axis=1, kind="stable")

    def priority(self, table: HouseholdTable, rng: np.random.Generator) -> np.ndarray:
        order = self.household_order(table, rng)
        k = len(table.names)
        place = np.empty(table.n, dtype=np.int64)
        place[order] = np.arange(table.n)
        # Every pair of an earlier household outranks every pair of a later one; within a household,
        # its preference decides. Integers, so no tie is lost to rounding.
        return ((table.n - place)[:, None] * k + (k - 1 - self.preference(table))).astype(float)


ALLOCATION_RULES: Registry[AllocationRule] = Registry("allocation rule")


@ALLOCATION_RULES.register("observed")
class Observed(AllocationRule):
    """The assignment the households actually got: the reference every rule is compared with.

    It is reported as it happened, whatever the capacities given.
    """

    def allocate(self, table, capacities, rng):
        return table.original.copy()


@ALLOCATION_RULES.register("first_come_first_served")
class FirstComeFirstServed(HouseholdOrderRule):
    """Households in table order; each takes the option with its lowest predicted probability that
    still has room."""

    def household_order(self, table, rng):
        return np.arange(table.n)


@ALLOCATION_RULES.register("lottery")
class Lottery(HouseholdOrderRule):
    """Households in a random order (from the seed); each takes the option with its lowest predicted
    probability that still has room."""

    def household_order(self, table, rng):
        return rng.permutation(table.n)


@ALLOCATION_RULES.register("highest_risk_first")
class HighestRiskFirst(HouseholdOrderRule):
    """Households by predicted probability under the baseline, highest first (ties: table order);
    each takes the most intensive option that still has room.

    So the riskiest households fill the most intensive intervention, the next fill the next most
    intensive, and the least risky get the least intensive ones.
    """

    def household_order(self, table, rng):
        return np.argsort(-table.risk(), kind="stable")

    def preference(self, table):
        k = len(table.names)
        return np.broadcast_to(np.arange(k)[::-1], (table.n, k)).copy()


@ALLOCATION_RULES.register("largest_predicted_benefit")
class LargestPredictedBenefit(AllocationRule):
    """Pairs by predicted benefit, largest first: the fall in predicted probability from the
    household's baseline option to the intervention (zero for the baseline itself).

    A greedy heuristic: it is not the optimum, because a pair granted early can take a place that
    several later pairs together would have used better.
    """

    def priority(self, table, rng):
        return table.risk()[:, None] - table.probability


@ALLOCATION_RULES.register("equity_weighted_benefit")
class EquityWeightedBenefit(AllocationRule):
    """As ``largest_predicted_benefit``, but the predicted benefit of households with ``group`` == 1 is
    multiplied by ``weight`` (default: the first group column, weight 2).

    A transparent way to trade some expected outcomes for a group's priority; ``weight`` 1 is
    ``largest_predicted_benefit``.
    """

    requires_group = True

    def __init__(self, group: str | None = None, weight: float = 2.0):
        if not weight > 0:
            raise AllocationError(f"--equity-weight {weight}: allowed: a number above 0.")
        self.group, self.weight = group, float(weight)

    def settings(self, table):
        return {"group": self.group or table.layout.groups[0], "weight": self.weight}

    def priority(self, table, rng):
        group = self.settings(table)["group"]
        if group not in table.groups:
            raise AllocationError(
                f"--equity-group {group!r} is not a group column of {table.source}; group columns: "
                f"{', '.join(table.groups.columns) or 'none'} (add one with --group COLUMN)."
            )
        weight = np.where(table.groups[group].to_numpy() == 1, self.weight, 1.0)
        return weight[:, None] * (table.risk()[:, None] - table.probability)


class _Feasibility:
    """Whether the households not yet served can still all get an option, as pairs are granted.

    By Hall's theorem for capacitated assignment, they can if and only if, for every set S of
    interventions, the households eligible only for interventions in S number no more than the room
    left in S. The slack (room minus households) of every subset is kept up to date; granting household
    i intervention j lowers the slack of subsets holding j and raises it for subsets holding all of i's
    options, so it is safe unless a subset with no slack holds j but not all of i's options.
    """

    def __init__(self, eligible: np.ndarray, capacities: np.ndarray):
        k = eligible.shape[1]
        subsets = np.arange(2**k)
        self.holds = (subsets[None, :] >> np.arange(k)[:, None]) & 1 == 1  # (k, 2**k)
        self.pattern = (eligible.astype(np.int64) << np.arange(k)).sum(axis=1)
        self.covers = {
            p: (subsets & p) == p for p in np.unique(self.pattern).tolist()
        }  # subsets holding all of a pattern's options
        room = self.holds.T.astype(np.int64) @ capacities.astype(np.int64)
        counts = np.bincount(self.pattern, minlength=2**k)
        # households eligible only within S: the sum over patterns that are subsets of S
        within = np.zeros(2**k, dtype=np.int64)
        for p, c in enumerate(counts):
            if c:
                within[self.covers[p]] += c
        self.slack = room - within
        self._risky: dict[tuple[int, int], np.ndarray] = {}

    def worst(self) -> int:
        """The subset with the least slack (negative: no complete assignment exists)."""
        return int(np.argmin(self.slack))

    def can_grant(self, i: int, j: int) -> bool:
        p = int(self.pattern[i])
        key = (p, j)
        if key not in self._risky:
            self._risky[key] = np.flatnonzero(self.holds[j] & ~self.covers[p])
        return not np.any(self.slack[self._risky[key]] == 0)

    def grant(self, i: int, j: int) -> None:
        self.slack[self.holds[j]] -= 1
        self.slack[self.covers[int(self.pattern[i])]] += 1


def check_feasible(table: HouseholdTable, capacities: np.ndarray) -> None:
    """Raise a clear :class:`AllocationError` if no assignment gives every household an option it is
    eligible for within ``capacities``."""
    total = int(capacities.sum())
    given = ", ".join(f"{n} {c:,}" for n, c in zip(table.names, capacities.tolist(), strict=True))
    if total < table.n:
        raise AllocationError(
            f"{table.source}: the capacities add up to {total:,} ({given}) but the table has "
            f"{table.n:,} households; every household gets exactly one intervention, so the "
            f"capacities must add up to at least {table.n:,}. Raise one with --capacity NAME=N."
        )
    feasibility = _Feasibility(table.eligible, capacities)
    s = feasibility.worst()
    if feasibility.slack[s] < 0:
        inside = [n for j, n in enumerate(table.names) if feasibility.holds[j, s]]
        room = int(capacities[feasibility.holds[:, s]].sum())
        needing = room - int(feasibility.slack[s])
        raise AllocationError(
            f"{table.source}: {needing:,} households can only get {' or '.join(inside)}, but the "
            f"capacities leave room for {room:,} there ({given}); raise --capacity of "
            f"{' or '.join(inside)}."
        )


def greedy_assign(
    table: HouseholdTable, capacities: np.ndarray, priority: np.ndarray
) -> np.ndarray:
    """Grant eligible pairs in descending ``priority`` (ties: table order, then the less intensive
    intervention) while keeping a complete assignment possible; returns each household's intervention."""
    check_feasible(table, capacities)
    rows, cols = np.nonzero(table.eligible)
    order = np.lexsort((cols, rows, -priority[rows, cols]))
    assigned = np.full(table.n, -1, dtype=np.int64)
    room = capacities.astype(np.int64).copy()
    feasibility = _Feasibility(table.eligible, capacities)
    for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        # (No room is also caught by the feasibility check, on the subset {j}; this is cheaper.)
        if assigned[i] >= 0 or room[j] == 0 or not feasibility.can_grant(i, j):
            continue
        assigned[i] = j
        room[j] -= 1
        feasibility.grant(i, j)
    # Hall's condition guarantees each household an option when its turn comes; check, never assume.
    if (assigned < 0).any():
        raise RuntimeError("greedy_assign left a household without an intervention")
    return assigned
