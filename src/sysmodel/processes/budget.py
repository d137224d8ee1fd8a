"""Household budget: income minus rent, essentials and shocks moves savings, arrears and debt."""

from __future__ import annotations

import numpy as np

from ..population import (
    BEHIND,
    DOUBLED_UP,
    FILED,
    HOUSED_PAYING,
    REHOUSED,
    STABLE,
    SUBSIDIZED,
    state_mask,
)
from .base import PROCESSES, Process

_OWN_LEASE_UNSUBSIDISED = state_mask((STABLE, BEHIND, FILED))
_LEASE = state_mask(HOUSED_PAYING)


@PROCESSES.register("budget")
class Budget(Process):
    """Balances each family's month.

    A shortfall is first met by cutting essentials down to ``essentials_min_share``. A surplus first pays
    rent arrears, then a share of the rest repays other debt and a share of what
    remains is saved (the rest is consumed); a share of the savings stock is spent each month on irregular
    needs. A deficit is met from savings first; what savings cannot cover becomes rent arrears (up to the
    month's rent, for families holding a lease) and the remainder other debt.
    """

    summary = "income - rent - essentials - shocks: savings, then arrears, then debt"

    def rent_due(self) -> np.ndarray:
        """Rent each family owes this month, by housing state (USD)."""
        pop, bp = self.pop, self.params.budget
        h = pop.housing
        due = np.where(_OWN_LEASE_UNSUBSIDISED[h], pop.rent, 0.0)
        due = np.where(h == REHOUSED, pop.rent * (1.0 - pop.subsidy_share), due)
        due = np.where(
            h == SUBSIDIZED,
            np.minimum(pop.rent, bp.subsidized_rent_share_of_income * pop.income),
            due,
        )
        return np.where(h == DOUBLED_UP, bp.doubled_up_contribution_usd, due)

    def pay_hub_vouchers(self, due: np.ndarray) -> None:
        """The hub pays its voucher holders' subsidies: the rent less what the tenant owes (30% of
        income, capped at the rent), booked on the ``vouchers_usd`` line and on the family's record."""
        pop = self.pop
        held = np.flatnonzero(pop.hub_voucher & (pop.housing == SUBSIDIZED))
        paid = pop.rent[held] - due[held]
        pop.hub_voucher_usd[held] += paid
        # From the voucher pot (rationing fills it monthly); holders are paid even if it runs short.
        self.model.services.funds["vouchers"] -= float(paid.sum())
        self.spend("vouchers_usd", float(paid.sum()))

    def step(self, month: int) -> None:
        pop, bp = self.pop, self.params.budget
        due = self.rent_due()
        if self.params.assistance.share_vouchers > 0:
            self.pay_hub_vouchers(due)
        essentials = bp.essentials_base_usd + bp.essentials_per_person_usd * pop.size
        net = pop.income - due - essentials - pop.expense_shock
        # In a shortfall families first cut essentials (down to a floor), then use savings.
        net += np.minimum(np.maximum(-net, 0.0), (1.0 - bp.essentials_min_share) * essentials)

        surplus = np.maximum(net, 0.0)
        repay = np.minimum(surplus, pop.arrears)
        pop.arrears -= repay
        rest = surplus - repay
        # Financial coaching raises the shares repaid and saved (m_saving; 1 without coaching).
        repay_debt = np.minimum(
            pop.debt, np.minimum(1.0, bp.share_surplus_to_debt * pop.m_saving) * rest
        )
        pop.debt -= repay_debt
        # Savings: a share of what is left, while irregular needs spend a share of the stock.
        pop.savings *= 1.0 - bp.savings_spend_rate_per_month
        pop.savings += np.minimum(1.0, bp.share_surplus_saved * pop.m_saving) * (rest - repay_debt)

        deficit = np.maximum(-net, 0.0)
        from_savings = np.minimum(deficit, pop.savings)
        pop.savings -= from_savings
        deficit -= from_savings
        lease = _LEASE[pop.housing]
        unpaid_rent = np.where(lease, np.minimum(deficit, due), 0.0)
        pop.arrears += unpaid_rent
        pop.debt += deficit - unpaid_rent
