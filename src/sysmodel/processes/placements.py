"""Placement breakdown: an assisted placement can end soon after lease-up, straight into homelessness.

A family placed by assistance (status-quo rapid re-housing or voucher, a hub re-housing award or hub
voucher: the month is in ``assisted_lease_month``) is *at risk* from the month after lease-up for
``housing.placement_breakdown_window_months`` months while it still holds a lease that is not in court
(stable, behind, re-housed or subsidised). Three monthly hazards, laid out as consecutive intervals of
one uniform (competing risks, as in ``housing``):

- conflict (``p_placement_conflict_per_month``): with the landlord or the household, any month;
- landlord non-renewal (``p_nonrenewal_at_lease_end``): only in the lease's anniversary month
  (``lease_month``);
- a shock the family cannot absorb once its subsidy has ended (stable or behind): the hazard
  ``p_breakdown_per_unit_rent_burden_per_month`` times the rent burden (full rent / income) above
  ``rent_burden_threshold``, the excess capped at 1.

A breakdown sends the family straight to shelter (share ``share_breakdowns_to_shelter``,
:meth:`Placements.send_to_shelter`) or to doubling up, not through a court eviction: arrears become
debt, any subsidy ends at once (the unused months of a hub re-housing subsidy go back to the hub's pot)
and a hub voucher's slot is freed. With all three hazards 0 (the defaults) the process draws nothing.
"""

from __future__ import annotations

import numpy as np

from ..population import (
    BEHIND,
    DOUBLED_UP,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNSHELTERED,
    state_mask,
)
from .base import PROCESSES, Process

# States in which an assisted placement can break down (a filed case runs its course in ``housing``).
_PLACED = state_mask((STABLE, BEHIND, REHOUSED, SUBSIDIZED))
# Placed without a subsidy any more: the family pays the full rent.
_UNSUBSIDISED = state_mask((STABLE, BEHIND))
_HOMELESS = state_mask((DOUBLED_UP, SHELTER, UNSHELTERED))


@PROCESSES.register("placements")
class Placements(Process):
    """Assisted placements break down: conflict, non-renewal, or rent burden once the subsidy ends."""

    summary = (
        "assisted placements break down soon after lease-up (conflict, landlord non-renewal, "
        "rent burden once the subsidy ends): straight to doubled up or shelter"
    )
    housing_routes = {
        (placed, homeless): "placement_breakdown"
        for placed in ("stable", "behind", "rehoused", "subsidized")
        for homeless in ("doubled_up", "shelter", "unsheltered")
    }

    def hazards(self, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(at risk, conflict, non-renewal, burden) this month: a mask and three hazards per family."""
        pop, hp = self.pop, self.params.housing
        h = pop.housing
        since = month - pop.assisted_lease_month.astype(np.int64)
        at_risk = (
            _PLACED[h]
            & (pop.assisted_lease_month != NEVER)
            & (since >= 1)
            & (since <= hp.placement_breakdown_window_months)
        )
        conflict = np.where(at_risk, hp.p_placement_conflict_per_month, 0.0)
        anniversary = at_risk & (pop.lease_month == month % 12)
        nonrenewal = np.where(anniversary, hp.p_nonrenewal_at_lease_end, 0.0)
        burden = pop.rent / np.maximum(pop.income, 1.0)
        excess = np.clip(burden - hp.rent_burden_threshold, 0.0, 1.0)
        burdened = at_risk & _UNSUBSIDISED[h]
        shock = np.where(burdened, hp.p_breakdown_per_unit_rent_burden_per_month * excess, 0.0)
        return at_risk, conflict, nonrenewal, shock

    def step(self, month: int) -> None:
        hp = self.params.housing
        if (
            hp.p_placement_conflict_per_month <= 0
            and hp.p_nonrenewal_at_lease_end <= 0
            and hp.p_breakdown_per_unit_rent_burden_per_month <= 0
        ):
            return
        pop = self.pop
        # A placement already lost (by eviction or an informal move) is no longer at risk.
        pop.assisted_lease_month[_HOMELESS[pop.housing]] = NEVER
        at_risk, conflict, nonrenewal, shock = self.hazards(month)
        u = self.uniform("breakdown")
        by_conflict = at_risk & (u < conflict)
        by_nonrenewal = at_risk & ~by_conflict & (u < conflict + nonrenewal)
        by_shock = at_risk & ~by_conflict & ~by_nonrenewal & (u < conflict + nonrenewal + shock)
        rows = np.flatnonzero(by_conflict | by_nonrenewal | by_shock)
        self.count("placements_at_risk", at_risk.sum())
        self.count("placement_breakdowns", rows.size)
        self.count("breakdowns_conflict", by_conflict.sum())
        self.count("breakdowns_nonrenewal", by_nonrenewal.sum())
        self.count("breakdowns_rent_burden", by_shock.sum())
        if rows.size == 0:
            return
        self.end_placement(rows, month)
        to_shelter = self.uniform("breakdown_to_shelter")[rows] < hp.share_breakdowns_to_shelter
        self.move_housing(rows[~to_shelter], DOUBLED_UP)
        admitted = self.send_to_shelter(rows[to_shelter], month)
        self.count("breakdowns_to_shelter", admitted.size)

    def end_placement(self, rows: np.ndarray, month: int) -> None:
        """The families in ``rows`` lose their unit: arrears become debt and any subsidy ends now."""
        pop = self.pop
        pop.debt[rows] += pop.arrears[rows]
        pop.arrears[rows] = 0.0
        # The unused months of a hub re-housing subsidy go back to the hub's pot (``housing`` has
        # already counted this month's, so ``subsidy_left`` months are unused).
        hub = rows[pop.hub_subsidy[rows] & (pop.housing[rows] == REHOUSED)]
        self.model.services.refund_subsidies(hub, pop.subsidy_left[hub], month)
        pop.subsidy_left[rows] = 0
        pop.subsidy_share[rows] = 0.0
        pop.hub_subsidy[rows] = False
        pop.hub_subsidy_usd[rows] = 0.0
        self.model.spells.voucher_ends(pop, rows[pop.hub_voucher[rows]], month, "ended")
        pop.hub_voucher[rows] = False  # its subsidy no longer counts against the voucher pot
        pop.assisted_lease_month[rows] = NEVER

    def send_to_shelter(self, rows: np.ndarray, month: int) -> np.ndarray:
        """The families in ``rows`` go straight to shelter (the one path into shelter outside the front
        door), through the same admission as the front door: they get a unit only if one is free
        beyond those owed to the waiting list; otherwise they join the list, unsheltered or doubled up
        (:meth:`sysmodel.capacity.Capacities.admit_to_shelter`). Returns the rows admitted."""
        return self.model.capacity.admit_to_shelter(
            self, rows, month, otherwise=DOUBLED_UP, serve_waiting=False
        )
