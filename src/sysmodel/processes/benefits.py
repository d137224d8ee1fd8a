"""Benefits: each family's benefits from the scenario's benefit schedule."""

from __future__ import annotations

from .base import PROCESSES, Process


@PROCESSES.register("benefits")
class Benefits(Process):
    """Sets ``benefits`` from earnings and household composition with the model's benefit schedule."""

    summary = "benefits from the schedule (cliffs, or the smooth Flexible Benefit Set)"

    def step(self, month: int) -> None:
        pop = self.pop
        pop.benefits[:] = self.model.benefit_schedule.amount(pop.earnings, pop.size, pop.children)
