"""Rent assistance: applicants are ranked by the rationing rule and funded while money lasts.

The hub's budget arrives monthly (a twelfth of the year's, split between prevention and re-housing);
unspent money carries over. Prevention pays arrears (up to a cap), which stops a filing; re-housing
commits a deposit plus a subsidy of the configured depth and duration to a family in shelter or doubled
up, who then looks for a landlord (``services``). Funds are never overspent: applicants are funded in
the rule's order until the next one no longer fits.
"""

from __future__ import annotations

import numpy as np

from ..policies import RATIONING_RULES
from ..population import BEHIND, DOUBLED_UP, FILED, NEVER, SHELTER, STABLE, lease_rent
from ..services import budget_split
from .base import PROCESSES, Process


@PROCESSES.register("rationing")
class Rationing(Process):
    """Funds prevention and re-housing applicants in the order of the scenario's rationing rule."""

    summary = (
        "rank rent-assistance applicants by the rationing rule; fund them until the budget is gone"
    )
    # Prevention that clears the arrears ends the arrears (and any filing) at once.
    housing_routes = {("behind", "stable"): "prevention", ("filed", "stable"): "prevention"}

    def setup(self) -> None:
        groups = self.params.population.groups
        weights = np.array([1.0 / max(g.hiring_multiplier, 1e-6) for g in groups])
        self.rule = RATIONING_RULES.get(self.params.assistance.rationing)(group_weights=weights)

    def fund(
        self, pot: str, rows: np.ndarray, applied: np.ndarray, cost: np.ndarray, draw: str
    ) -> np.ndarray:
        """Rows funded from ``pot``, in the rule's order, while the money lasts (a prefix of the order)."""
        if rows.size == 0:
            return rows
        u = self.uniform(draw)[rows]
        order_rows = self.rule.order(self.pop, rows, applied, u, cost)
        ordered_cost = cost[np.searchsorted(rows, order_rows)]  # rows are sorted (flatnonzero)
        within = np.cumsum(ordered_cost) <= self.model.services.funds[pot] + 1e-9
        # Strict priority: stop at the first applicant who no longer fits.
        n = int(np.argmin(within)) if not within.all() else within.size
        funded = order_rows[:n]
        spent = float(ordered_cost[:n].sum())
        self.model.services.funds[pot] -= spent
        self.spend(f"{pot}_usd", spent)
        self.count(f"{pot}_applicants", rows.size)
        self.count(f"{pot}_awards", n)
        return funded

    def fund_braided(
        self, pot: str, rows: np.ndarray, applied: np.ndarray, cost: np.ndarray, draw: str
    ) -> np.ndarray:
        """In a child-welfare partnership, involved families are funded from the braided pot first;
        everyone not funded there competes for ``pot``."""
        if not self.params.children.cw_housing_partnership or rows.size == 0:
            return self.fund(pot, rows, applied, cost, draw)
        cw = self.pop.cw_involved[rows]
        from_braided = self.fund("braided", rows[cw], applied[cw], cost[cw], f"{draw}_braided")
        rest = ~np.isin(rows, from_braided)
        funded = self.fund(pot, rows[rest], applied[rest], cost[rest], draw)
        return np.sort(np.concatenate([from_braided, funded]))

    @staticmethod
    def open_applications(eligible, current, first_record, month: int) -> None:
        """Open an application for newly eligible families and close those no longer eligible;
        ``first_record`` keeps the month of a family's first application (the per-family record)."""
        current[~eligible] = NEVER
        opened = eligible & (current == NEVER)
        current[opened] = month
        first_record[opened & (first_record == NEVER)] = month

    def step(self, month: int) -> None:
        pop, ap = self.pop, self.params.assistance
        funds = self.model.services.funds
        _, prevention, rehousing = budget_split(ap, self.params.costs.staff_usd)
        funds["prevention"] += prevention / 12.0
        funds["rehousing"] += rehousing / 12.0
        with_coordinator = pop.coordinator >= 0

        # Prevention: hub clients behind or facing a filing, at most one award a year. An application
        # opens when a family becomes eligible and closes when it is funded or no longer eligible.
        recent = (pop.last_prevention_month != NEVER) & (month - pop.last_prevention_month < 12)
        owing = ((pop.housing == BEHIND) | (pop.housing == FILED)) & (pop.arrears > 0.005)
        eligible = with_coordinator & owing & ~recent
        self.open_applications(
            eligible, pop.prevention_app_month, pop.applied_prevention_month, month
        )
        rows = np.flatnonzero(eligible)
        cost = np.minimum(pop.arrears[rows], ap.prevention_max_months_rent * pop.rent[rows])
        funded = self.fund_braided(
            "prevention", rows, pop.prevention_app_month[rows], cost, "order_prevention"
        )
        paid = np.minimum(pop.arrears[funded], ap.prevention_max_months_rent * pop.rent[funded])
        pop.arrears[funded] -= paid
        pop.prevention_usd[funded] += paid
        self.model.spells.prevention(pop, funded, month, paid)
        pop.served_prevention_month[funded] = month
        pop.last_prevention_month[funded] = month
        pop.prevention_app_month[funded] = NEVER
        cleared = funded[pop.arrears[funded] <= 0.005]
        self.count("filings_diverted", (pop.housing[cleared] == FILED).sum())
        pop.arrears[cleared] = 0.0
        self.move_housing(cleared, STABLE)

        # Re-housing: hub clients in shelter or doubled up without an open award.
        homeless = (pop.housing == SHELTER) | (pop.housing == DOUBLED_UP)
        eligible = with_coordinator & homeless & (pop.award_month == NEVER)
        self.open_applications(
            eligible, pop.rehousing_app_month, pop.applied_rehousing_month, month
        )
        rows = np.flatnonzero(eligible)
        pp = self.params.population
        median = self.params.housing.rent_market_multiplier * pp.rent_median_usd
        expected_rent = lease_rent(pp, median, np.zeros(rows.size), pop.income[rows])
        cost = expected_rent * (
            ap.deposit_months_rent + ap.rehousing_subsidy_share * ap.rehousing_months
        )
        funded = self.fund_braided(
            "rehousing", rows, pop.rehousing_app_month[rows], cost, "order_rehousing"
        )
        pop.rehousing_app_month[funded] = NEVER
        committed = cost[np.searchsorted(rows, funded)]
        pop.award_month[funded] = month
        pop.award_usd[funded] = committed
        pop.served_rehousing_month[funded] = month
