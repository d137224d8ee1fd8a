"""Economy: job loss and finding, promotions, wage growth, training, expense shocks, rent increases."""

from __future__ import annotations

import numpy as np

from ..population import (
    BEHIND,
    DOUBLED_UP,
    FAMILY_WAGE,
    FILED,
    HOUSED_PAYING,
    LOW_WAGE,
    SHELTER,
    UNEMPLOYED,
    UNSHELTERED,
    job_earnings,
    state_mask,
)
from .base import PROCESSES, Process

# Housing states in which training suffers (docs/design.md §4: training is abandoned when housing breaks down).
UNSTABLE = state_mask((BEHIND, FILED, DOUBLED_UP, SHELTER, UNSHELTERED))
_LEASE = state_mask(HOUSED_PAYING)


@PROCESSES.register("economy")
class Economy(Process):
    """Monthly labour-market and cost-of-living changes for every family.

    Order within the month: job loss; job finding and promotions (offers); wage growth; families weigh
    each earnings gain against the benefit schedule and may decline one that lowers net resources;
    training starts, drop-outs and completions; expense shocks; rent increases at the lease anniversary.
    """

    summary = (
        "job loss/finding, wages, benefit-cliff responses, training, expense shocks, rent increases"
    )

    def setup(self) -> None:
        groups = self.params.population.groups
        self.hiring_mult = np.array([g.hiring_multiplier for g in groups])
        self.wage_mult = np.array([g.wage_multiplier for g in groups])

    def step(self, month: int) -> None:
        pop, ep = self.pop, self.params.economy
        emp0 = pop.emp.copy()
        earn0 = pop.earnings.copy()
        hiring = self.hiring_mult[pop.group]

        # Job loss (hazard by job type).
        p_loss = np.where(
            emp0 == FAMILY_WAGE,
            ep.p_job_loss_family_wage_per_month,
            np.where(emp0 == LOW_WAGE, ep.p_job_loss_low_wage_per_month, 0.0),
        )
        lost = self.uniform("job_loss") < p_loss

        # Offers: unemployed earners find jobs; low-wage earners may move up to a family-wage job.
        p_find = np.minimum(
            1.0,
            ep.p_job_find_per_month
            * (0.5 + ep.skill_job_find_effect * pop.skill)
            * hiring
            * pop.m_job_find,
        )
        found = (emp0 == UNEMPLOYED) & (self.uniform("job_find") < p_find)
        fw_job = self.uniform("job_type") < ep.p_family_wage_offer_max * pop.skill**2
        promoted = (
            (emp0 == LOW_WAGE)
            & ~lost
            & (
                self.uniform("promotion")
                < ep.p_promotion_per_month * pop.skill * hiring * pop.m_promotion
            )
        )
        new_emp = np.where(found, np.where(fw_job, FAMILY_WAGE, LOW_WAGE), emp0)
        new_emp = np.where(promoted, FAMILY_WAGE, new_emp).astype(np.int8)
        offer = job_earnings(new_emp, self.normal("wage_offer"), self.wage_mult[pop.group], ep)
        changed_job = found | promoted
        growth = (1.0 + ep.wage_growth_per_year) ** (1.0 / 12.0)
        new_earn = np.where(changed_job, np.maximum(offer, earn0), earn0 * growth)

        # Benefit cliffs: a gain that lowers earnings + benefits may be turned down.
        size = pop.size
        sched = self.model.benefit_schedule
        # Only families who claim benefits face a cliff.
        claimant = pop.claims_benefits
        net_old = earn0 + claimant * sched.amount(earn0, size, pop.children)
        net_new = new_earn + claimant * sched.amount(new_earn, size, pop.children)
        declined = ~lost & (new_earn > earn0) & (net_new < net_old)
        if declined.any():  # the draw is needed only when some gain would lower net resources
            declined &= self.uniform("decline") < self.params.benefits.p_decline_raise_if_net_loss
        new_emp = np.where(declined, emp0, new_emp)
        new_earn = np.where(declined, earn0, new_earn)
        self.count("raises_declined", declined.sum())
        self.count("jobs_found", (found & ~declined).sum())

        pop.emp[:] = np.where(lost, UNEMPLOYED, new_emp)
        pop.earnings[:] = np.where(lost, 0.0, new_earn)
        self.count("jobs_lost", lost.sum())

        # Unemployment insurance: some of those who lose a job claim it, for a limited time.
        bp = self.params.benefits
        claims = lost & (self.uniform("ui_takeup") < bp.p_ui_takeup) & (bp.ui_max_months > 0)
        pop.ui_benefit[:] = np.where(
            claims, np.minimum(bp.ui_max_usd, bp.ui_replacement_rate * earn0), pop.ui_benefit
        )
        pop.ui_months_left[:] = np.where(claims, bp.ui_max_months, pop.ui_months_left)
        working = pop.emp != UNEMPLOYED
        pop.ui_months_left[working] = 0
        pop.ui_benefit[working] = 0.0
        self.count("ui_claims", claims.sum())

        # Training: starts, drop-outs (more likely while housing is unstable) and completions.
        training = pop.training_left > 0
        unstable = UNSTABLE[pop.housing]
        p_drop = (
            ep.p_training_dropout_per_month
            * np.where(unstable, ep.training_dropout_instability_multiplier, 1.0)
            * pop.m_dropout
        )
        dropped = training & (self.uniform("training_dropout") < np.minimum(p_drop, 1.0))
        pop.training_left[:] = np.where(
            training & ~dropped, pop.training_left - 1, np.where(dropped, 0, pop.training_left)
        )
        completed = training & ~dropped & (pop.training_left == 0)
        pop.skill[:] = np.where(
            completed, np.minimum(1.0, pop.skill + ep.training_skill_gain), pop.skill
        )
        start = (
            ~training
            & (pop.emp != FAMILY_WAGE)
            & (
                self.uniform("training_start")
                < ep.p_training_start_per_month + pop.add_training_start
            )
        )
        pop.training_left[start] = ep.training_months
        pop.trainings_started += start
        pop.trainings_completed += completed
        self.count("trainings_started", start.sum())
        self.count("trainings_completed", completed.sum())
        self.count("training_dropouts", dropped.sum())

        # Expense shocks: exponential sizes by inverse CDF (one uniform per row keeps draws aligned).
        shock = self.uniform("shock") < ep.p_expense_shock_per_month
        pop.expense_shock[:] = np.where(
            shock, -np.log1p(-self.uniform("shock_size")) * ep.expense_shock_mean_usd, 0.0
        )

        # Rent increases at the lease anniversary, for families holding a lease.
        renew = (pop.lease_month == month % 12) & _LEASE[pop.housing]
        factor = np.maximum(
            0.5,
            1.0 + ep.rent_increase_per_year + ep.rent_increase_sd * self.normal("rent_increase"),
        )
        pop.rent[:] = np.where(renew, pop.rent * factor, pop.rent)
