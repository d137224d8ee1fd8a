"""Housing transitions: arrears -> filing -> eviction -> doubled up; exits from shelter; subsidies end.

Every time-limited subsidy (status-quo rapid re-housing and the hub's re-housing, whose clock
``services.lease_up`` may have set to bridge a training course) runs out here on its own clock: the
family keeps the unit and from the next month pays the full rent (``budget.rent_due``). Breakdowns of
assisted placements are the ``placements`` process.

Each family draws one uniform ``u`` a month for its main transition, and the possible exits of its
state split [0, 1) into consecutive intervals (competing risks). This keeps the chain easy to read and
lets the tests build the equivalent Markov chain from the parameters. Shelter *entries* happen at the
front door (``help_seeking``).
"""

from __future__ import annotations

import numpy as np

from ..population import (
    BEHIND,
    DOUBLED_UP,
    FILED,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNEMPLOYED,
    lease_rent,
)
from .base import PROCESSES, Process


@PROCESSES.register("housing")
class Housing(Process):
    """Moves families between housing states for one month."""

    summary = "arrears -> filing -> eviction -> doubled up; self-resolved and assisted exits; subsidies end"
    # Each move below has one route; within this process a (from, to) pair never has two meanings.
    housing_routes = {
        ("stable", "behind"): "fell_behind",
        ("behind", "stable"): "caught_up",
        ("behind", "filed"): "filed",
        ("rehoused", "filed"): "filed",
        ("subsidized", "filed"): "filed",
        ("filed", "stable"): "case_dismissed",
        ("filed", "behind"): "agreement",
        ("filed", "doubled_up"): "evicted",
        ("behind", "doubled_up"): "informal_move",
        ("doubled_up", "stable"): "own_lease",
        ("shelter", "subsidized"): "voucher",
        ("shelter", "rehoused"): "rapid_rehousing",
        ("shelter", "stable"): "self_resolved",
        ("shelter", "doubled_up"): "self_resolved",
        ("rehoused", "stable"): "subsidy_ended",
        ("rehoused", "behind"): "subsidy_ended",
        ("subsidized", "stable"): "subsidy_ended",
        ("subsidized", "behind"): "subsidy_ended",
    }

    def setup(self) -> None:
        self.landlord_mult = np.array(
            [g.landlord_multiplier for g in self.params.population.groups]
        )

    def new_lease_rent(self, rows: np.ndarray) -> np.ndarray:
        """Rent of a newly leased unit: the market (a premium over the median), scaled to income."""
        pp = self.params.population
        median = self.params.housing.rent_market_multiplier * pp.rent_median_usd
        return lease_rent(pp, median, self.normal("new_rent")[rows], self.pop.income[rows])

    def step(self, month: int) -> None:
        pop, hp = self.pop, self.params.housing
        h = pop.housing.copy()
        u = self.uniform("transition")
        u2 = self.uniform("outcome")
        owes = pop.arrears > 0.005
        landlord = self.landlord_mult[pop.group]

        # Falling behind and catching up.
        new = h.copy()
        new[(h == STABLE) & owes] = BEHIND
        new[(h == BEHIND) & ~owes] = STABLE

        # Filing: hazard rises with arrears in months of rent, up to a cap. Subsidised tenants can be filed on too.
        months_owed = np.minimum(
            pop.arrears / np.maximum(pop.rent, 1.0), hp.filing_arrears_cap_months
        )
        p_file = np.minimum(1.0, hp.p_filing_per_month_behind * months_owed)
        can_file = owes & ((h == BEHIND) | (h == REHOUSED) | (h == SUBSIDIZED))
        filed = can_file & (u < p_file)
        informal = (
            (h == BEHIND) & owes & ~filed & (u < p_file + hp.p_informal_move_per_month_behind)
        )
        new[filed] = FILED

        # Eviction cases: dismissed once paid; otherwise decided with some probability -> eviction or agreement.
        case = h == FILED
        dismissed = case & ~owes
        decided = case & owes & (u < hp.p_case_decided_per_month)
        evicted = decided & (u2 < hp.p_eviction_given_judgment)
        agreement = decided & ~evicted
        new[dismissed] = STABLE
        new[agreement] = BEHIND
        lost_home = evicted | informal
        new[lost_home] = DOUBLED_UP

        # Doubled up -> own lease (more likely when working; landlord barriers apply).
        employed = pop.emp != UNEMPLOYED
        p_du_exit = np.minimum(
            1.0, hp.p_doubled_up_exit_per_month * np.where(employed, 1.0, 0.4) * landlord
        )
        du_exit = (h == DOUBLED_UP) & (u < p_du_exit)
        new[du_exit] = STABLE

        # Shelter exits: voucher, status-quo rapid re-housing, or self-resolved (own lease or doubled up).
        sh = h == SHELTER
        p_v = hp.p_voucher_per_month
        p_rrh = hp.p_rapid_rehousing_per_month
        p_self = hp.p_shelter_exit_per_month * np.where(
            pop.high_barrier, hp.high_barrier_exit_multiplier, 1.0
        )
        voucher = sh & (u < p_v)
        rrh = sh & ~voucher & (u < p_v + p_rrh)
        self_exit = sh & ~voucher & ~rrh & (u < p_v + p_rrh + p_self)
        to_doubled = self_exit & (u2 < hp.share_shelter_exits_to_doubled_up)
        to_own = self_exit & ~to_doubled
        new[voucher] = SUBSIDIZED
        new[rrh] = REHOUSED
        new[to_doubled] = DOUBLED_UP
        new[to_own] = STABLE

        # Subsidies: rapid re-housing runs out on its own clock; vouchers end rarely.
        rh = (h == REHOUSED) & ~filed
        pop.subsidy_left[rh] -= 1
        rrh_ends = rh & (pop.subsidy_left <= 0)
        new[rrh_ends] = np.where(owes[rrh_ends], BEHIND, STABLE)
        # The voucher-exit interval follows the filing interval, so owing rent does not block leaving.
        p_file_here = np.where(can_file, p_file, 0.0)
        voucher_ends = (h == SUBSIDIZED) & ~filed & (u < p_file_here + hp.p_voucher_exit_per_month)
        new[voucher_ends] = np.where(owes[voucher_ends], BEHIND, STABLE)

        # Bookkeeping for the state changes above.
        pop.filings += filed
        pop.evictions += evicted
        # An eviction is a loss of housing for the realised screening AUC (screening resets the stamp).
        pop.lost_housing_month[evicted & (pop.lost_housing_month == NEVER)] = month
        pop.debt[lost_home] += pop.arrears[lost_home]
        pop.arrears[lost_home] = 0.0
        lost_subsidy = filed & ((h == REHOUSED) | (h == SUBSIDIZED))
        # The unused months of a hub subsidy (this month's was paid) go back to the hub's pot.
        refunded = np.flatnonzero(lost_subsidy & pop.hub_subsidy)
        self.model.services.refund_subsidies(refunded, pop.subsidy_left[refunded] - 1, month)
        pop.subsidy_left[lost_subsidy | rrh_ends] = 0
        pop.subsidy_share[lost_subsidy | rrh_ends] = 0.0
        pop.hub_subsidy[lost_subsidy | rrh_ends | rrh] = False
        pop.hub_subsidy_usd[lost_subsidy | rrh_ends | rrh] = 0.0
        # A hub voucher ends with its holder's filing or exit; the slot goes to the waiting list.
        pop.hub_voucher[lost_subsidy | voucher_ends] = False
        pop.subsidy_left[rrh] = hp.rrh_subsidy_months
        pop.subsidy_share[rrh] = hp.rrh_subsidy_share
        leases = du_exit | to_own | rrh | voucher
        rows = np.flatnonzero(leases)
        pop.rent[rows] = self.new_lease_rent(rows)
        pop.lease_month[rows] = month % 12
        # Assisted placements (placements: breakdown hazards for a window after lease-up).
        pop.assisted_lease_month[rrh | voucher] = month
        housed_from_shelter = sh & (voucher | rrh | to_own)
        if month >= 0:  # burn-in exits are not stamped (-1 means "none")
            pop.last_housing_exit_month[housed_from_shelter] = month
        pop.housing_exits += housed_from_shelter
        self.count("exits_to_housing", housed_from_shelter.sum())
        moved = np.flatnonzero(new != h)
        self.move_housing(moved, new[moved])

        self.count("filings", filed.sum())
        self.count("evictions", evicted.sum())
        self.count("informal_moves", informal.sum())
        self.count("cases_dismissed", dismissed.sum())
        self.count("shelter_exits", (voucher | rrh | self_exit).sum())
        self.count("exits_to_rrh", rrh.sum())
        self.count("exits_to_voucher", voucher.sum())
