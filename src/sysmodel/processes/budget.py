"""Household budget: income minus rent, essentials and shocks moves savings, arrears and debt."""

from __future__ import annotations

import numpy as np

from ..population import BEHIND, DOUBLED_UP, FILED, HOUSED_PAYING, REHOUSED, STABLE, SUBSIDIZED
from .base import PROCESSES, Process


@PROCESSES.register("budget")
class Budget(Process):
    """Balances each family's month.

    A surplus first pays rent arrears, then a share is saved (the rest is consumed). A deficit is met from
    savings first; what savings cannot cover becomes rent arrears (up to the month's rent, for families
    holding a lease) and the remainder other debt.
    """

    summary = "income - rent - essentials - shocks: savings, then arrears, then debt"

    def rent_due(self) -> np.ndarray:
        """Rent each family owes this month, by housing state (USD)."""
        pop, bp = self.pop, self.params.budget
        h = pop.housing
        due = np.where(np.isin(h, (STABLE, BEHIND, FILED)), pop.rent, 0.0)
        due = np.where(h == REHOUSED, pop.rent * (1.0 - pop.subsidy_share), due)
        due = np.where(
            h == SUBSIDIZED,
            np.minimum(pop.rent, bp.subsidized_rent_share_of_income * pop.income),
            due,
        )
        return np.where(h == DOUBLED_UP, bp.doubled_up_contribution_usd, due)

    def step(self, month: int) -> None:
        pop, bp = self.pop, self.params.budget
        due = self.rent_due()
        essentials = bp.essentials_base_usd + bp.essentials_per_person_usd * pop.size
        net = pop.income - due - essentials - pop.expense_shock

        surplus = np.maximum(net, 0.0)
        repay = np.minimum(surplus, pop.arrears)
        pop.arrears -= repay
        pop.savings += bp.share_surplus_saved * (surplus - repay)

        deficit = np.maximum(-net, 0.0)
        from_savings = np.minimum(deficit, pop.savings)
        pop.savings -= from_savings
        deficit -= from_savings
        lease = np.isin(pop.housing, HOUSED_PAYING)
        unpaid_rent = np.where(lease, np.minimum(deficit, due), 0.0)
        pop.arrears += unpaid_rent
        pop.debt += deficit - unpaid_rent
