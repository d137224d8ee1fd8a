"""Help seeking at the front door (shelter / coordinated entry), and shelter entry.

Families in a housing crisis ask for help with a monthly probability that depends on their state and
falls with their engagement; engagement falls with every intake (administrative burden) and recovers
slowly. A doubled-up family asking for help is admitted to shelter (or diverted back). The services issue
plugs intake, referral and prevention into the families marked ``sought_help`` here.
"""

from __future__ import annotations

import numpy as np

from ..population import BEHIND, DOUBLED_UP, FILED, NEVER, SHELTER
from .base import PROCESSES, Process


@PROCESSES.register("help_seeking")
class HelpSeeking(Process):
    """Front-door contacts, intakes, engagement, and admission to shelter."""

    summary = "families in crisis ask for help at the front door; doubled-up families enter shelter"
    housing_routes = {("doubled_up", "shelter"): "entered_shelter"}

    def step(self, month: int) -> None:
        pop, sp = self.pop, self.params.help_seeking
        h = pop.housing
        p = (
            np.select(
                [h == BEHIND, h == FILED, h == DOUBLED_UP],
                [
                    sp.p_seek_help_behind_per_month,
                    sp.p_seek_help_filed_per_month,
                    sp.p_seek_help_doubled_up_per_month,
                ],
                0.0,
            )
            * pop.engagement
        )
        seek = self.uniform("seek") < p
        pop.sought_help[:] = seek
        pop.front_door_contacts += seek
        pop.intakes += seek
        pop.engagement[:] = np.where(
            seek,
            pop.engagement * (1.0 - sp.engagement_loss_per_intake),
            pop.engagement + sp.engagement_recovery_per_month * (1.0 - pop.engagement),
        )

        enter = seek & (h == DOUBLED_UP) & (self.uniform("admission") < sp.p_shelter_admission)
        first = enter & ~pop.ever_sheltered
        # HUD System Performance Measure 2: returns within 6/12/24 months of an exit to housing.
        exited = pop.last_housing_exit_month >= 0
        gap = month - pop.last_housing_exit_month
        for window in (6, 12, 24):
            returned = enter & exited & (gap <= window)
            pop.column(f"returns_{window}")[returned] += 1
            self.count(f"returns_within_{window}", returned.sum())
        self.move_housing(np.flatnonzero(enter), SHELTER)
        pop.episodes += enter
        pop.ever_sheltered |= enter
        # A shelter entry is a loss of housing for the realised screening AUC (screening resets it).
        pop.lost_housing_month[enter & (pop.lost_housing_month == NEVER)] = month
        # ...and the outcome the predicted-risk score is measured against (policies.risk).
        pop.sheltered_month[enter & (pop.sheltered_month == NEVER)] = month
        if month >= 0:  # burn-in entries are not stamped (-1 means "none")
            pop.first_shelter_month[enter & (pop.first_shelter_month < 0)] = month
        self.count("front_door_contacts", seek.sum())
        self.count("shelter_entries_first_time", first.sum())
        self.count("shelter_entries_return", (enter & ~first).sum())
