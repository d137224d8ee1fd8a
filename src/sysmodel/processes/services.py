"""Service delivery: what coaches and coordinators do for the families on their caseloads.

- Career coaching raises job finding, promotion to family-wage work and training entry, and lowers
  training drop-out, scaled by the coach's effectiveness (lower while burned out). Effects act through
  the family's service multipliers, which the economy process reads next month.
- Financial coaching raises the shares of a surplus saved and used to repay debt, and the chance that
  a family not claiming benefits starts to (take-up).
- Coordinators help families with a re-housing award find a landlord (their landlord relationships raise
  lease-up); the subsidy can be timed to the employment plan (bridging training) when aligned.
- Spells end: coaching after ``coaching_months`` (aligned coaches stay on while the family has a
  coordinator: before, during and after assistance), or when a siloed coach loses a client whose housing
  breaks down; financial coaching after its months; coordination some months after the last assistance.
"""

from __future__ import annotations

import numpy as np

from ..policies.service_models import HUB_EMPLOYMENT
from ..population import (
    DOUBLED_UP,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNEMPLOYED,
    UNSHELTERED,
    lease_rent,
)
from .base import PROCESSES, Process
from .intake import CRISIS


@PROCESSES.register("services")
class Services(Process):
    """Coaching effects, lease-up of re-housing awards, and the end of service spells."""

    summary = "coaching and financial-coaching effects; lease-up with coordinators; spells end"
    # A hub re-housing award leased up: re-housed with a subsidy, or an own lease if it buys only a deposit.
    # A hub voucher leased up: subsidised for the long term.
    housing_routes = {
        **{
            (homeless, housed): "hub_rehousing"
            for homeless in ("shelter", "doubled_up", "unsheltered")
            for housed in ("rehoused", "stable")
        },
        **{
            (homeless, "subsidized"): "hub_voucher"
            for homeless in ("shelter", "doubled_up", "unsheltered")
        },
    }

    def setup(self) -> None:
        self.landlord_mult = np.array(
            [g.landlord_multiplier for g in self.params.population.groups]
        )

    def step(self, month: int) -> None:
        pop, sp = self.pop, self.params.services
        sm, sys = self.model.service_model, self.model.services

        coached = pop.coach >= 0
        fin = pop.fin_coach >= 0
        pop.shared_customer |= coached & (pop.coordinator >= 0)
        self.lease_up(month)
        self.voucher_lease_up(month)

        # Coaching spells end on their clock (aligned coaches stay on while a coordinator is involved),
        # or when a siloed coach loses a client in a housing crisis.
        pop.coach_months[coached] += 1
        stay_on = (pop.coordinator >= 0) & coached
        if sm.degree(HUB_EMPLOYMENT) > 0:
            stay_on &= self.uniform("stay_on") < sm.degree(HUB_EMPLOYMENT)
        else:
            stay_on[:] = False
        due = coached & (pop.coach_months >= sp.coaching_months) & ~stay_on
        lost = coached & CRISIS[pop.housing]
        if sm.p_coach_loses_case_in_crisis() > 0:
            lost &= self.uniform("lose_case") < sm.p_coach_loses_case_in_crisis()
        else:
            lost[:] = False
        # Coached families out of work may stop coming; a coordinator keeps aligned families engaged.
        p_leave = sp.p_disengage_unemployed_per_month * np.where(
            pop.coordinator >= 0, 1.0 - sm.degree(HUB_EMPLOYMENT), 1.0
        )
        disengaged = coached & (pop.emp == UNEMPLOYED) & ~due & ~lost
        if sp.p_disengage_unemployed_per_month > 0 and disengaged.any():
            disengaged &= self.uniform("disengage") < p_leave
        else:
            disengaged[:] = False
        ends = due | lost | disengaged
        pop.program_entry_month[ends] = pop.spell_entry_month[ends]
        pop.income_at_entry[ends] = pop.spell_income_at_entry[ends]
        pop.spell_entry_month[ends] = NEVER
        pop.program_exit_month[ends] = month
        pop.income_at_exit[ends] = pop.income[ends]
        pop.exit_employed[ends] = pop.emp[ends] != UNEMPLOYED
        # One reason per spell, in the order the counts below use (a due spell counts as completed).
        spells = self.model.spells
        spells.end(pop, "coach", np.flatnonzero(due), month, "completed")
        spells.end(pop, "coach", np.flatnonzero(lost & ~due), month, "lost_in_crisis")
        spells.end(pop, "coach", np.flatnonzero(disengaged), month, "disengaged")
        pop.coach[ends] = -1
        pop.coach_months[ends] = 0
        self.count("coaching_ended", ends.sum())
        self.count("coaching_lost_in_crisis", (lost & ~due).sum())
        self.count("coaching_disengaged", disengaged.sum())

        pop.fin_months[fin] += 1
        fin_ends = fin & (pop.fin_months >= sp.financial_coaching_months)
        spells.end(pop, "financial", np.flatnonzero(fin_ends), month, "completed")
        pop.fin_coach[fin_ends] = -1

        # Coordination ends some months after the last assistance (or after months without any, when
        # no funds or units could be found).
        coord = pop.coordinator >= 0
        helped_now = (pop.served_prevention_month == month) | (pop.served_rehousing_month == month)
        busy = (
            helped_now | (pop.award_month != NEVER) | ((pop.housing == REHOUSED) & pop.hub_subsidy)
        )
        # Families on the hub's voucher waiting list or searching with a voucher keep their coordinator.
        busy |= (pop.voucher_app_month != NEVER) | (pop.voucher_award_month != NEVER)
        pop.coord_idle_months[:] = np.where(coord & ~busy, pop.coord_idle_months + 1, 0)
        closes = coord & (pop.coord_idle_months > sp.coordination_months_after_assistance)
        spells.end(pop, "coordinator", np.flatnonzero(closes), month, "closed")
        pop.coordinator[closes] = -1
        pop.coord_idle_months[closes] = 0

        # Effects for next month (after this month's spells ended), scaled by staff effectiveness.
        coached = pop.coach >= 0
        eff = np.zeros(pop.n)
        if sys.staff["coach"]:
            eff[coached] = sys.effectiveness("coach")[pop.coach[coached]]
        pop.m_job_find[:] = 1.0 + (sp.coach_job_find_multiplier - 1.0) * eff
        pop.m_promotion[:] = 1.0 + (sp.coach_promotion_multiplier - 1.0) * eff
        pop.m_dropout[:] = 1.0 - (1.0 - sp.coach_training_dropout_multiplier) * eff
        pop.add_training_start[:] = sp.coach_training_start_per_month * eff
        fin = pop.fin_coach >= 0
        fin_eff = np.zeros(pop.n)
        if sys.staff["financial"]:
            fin_eff[fin] = sys.effectiveness("financial")[pop.fin_coach[fin]]
        pop.m_saving[:] = 1.0 + (sp.financial_coach_saving_multiplier - 1.0) * fin_eff
        pop.add_take_up[:] = sp.financial_coach_take_up_per_month * fin_eff

    def lease_up(self, month: int) -> None:
        """Families with a re-housing award look for a unit; coordinators' landlord ties help."""
        pop, ap = self.pop, self.params.assistance
        sm, funds = self.model.service_model, self.model.services.funds
        open_award = pop.award_month != NEVER
        homeless = (
            (pop.housing == SHELTER) | (pop.housing == DOUBLED_UP) | (pop.housing == UNSHELTERED)
        )
        # A family housed some other way (a voucher, its own lease) no longer needs its award.
        withdrawn = open_award & ~homeless
        self.model.services.give_back("rehousing", float(pop.award_usd[withdrawn].sum()))
        spells = self.model.spells
        spells.award_ends(pop, np.flatnonzero(withdrawn), month, "withdrawn", None)
        pop.award_month[withdrawn] = NEVER
        pop.award_usd[withdrawn] = 0.0
        self.count("rehousing_awards_withdrawn", withdrawn.sum())
        searching = open_award & homeless
        p = np.minimum(
            1.0,
            ap.p_lease_up_per_month
            * self.landlord_mult[pop.group]
            * (1.0 + ap.coordinator_landlord_boost),
        )
        # Landlords' units shared by every assisted search this month (capacity; 1 with no limit).
        acceptance = self.model.capacity.landlord_acceptance(month)
        u = self.uniform("lease_up")
        if acceptance < 1.0:
            # Found a landlord but no unit was free this month: counted as turned away.
            self.count("landlord_turned_away", (searching & (u < p) & (u >= p * acceptance)).sum())
            p = p * acceptance
        leased = np.flatnonzero(searching & (u < p))
        if leased.size:
            pp = self.params.population
            median = self.params.housing.rent_market_multiplier * pp.rent_median_usd
            rent = lease_rent(pp, median, self.normal("lease_rent")[leased], pop.income[leased])
            months = np.full(leased.size, ap.rehousing_months)
            # Aligned: the subsidy is timed to the employment plan and bridges the rest of a training course.
            bridge = pop.training_left[leased] > months
            if sm.bridges_training() > 0 and bridge.any():
                bridge &= self.uniform("bridge")[leased] < sm.bridges_training()
            else:
                bridge[:] = False
            months = np.where(bridge, pop.training_left[leased], months)
            cost = rent * (ap.deposit_months_rent + ap.rehousing_subsidy_share * months)
            # The commitment covers the expected cost; any excess comes from the pot if it can, else the
            # subsidy is shortened so that funds are never overspent.
            available = pop.award_usd[leased].copy()
            for i in np.flatnonzero(cost > available):
                take = min(cost[i] - available[i], max(funds["rehousing"], 0.0))
                funds["rehousing"] -= take
                available[i] += take
                if cost[i] > available[i]:
                    monthly = rent[i] * max(ap.rehousing_subsidy_share, 1e-9)
                    left = max(available[i] - rent[i] * ap.deposit_months_rent, 0.0)
                    months[i] = int(left // monthly)
                    cost[i] = min(
                        available[i], rent[i] * ap.deposit_months_rent + monthly * months[i]
                    )
            refund = available - cost
            funds["rehousing"] += float(refund.sum())
            self.spend("rehousing_usd", float((cost - pop.award_usd[leased]).sum()))
            from_shelter = pop.housing[leased] == SHELTER
            # With no subsidy months left to pay for, the award buys the deposit only: an own lease.
            self.move_housing(leased, np.where(months > 0, REHOUSED, STABLE))
            pop.rent[leased] = rent
            pop.lease_month[leased] = month % 12
            pop.assisted_lease_month[leased] = month
            pop.subsidy_left[leased] = months
            pop.subsidy_share[leased] = np.where(months > 0, ap.rehousing_subsidy_share, 0.0)
            pop.hub_subsidy[leased] = months > 0
            pop.hub_subsidy_usd[leased] = np.where(
                months > 0, rent * ap.rehousing_subsidy_share, 0.0
            )
            pop.rehousing_usd[leased] += cost
            spells.award_ends(pop, leased, month, "leased", cost)
            pop.award_month[leased] = NEVER
            pop.award_usd[leased] = 0.0
            if month >= 0:
                pop.last_housing_exit_month[leased[from_shelter]] = month
            pop.housing_exits[leased[from_shelter]] += 1
            self.count("exits_to_housing", from_shelter.sum())
            self.count("rehousing_leased", leased.size)
            self.count("shelter_exits", from_shelter.sum())
            self.count("subsidies_bridging_training", bridge.sum())
        # Awards not used in time lapse and their money returns to the pot.
        lapsed = (pop.award_month != NEVER) & (month - pop.award_month >= ap.award_expiry_months)
        self.model.services.give_back("rehousing", float(pop.award_usd[lapsed].sum()))
        spells.award_ends(pop, np.flatnonzero(lapsed), month, "lapsed", None)
        pop.award_month[lapsed] = NEVER
        pop.award_usd[lapsed] = 0.0
        self.count("rehousing_awards_lapsed", lapsed.sum())

    def voucher_lease_up(self, month: int) -> None:
        """Families awarded a hub voucher look for a landlord as with a re-housing award (same lease-up
        chance and coordinator boost); on lease-up they are subsidised (``hub_voucher``) for the long
        term. An award not used within ``award_expiry_months`` lapses and frees its slot."""
        pop, ap = self.pop, self.params.assistance
        open_award = pop.voucher_award_month != NEVER
        if not open_award.any():
            return
        homeless = (
            (pop.housing == SHELTER) | (pop.housing == DOUBLED_UP) | (pop.housing == UNSHELTERED)
        )
        # A family housed some other way no longer needs its voucher: the slot is freed.
        withdrawn = open_award & ~homeless
        self.model.spells.voucher_ends(pop, np.flatnonzero(withdrawn), month, "withdrawn")
        pop.voucher_award_month[withdrawn] = NEVER
        self.count("voucher_awards_withdrawn", withdrawn.sum())
        searching = open_award & homeless
        p = np.minimum(
            1.0,
            ap.p_lease_up_per_month
            * self.landlord_mult[pop.group]
            * (1.0 + ap.coordinator_landlord_boost),
        )
        # Landlords' units shared by every assisted search this month (capacity; 1 with no limit).
        acceptance = self.model.capacity.landlord_acceptance(month)
        u = self.uniform("voucher_lease_up")
        if acceptance < 1.0:
            # Found a landlord but no unit was free this month: counted as turned away.
            self.count("landlord_turned_away", (searching & (u < p) & (u >= p * acceptance)).sum())
            p = p * acceptance
        leased = np.flatnonzero(searching & (u < p))
        if leased.size:
            pp = self.params.population
            median = self.params.housing.rent_market_multiplier * pp.rent_median_usd
            rent = lease_rent(pp, median, self.normal("voucher_rent")[leased], pop.income[leased])
            from_shelter = pop.housing[leased] == SHELTER
            self.move_housing(leased, SUBSIDIZED)
            pop.rent[leased] = rent
            pop.lease_month[leased] = month % 12
            pop.assisted_lease_month[leased] = month
            pop.hub_voucher[leased] = True
            pop.voucher_award_month[leased] = NEVER
            if month >= 0:
                pop.last_housing_exit_month[leased[from_shelter]] = month
            pop.housing_exits[leased[from_shelter]] += 1
            self.count("exits_to_housing", from_shelter.sum())
            self.count("shelter_exits", from_shelter.sum())
            self.count("vouchers_leased", leased.size)
        lapsed = (pop.voucher_award_month != NEVER) & (
            month - pop.voucher_award_month >= ap.award_expiry_months
        )
        self.model.spells.voucher_ends(pop, np.flatnonzero(lapsed), month, "lapsed")
        pop.voucher_award_month[lapsed] = NEVER
        self.count("voucher_awards_lapsed", lapsed.sum())
