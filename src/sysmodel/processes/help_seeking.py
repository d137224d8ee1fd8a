"""Help seeking at the front door (shelter / coordinated entry), and shelter entry.

Families in a housing crisis ask for help with a monthly probability that depends on their state and
falls with their engagement; engagement falls with every intake (administrative burden) and recovers
slowly. A doubled-up or unsheltered family asking for help is admitted to shelter (or diverted back)
if the shelter has room (``capacity.shelter_units_per_1000_families``); otherwise it joins the shelter's
waiting list (:meth:`sysmodel.capacity.Capacities.admit_to_shelter`), which is served first every month.
The services issue plugs intake, referral and prevention into the families marked ``sought_help`` here.
"""

from __future__ import annotations

import numpy as np

from ..population import BEHIND, DOUBLED_UP, FILED, NEVER, UNSHELTERED
from .base import PROCESSES, Process


@PROCESSES.register("help_seeking")
class HelpSeeking(Process):
    """Front-door contacts, intakes, engagement, and admission to shelter."""

    summary = (
        "families in crisis ask for help at the front door; doubled-up and unsheltered families "
        "enter shelter, or its waiting list when it is full"
    )
    housing_routes = {
        ("doubled_up", "shelter"): "entered_shelter",
        ("unsheltered", "shelter"): "entered_shelter",
        ("doubled_up", "unsheltered"): "turned_away",
    }

    def step(self, month: int) -> None:
        pop, sp = self.pop, self.params.help_seeking
        h = pop.housing
        p = (
            np.select(
                [h == BEHIND, h == FILED, (h == DOUBLED_UP) | (h == UNSHELTERED)],
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

        without_home = (h == DOUBLED_UP) | (h == UNSHELTERED)
        enter = seek & without_home & (self.uniform("admission") < sp.p_shelter_admission)
        # Admitted while the shelter has room (its waiting list first); else onto the list.
        self.model.capacity.admit_to_shelter(self, np.flatnonzero(enter), month)
        self.count("front_door_contacts", seek.sum())


def record_shelter_entry(process: Process, rows: np.ndarray, month: int) -> None:
    """The bookkeeping of a shelter entry of the families in ``rows`` (call before they move).

    Every way into shelter goes through here (the front door, and a placement that breaks down straight
    into shelter): HUD System Performance Measure 2 returns within 6/12/24 months of an exit to housing,
    episodes, first-time and return entries, and the outcome stamps of screening and the risk score.
    """
    pop = process.pop
    first = ~pop.ever_sheltered[rows]
    last_exit = pop.last_housing_exit_month[rows]
    gap = month - last_exit
    for window in (6, 12, 24):
        returned = rows[(last_exit >= 0) & (gap <= window)]
        pop.column(f"returns_{window}")[returned] += 1
        process.count(f"returns_within_{window}", returned.size)
    pop.episodes[rows] += 1
    pop.ever_sheltered[rows] = True
    # A shelter entry is a loss of housing for the realised screening AUC (screening resets the stamp).
    lost = rows[pop.lost_housing_month[rows] == NEVER]
    pop.lost_housing_month[lost] = month
    # ...and the outcome the predicted-risk score is measured against (policies.risk).
    sheltered = rows[pop.sheltered_month[rows] == NEVER]
    pop.sheltered_month[sheltered] = month
    if month >= 0:  # burn-in entries are not stamped (-1 means "none")
        new = rows[pop.first_shelter_month[rows] < 0]
        pop.first_shelter_month[new] = month
    process.count("shelter_entries_first_time", int(first.sum()))
    process.count("shelter_entries_return", int((~first).sum()))
