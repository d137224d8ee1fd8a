"""Turnover: families leave the service area and newcomers from the same synthetic population arrive."""

from __future__ import annotations

import numpy as np

from ..population import NEVER, REHOUSED
from .base import PROCESSES, Process


@PROCESSES.register("turnover")
class Turnover(Process):
    """Each family leaves with a monthly probability; a newcomer (new family id) takes the freed row."""

    summary = "families move out of the area; newcomers take their rows (rate 0 = closed cohort)"

    def step(self, month: int) -> None:
        rate = self.params.turnover.p_move_out_per_month
        if rate <= 0:
            return
        leaving = np.flatnonzero(self.uniform("move_out") < rate)
        # Open re-housing awards of families who leave return to the hub's pot.
        pop = self.pop
        awards = leaving[pop.award_month[leaving] != NEVER]
        if awards.size:
            self.model.services.give_back("rehousing", float(pop.award_usd[awards].sum()))
        # So do the unused months of hub subsidies (this month's is not paid yet).
        subsidised = leaving[pop.hub_subsidy[leaving] & (pop.housing[leaving] == REHOUSED)]
        self.model.services.refund_subsidies(subsidised, pop.subsidy_left[subsidised], month)
        # Their open service spells and awards end here (the newcomer's service columns start empty).
        self.model.spells.move_out(pop, leaving, month)
        if month >= 0:
            self.pop.retire(leaving, month)
        # Newcomers' attributes come from this process's stream, so they do not shift other draws.
        self.pop.fill(
            leaving, self.params, self.model.streams, self.name, month, self.model.benefit_schedule
        )
        # Their housing spells end ("moved_away") and the newcomers' begin ("arrived").
        self.model.history.turnover(self.pop, leaving, month)
        self.count("moves_out", leaving.size)
