"""Benefits: unemployment insurance and the scenario's benefit schedule."""

from __future__ import annotations

import numpy as np

from .base import PROCESSES, Process


@PROCESSES.register("benefits")
class Benefits(Process):
    """Sets ``benefits``: UI while claiming, plus the schedule's benefits on earnings and UI."""

    summary = (
        "unemployment insurance; benefits from the schedule (cliffs, or the Flexible Benefit Set)"
    )

    def step(self, month: int) -> None:
        pop = self.pop
        # Unemployment insurance is paid while months are left; it counts as income for the schedule.
        claiming = pop.ui_months_left > 0
        ui = np.where(claiming, pop.ui_benefit, 0.0)
        pop.ui_months_left[claiming] -= 1
        pop.ui_benefit[pop.ui_months_left == 0] = 0.0
        pop.benefits[:] = ui + self.model.benefit_schedule.amount(
            pop.earnings + ui, pop.size, pop.children
        )
