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
    UNSHELTERED,
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
        ("unsheltered", "doubled_up"): "found_a_place",
        # A status-quo voucher from its waiting list can reach a family no longer in shelter.
        ("doubled_up", "subsidized"): "voucher",
        ("unsheltered", "subsidized"): "voucher",
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
        cap = self.model.capacity
        if cap.voucher_stock is not None or cap.landlord_units is not None:
            # With a voucher stock or landlords' units, a match is not yet a lease (capacity queues).
            voucher, rrh = self.status_quo_placements(voucher, rrh, self_exit, month)
            du_exit &= ~voucher
        to_doubled = self_exit & (u2 < hp.share_shelter_exits_to_doubled_up)
        to_own = self_exit & ~to_doubled
        new[voucher] = SUBSIDIZED
        new[rrh] = REHOUSED
        new[to_doubled] = DOUBLED_UP
        new[to_own] = STABLE

        # Unsheltered families (turned away by a full shelter) find someone to double up with.
        outside = h == UNSHELTERED
        if outside.any():
            found = outside & ~voucher & (u < self.params.capacity.p_unsheltered_to_doubled_up_per_month)
            new[found] = DOUBLED_UP
            self.count("unsheltered_to_doubled_up", found.sum())

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
        ended = np.flatnonzero((lost_subsidy | voucher_ends) & pop.hub_voucher)
        self.model.spells.voucher_ends(pop, ended, month, "ended")
        pop.hub_voucher[ended] = False
        pop.subsidy_left[rrh] = hp.rrh_subsidy_months
        pop.subsidy_share[rrh] = hp.rrh_subsidy_share
        leases = du_exit | to_own | rrh | voucher
        rows = np.flatnonzero(leases)
        pop.rent[rows] = self.new_lease_rent(rows)
        pop.lease_month[rows] = month % 12
        # Assisted placements (placements: breakdown hazards for a window after lease-up).
        pop.assisted_lease_month[rrh | voucher] = month
        if cap.voucher_stock is not None or cap.landlord_units is not None:
            # Waiting lists and searches end for families no longer homeless.
            housed = ~((new == SHELTER) | (new == DOUBLED_UP) | (new == UNSHELTERED))
            pop.voucher_wait_month[housed] = NEVER
            pop.landlord_search_month[housed] = NEVER
            pop.landlord_search_kind[housed] = 0
            # Status-quo rapid re-housing is for sheltered families: leaving shelter ends its search.
            left = (pop.landlord_search_kind == 1) & (new != SHELTER)
            pop.landlord_search_month[left] = NEVER
            pop.landlord_search_kind[left] = 0
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
        self.count("shelter_exits", (sh & (voucher | rrh | self_exit)).sum())
        self.count("exits_to_rrh", rrh.sum())
        self.count("exits_to_voucher", voucher.sum())

    def status_quo_placements(
        self, voucher: np.ndarray, rrh: np.ndarray, self_exit: np.ndarray, month: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Status-quo placements through the voucher stock and the landlords' units.

        ``voucher`` and ``rrh`` are this month's matches drawn for shelter families. A family already
        waiting for a voucher or searching for a unit is not matched again. A voucher match takes a
        free voucher, the waiting list first (in the order families joined); a match with none free
        joins the list. Families holding a voucher or a rapid re-housing place then look for a unit
        and lease up with this month's landlord acceptance (1 with no limit on units). Returns the
        families that lease a unit this month: (with a voucher, with rapid re-housing).
        """
        pop, cap = self.pop, self.model.capacity
        searching = pop.landlord_search_month != NEVER
        waiting = pop.voucher_wait_month != NEVER
        voucher = voucher & ~searching & ~waiting
        rrh = rrh & ~searching & ~waiting
        homeless = (pop.housing == SHELTER) | (pop.housing == DOUBLED_UP) | (pop.housing == UNSHELTERED)
        if cap.voucher_stock is not None:
            free = max(cap.voucher_stock - cap.vouchers_in_use(), 0)
            queue = np.flatnonzero(waiting & homeless)
            queue = queue[np.argsort(pop.voucher_wait_month[queue], kind="stable")]
            issued = queue[:free]
            free -= issued.size
            new = np.flatnonzero(voucher)
            refused = new[free:]
            self.count("vouchers_issued_from_queue", issued.size)
            self.count("voucher_turned_away", refused.size)
            pop.voucher_wait_month[issued] = NEVER
            pop.voucher_wait_month[refused] = month
            voucher[refused] = False
            voucher[issued] = True
        for matched, kind in ((voucher, 2), (rrh, 1)):
            pop.landlord_search_month[matched] = month
            pop.landlord_search_kind[matched] = kind
        seeking = (pop.landlord_search_month != NEVER) & ~self_exit & homeless
        seeking &= (pop.landlord_search_kind == 2) | (pop.housing == SHELTER)
        acceptance = cap.landlord_acceptance(month, int((voucher | rrh).sum()))
        leased = seeking.copy()
        if acceptance < 1.0:
            leased &= self.uniform("landlord") < acceptance
            self.count("landlord_turned_away", (seeking & ~leased).sum())
        kind = pop.landlord_search_kind.copy()
        pop.landlord_search_month[leased] = NEVER
        pop.landlord_search_kind[leased] = 0
        return leased & (kind == 2), leased & (kind == 1)
