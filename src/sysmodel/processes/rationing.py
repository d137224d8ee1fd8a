"""Rent assistance: applicants are ranked by the rationing rule and funded while money lasts.

The hub's budget arrives monthly (a twelfth of the year's, split between prevention and re-housing);
unspent money carries over. Prevention pays arrears (up to a cap), which stops a filing; re-housing
commits a deposit plus a subsidy of the configured depth and duration to a family in shelter or doubled
up, who then looks for a landlord (``services``). Funds are never overspent: applicants are funded in
the rule's order until the next one no longer fits.

Rules that rank by prediction get, per applicant, the hub's predicted risk of shelter entry within 12
months and its predicted fall if the family is helped (``policies.risk``, calibrated by
``sysmodel.targeting``). The fall comes from what help does in this model: prevention pays arrears up to
the cap, and a family whose arrears are cleared has its filing diverted; re-housing gives a family
without a home a lease (no arrears, no filing, not doubled up) at the expected rent. Each prediction
has its own noise draw (streams ``<draw>_risk_noise`` and ``<draw>_benefit_noise``), correlated by
``targeting.benefit_noise_correlation``.
"""

from __future__ import annotations

import math

import numpy as np

from ..policies import RATIONING_RULES, Predictions
from ..policies.risk import risk_index, true_risk
from ..population import (
    BEHIND,
    DOUBLED_UP,
    FILED,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNSHELTERED,
    lease_rent,
)
from ..services import budget_split, voucher_budget
from ..targeting import calibrated_score
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
        # The score is calibrated only for rules that use it (a pilot run, cached per scenario).
        self.score = calibrated_score(self.params) if self.rule.uses_predictions else None

    def expected_rent(self, rows: np.ndarray) -> np.ndarray:
        """The rent a re-housed family is expected to pay: the market median scaled to its income."""
        pp = self.params.population
        median = self.params.housing.rent_market_multiplier * pp.rent_median_usd
        return lease_rent(pp, median, np.zeros(rows.size), self.pop.income[rows])

    def risk_if_helped(self, kind: str, rows: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """The true-risk index of ``rows`` as it would be right after ``kind`` of help.

        Prevention pays ``cost`` (arrears up to the cap); cleared arrears divert a filing. Re-housing
        gives a lease at the expected rent: no arrears, no filing, no longer doubled up.
        """
        pop = self.pop
        housing = pop.housing[rows].copy()
        if kind == "prevention":
            arrears = np.maximum(pop.arrears[rows] - cost, 0.0)
            cleared = arrears <= 0.005
            arrears[cleared] = 0.0
            housing[cleared] = STABLE
            rent = pop.rent[rows]
        elif kind == "rehousing":
            arrears = np.zeros(rows.size)
            housing[:] = REHOUSED
            rent = self.expected_rent(rows)
        else:
            raise ValueError(f"unknown kind of help {kind!r} (prevention or rehousing)")
        return risk_index(
            arrears=arrears,
            rent=rent,
            housing=housing,
            emp=pop.emp[rows],
            savings=pop.savings[rows],
            ever_sheltered=pop.ever_sheltered[rows],
            high_barrier=pop.high_barrier[rows],
            income=pop.income[rows],
        )

    def predict(self, kind: str, rows: np.ndarray, cost: np.ndarray, draw: str) -> Predictions:
        """The hub's predicted risk of each applicant and its predicted fall if helped with ``kind``."""
        score = self.score
        if score is None:  # a rule given at run time rather than in setup
            score = self.score = calibrated_score(self.params)
        z_now = self.normal(f"{draw}_risk_noise")[rows]
        rho = self.params.targeting.benefit_noise_correlation
        z_helped = (
            rho * z_now + math.sqrt(1.0 - rho**2) * self.normal(f"{draw}_benefit_noise")[rows]
        )
        risk = score.probability(score.score(true_risk(self.pop, rows), z_now))
        helped = score.probability(score.score(self.risk_if_helped(kind, rows, cost), z_helped))
        return Predictions(risk=risk, benefit=risk - helped)

    def ranked(
        self, kind: str, rows: np.ndarray, applied: np.ndarray, cost: np.ndarray, draw: str
    ) -> np.ndarray:
        """``rows`` (sorted) in the rationing rule's order; ``kind`` of help as in :meth:`predict`."""
        u = self.uniform(draw)[rows]
        predicted = self.predict(kind, rows, cost, draw) if self.rule.uses_predictions else None
        return self.rule.order(self.pop, rows, applied, u, cost, predicted)

    def fund(
        self,
        pot: str,
        rows: np.ndarray,
        applied: np.ndarray,
        cost: np.ndarray,
        draw: str,
        kind: str | None = None,
    ) -> np.ndarray:
        """Rows funded from ``pot``, in the rule's order, while the money lasts (a prefix of the order).

        ``kind`` is the help the pot pays for (``prevention`` or ``rehousing``; the pot's name if not
        given), which the predicted benefit depends on.
        """
        if rows.size == 0:
            return rows
        order_rows = self.ranked(kind or pot, rows, applied, cost, draw)
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
        from_braided = self.fund(
            "braided", rows[cw], applied[cw], cost[cw], f"{draw}_braided", kind=pot
        )
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
        vouchers = voucher_budget(ap, self.params.costs.staff_usd)
        funds["vouchers"] += vouchers / 12.0
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

        homeless = (
            (pop.housing == SHELTER) | (pop.housing == DOUBLED_UP) | (pop.housing == UNSHELTERED)
        )
        if vouchers > 0:
            self.award_vouchers(month, with_coordinator & homeless)

        # Re-housing: hub clients in shelter or doubled up without an open award.
        eligible = with_coordinator & homeless & (pop.award_month == NEVER)
        eligible &= pop.voucher_award_month == NEVER
        self.open_applications(
            eligible, pop.rehousing_app_month, pop.applied_rehousing_month, month
        )
        rows = np.flatnonzero(eligible)
        cost = self.expected_rent(rows) * (
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

    def expected_voucher_subsidy(self, rows: np.ndarray) -> np.ndarray:
        """A voucher's expected monthly subsidy for the families in ``rows``: the expected rent of a
        new lease less what the tenant pays (``budget.subsidized_rent_share_of_income`` of income)."""
        tenant = self.params.budget.subsidized_rent_share_of_income * self.pop.income[rows]
        rent = self.expected_rent(rows)
        return rent - np.minimum(rent, tenant)

    def committed_voucher_subsidies(self) -> float:
        """The hub's monthly voucher commitments: holders' current subsidies (rent less the tenant's
        share) and the expected subsidies of open awards still looking for a unit."""
        pop = self.pop
        held = np.flatnonzero(pop.hub_voucher & (pop.housing == SUBSIDIZED))
        tenant = self.params.budget.subsidized_rent_share_of_income * pop.income[held]
        holders = float((pop.rent[held] - np.minimum(pop.rent[held], tenant)).sum())
        awarded = np.flatnonzero(pop.voucher_award_month != NEVER)
        return holders + float(self.expected_voucher_subsidy(awarded).sum())

    def award_vouchers(self, month: int, candidates: np.ndarray) -> None:
        """Hub vouchers: the waiting list, in the rule's order, while the voucher pot can carry them.

        ``candidates`` are hub clients without a home (shelter, doubled up, unsheltered); those without
        an open re-housing or voucher award are on the waiting list (an application opens when a family
        becomes eligible and closes when it is awarded or no longer eligible).

        The voucher pot (``funds["vouchers"]``) receives the line's money every month and pays the
        holders' subsidies (``budget``). A voucher commits its monthly subsidy for as long as it is
        held, so a new one is awarded only while the pot still holds
        ``assistance.voucher_reserve_months`` months of every committed subsidy (holders' current
        subsidies, open awards' and the new ones' expected subsidies). Awards therefore grow until the
        monthly subsidies match the line's monthly money: the line spends its budget, less the reserve.
        """
        pop = self.pop
        eligible = (
            candidates
            & (pop.award_month == NEVER)
            & (pop.voucher_award_month == NEVER)
            & ~pop.hub_voucher
        )
        pop.voucher_app_month[~eligible] = NEVER
        pop.voucher_app_month[eligible & (pop.voucher_app_month == NEVER)] = month
        rows = np.flatnonzero(eligible)
        self.count("voucher_applicants", rows.size)
        if rows.size == 0:
            return
        # The rule sees a year of the expected subsidy: the expected rent less the tenant's share.
        cost = 12.0 * self.expected_voucher_subsidy(rows)
        order = self.ranked("rehousing", rows, pop.voucher_app_month[rows], cost, "order_vouchers")
        reserve = max(self.params.assistance.voucher_reserve_months, 1.0)
        free = self.model.services.funds["vouchers"] / reserve - self.committed_voucher_subsidies()
        monthly = self.expected_voucher_subsidy(order)
        funded = order[np.cumsum(monthly) <= free + 1e-9]
        pop.voucher_award_month[funded] = month
        self.model.spells.voucher_awarded(pop, funded, month)
        pop.voucher_app_month[funded] = NEVER
        self.count("voucher_awards", funded.size)
