"""Two generations: children's well-being, school moves and child-welfare involvement.

Children's well-being (an index 0-100) falls while the family is behind on rent, doubled up or in
shelter, and at each school move; it rises while income is above twice the poverty line, and recovers
toward its starting level. Housing instability raises the chance of child-welfare involvement. In a
child-welfare and housing partnership (docs/sources.md: USICH child welfare and housing), involved families get case-by-case access to the
housing hub (referred at once, served ahead of the waitlist) and child-welfare money braided into the
hub's rent assistance.
"""

from __future__ import annotations

import numpy as np

from ..population import BEHIND, DOUBLED_UP, FILED, NEVER, SHELTER, UNSHELTERED, state_mask
from .base import PROCESSES, Process

_HOMELESS_OR_DOUBLED = state_mask((DOUBLED_UP, SHELTER, UNSHELTERED))
_OWING = state_mask((BEHIND, FILED))


@PROCESSES.register("children")
class Children(Process):
    """Child well-being, school moves, child-welfare cases, and the child-welfare/housing partnership."""

    summary = "child well-being, school moves, child-welfare involvement; CW-housing partnership"

    def step(self, month: int) -> None:
        pop, cp = self.pop, self.params.children
        kids = pop.children > 0
        h, before = pop.housing, self.model.housing_at_month_start
        same_family = pop.fid == self.model.fid_at_month_start
        moved = (
            same_family & (h != before) & (_HOMELESS_OR_DOUBLED[h] | _HOMELESS_OR_DOUBLED[before])
        )
        school_move = kids & moved & (self.uniform("school_move") < cp.p_school_move_on_move)
        pop.school_moves += school_move
        self.count("school_moves", school_move.sum())

        fpl = self.model.benefit_schedule.poverty_line(pop.size)
        change = (
            cp.wellbeing_recovery_per_month * (pop.wellbeing_base - pop.child_wellbeing)
            - cp.wellbeing_loss_behind * _OWING[h]
            - cp.wellbeing_loss_doubled_up * (h == DOUBLED_UP)
            # Unsheltered children lose at least what sheltered ones do.
            - cp.wellbeing_loss_shelter * ((h == SHELTER) | (h == UNSHELTERED))
            - cp.wellbeing_loss_school_move * school_move
            + cp.wellbeing_gain_income * (pop.income > 2.0 * fpl)
        )
        pop.child_wellbeing[:] = np.where(
            kids, np.clip(pop.child_wellbeing + change, 0.0, 100.0), 0.0
        )

        # Child-welfare cases open (more often when housing is unstable) and close on their clock.
        open_ = pop.cw_involved
        pop.cw_months_left[open_] -= 1
        closed = open_ & (pop.cw_months_left <= 0)
        pop.cw_involved[closed] = False
        p = cp.p_cw_involvement_per_month * np.where(
            _HOMELESS_OR_DOUBLED[h], cp.cw_risk_multiplier_unstable, 1.0
        )
        new = kids & ~pop.cw_involved & (self.uniform("cw_involvement") < np.minimum(p, 1.0))
        pop.cw_involved |= new
        pop.cw_months_left[new] = cp.cw_case_months
        pop.cw_cases += new
        self.count("cw_cases_opened", new.sum())
        self.count("cw_open_cases", pop.cw_involved.sum())
        self.spend("child_welfare_usd", float(pop.cw_involved.sum()) * cp.cw_case_usd)

        if cp.cw_housing_partnership:
            self.model.services.funds["braided"] += cp.cw_braided_budget_usd / 12.0
            # Case-by-case access: involved families in a housing crisis go straight to the hub.
            crisis = _OWING[h] | _HOMELESS_OR_DOUBLED[h]
            refer = (
                pop.cw_involved
                & crisis
                & (pop.coordinator < 0)
                & (pop.wait_coord == NEVER)
                & (pop.ref_coord == NEVER)
            )
            pop.ref_coord[refer] = month  # arrives at next month's intake
            pop.known[pop.cw_involved] |= 32  # AGENCY_BITS["child_welfare"]
            self.count("cw_referrals_to_hub", refer.sum())
