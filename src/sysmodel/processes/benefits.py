"""Benefits: take-up, unemployment insurance and the scenario's benefit schedule.

Only families who claim (``claims_benefits``) get the schedule's benefits. Families start and stop
claiming each month (``benefits.p_start_claiming_per_month`` / ``p_stop_claiming_per_month``);
financial coaching adds to the chance of starting (``add_take_up``, set by the services process).
"""

from __future__ import annotations

import numpy as np

from .base import PROCESSES, Process


@PROCESSES.register("benefits")
class Benefits(Process):
    """Sets ``benefits``: UI while claiming, plus the schedule's benefits on earnings and UI."""

    summary = (
        "benefit take-up; unemployment insurance; benefits from the schedule"
        " (cliffs, or the Flexible Benefit Set)"
    )

    def step(self, month: int) -> None:
        pop, bp = self.pop, self.params.benefits
        # Take-up: one draw a row decides starting (non-claimers) or stopping (claimers).
        u = self.uniform("take_up")
        claims = pop.claims_benefits.copy()
        pop.claims_benefits[:] = np.where(
            claims,
            u >= bp.p_stop_claiming_per_month,
            u < bp.p_start_claiming_per_month + pop.add_take_up,
        )
        self.count("benefit_claims_started", (~claims & pop.claims_benefits).sum())
        # Unemployment insurance is paid while months are left; it counts as income for the schedule.
        claiming = pop.ui_months_left > 0
        ui = np.where(claiming, pop.ui_benefit, 0.0)
        pop.ui_months_left[claiming] -= 1
        pop.ui_benefit[pop.ui_months_left == 0] = 0.0
        pop.benefits[:] = ui + pop.claims_benefits * self.model.benefit_schedule.amount(
            pop.earnings + ui, pop.size, pop.children
        )
